import { describe, expect, it } from 'vitest';
import { compileTimeWindow, validateTimeWindow } from '../../../src/domain/time-window.js';
import type { TimeWindow, Weekday } from '../../../src/domain/types.js';
import { aTimeWindow, thrownBy } from './builders.js';

const at = (iso: string): Date => new Date(iso);

describe('time windows (docs/ARCHITECTURE.md#constraints)', () => {
  // 2024-03-08 is a Friday. New York is on EST (UTC-5) until 2024-03-10 02:00.
  const fridayNightNewYork = aTimeWindow({ start: '22:00', end: '06:00', days: ['fri'], timeZone: 'America/New_York' });
  // Asia/Kolkata is UTC+5:30 all year; 2024-03-11 is a Monday.
  const weekdaysKolkata = aTimeWindow({
    start: '09:00',
    end: '17:00',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    timeZone: 'Asia/Kolkata',
  });

  it.each<[string, TimeWindow, string, boolean]>([
    ['overnight window starts inclusive on its day', fridayNightNewYork, '2024-03-09T03:00:00Z', true], // Fri 22:00
    ['a minute before the start is outside', fridayNightNewYork, '2024-03-09T02:59:00Z', false], // Fri 21:59
    ['the morning after belongs to the window that started the day before', fridayNightNewYork, '2024-03-09T08:00:00Z', true], // Sat 03:00
    ['the last minute before the end is inside', fridayNightNewYork, '2024-03-09T10:59:59Z', true], // Sat 05:59:59
    ['the end is exclusive', fridayNightNewYork, '2024-03-09T11:00:00Z', false], // Sat 06:00
    ['Friday early morning belongs to Thursday, which is not listed', fridayNightNewYork, '2024-03-08T08:00:00Z', false], // Fri 03:00
    ['Saturday night is not a listed start day', fridayNightNewYork, '2024-03-10T03:30:00Z', false], // Sat 22:30
    ['a day window opens at its start in a +05:30 zone', weekdaysKolkata, '2024-03-11T03:30:00Z', true], // Mon 09:00
    ['one minute earlier is outside', weekdaysKolkata, '2024-03-11T03:29:00Z', false], // Mon 08:59
    ['16:59 local is inside', weekdaysKolkata, '2024-03-11T11:29:00Z', true],
    ['17:00 local is outside', weekdaysKolkata, '2024-03-11T11:30:00Z', false],
    ['Saturday is not listed', weekdaysKolkata, '2024-03-16T05:00:00Z', false],
    ['the local day, not the UTC day, decides', weekdaysKolkata, '2024-03-10T23:00:00Z', false], // Mon 04:30 local, Sun in UTC
    [
      'an overnight window across the spring DST change still ends at 06:00 local',
      aTimeWindow({ start: '22:00', end: '06:00', days: ['sat'], timeZone: 'America/New_York' }),
      '2024-03-10T09:59:00Z', // Sun 05:59 EDT
      true,
    ],
    [
      'and is outside from 06:00 EDT',
      aTimeWindow({ start: '22:00', end: '06:00', days: ['sat'], timeZone: 'America/New_York' }),
      '2024-03-10T10:00:00Z',
      false,
    ],
    ['an empty zone means UTC (inside)', aTimeWindow({ timeZone: '' }), '2024-03-11T09:00:00Z', true],
    ['an empty zone means UTC (outside)', aTimeWindow({ timeZone: '' }), '2024-03-11T17:00:00Z', false],
    ['no days means every day', aTimeWindow(), '2024-03-16T12:00:00Z', true],
    ['UTC overnight, evening part', aTimeWindow({ start: '22:00', end: '06:00' }), '2024-03-11T23:59:00Z', true],
    ['UTC overnight, morning part', aTimeWindow({ start: '22:00', end: '06:00' }), '2024-03-11T00:00:00Z', true],
    ['UTC overnight, daytime', aTimeWindow({ start: '22:00', end: '06:00' }), '2024-03-11T12:00:00Z', false],
    ['an end of 00:00 runs to midnight', aTimeWindow({ start: '22:00', end: '00:00' }), '2024-03-11T23:59:59Z', true],
    ['and stops at midnight', aTimeWindow({ start: '22:00', end: '00:00' }), '2024-03-12T00:00:00Z', false],
    ['UTC overnight with days: Sunday night runs into Monday', aTimeWindow({ start: '22:00', end: '06:00', days: ['sun'] }), '2024-03-11T05:00:00Z', true],
    ['UTC overnight with days: Monday night is not listed', aTimeWindow({ start: '22:00', end: '06:00', days: ['sun'] }), '2024-03-11T23:00:00Z', false],
  ])('%s', (_name, tw, instant, expected) => {
    expect(compileTimeWindow(tw).contains(at(instant))).toBe(expected);
  });

  it('answers correctly when asked about different instants in turn (the memo is per second)', () => {
    const window = compileTimeWindow(fridayNightNewYork);
    expect(window.contains(at('2024-03-09T03:00:00Z'))).toBe(true);
    expect(window.contains(at('2024-03-09T02:59:59.999Z'))).toBe(false);
    expect(window.contains(at('2024-03-09T03:00:00.500Z'))).toBe(true);
    expect(window.contains(at('2024-03-09T11:00:00Z'))).toBe(false);
  });

  it('fails closed on an invalid Date', () => {
    expect(compileTimeWindow(fridayNightNewYork).contains(new Date(Number.NaN))).toBe(false);
    expect(compileTimeWindow(aTimeWindow()).contains(new Date(Number.NaN))).toBe(false);
  });
});

describe('time window validation', () => {
  const field = 'permissions[1].constraints.time_window';
  it.each<[string, Partial<TimeWindow>, string]>([
    ['an hour of 24', { start: '24:00' }, `${field}.start`],
    ['a single-digit hour', { start: '9:00' }, `${field}.start`],
    ['minute 60', { end: '10:60' }, `${field}.end`],
    ['seconds', { end: '10:00:00' }, `${field}.end`],
    ['start equal to end', { start: '10:00', end: '10:00' }, `${field}.end`],
    ['a repeated day', { days: ['mon', 'tue', 'mon'] }, `${field}.days[2]`],
    ['an unknown day', { days: ['mon', 'funday' as Weekday] }, `${field}.days[1]`],
    ['more than seven days', { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'mon'] }, `${field}.days`],
    ['an unknown zone', { timeZone: 'Mars/Olympus_Mons' }, `${field}.time_zone`],
    ['a zone longer than 64 characters', { timeZone: `Europe/${'x'.repeat(60)}` }, `${field}.time_zone`],
  ])('rejects %s, naming %s', (_name, overrides, expectedField) => {
    const err = thrownBy(() => validateTimeWindow(aTimeWindow(overrides), field));
    expect(err.kind).toBe('invalid_argument');
    expect(err.field).toBe(expectedField);
  });

  it.each<Partial<TimeWindow>>([
    {},
    { start: '00:00', end: '23:59' },
    { start: '23:59', end: '00:00' },
    { timeZone: '' },
    { timeZone: 'Asia/Kolkata' },
    { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
  ])('accepts %j', (overrides) => {
    expect(() => validateTimeWindow(aTimeWindow(overrides), field)).not.toThrow();
  });
});
