/**
 * Time windows (docs/ARCHITECTURE.md#constraints): a daily local time range `[start, end)` in an IANA zone,
 * optionally only on some days. When `end` is before `start` the window runs overnight, and
 * its days name the day on which it starts: with days `[fri]` and 22:00–06:00, Saturday 03:00
 * is inside and Friday 03:00 is not.
 */
import { invalidArgument } from './errors.js';
import { WEEKDAYS, type TimeWindow, type Weekday } from './types.js';

/** Longest accepted zone name. */
export const MAX_TIME_ZONE_LENGTH = 64;

const HH_MM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
const MINUTES_PER_DAY = 24 * 60;

/** A time window compiled once, checked many times. */
export interface CompiledTimeWindow {
  /** The zone used, `UTC` when the source zone was empty. */
  readonly timeZone: string;
  /** True when the instant `now` falls inside the window, in the window's zone. */
  contains(now: Date): boolean;
}

/**
 * Throws `invalid_argument` unless `tw` is valid: `start` and `end` are `HH:MM` from 00:00 to
 * 23:59 and differ, `days` has no repeats and only known days, and `timeZone` is empty (UTC)
 * or an IANA zone of at most 64 characters. Fields are named below `field`
 * (`${field}.start`, `.end`, `.days[i]`, `.time_zone`).
 */
export function validateTimeWindow(tw: TimeWindow, field: string): void {
  const start = parseHhMm(tw.start);
  if (start === -1) throw invalidArgument(`${field}.start`, 'must be HH:MM between 00:00 and 23:59');
  const end = parseHhMm(tw.end);
  if (end === -1) throw invalidArgument(`${field}.end`, 'must be HH:MM between 00:00 and 23:59');
  if (start === end) throw invalidArgument(`${field}.end`, 'must differ from start');
  if (tw.days.length > WEEKDAYS.length) {
    throw invalidArgument(`${field}.days`, `at most ${WEEKDAYS.length} days`);
  }
  const seen = new Set<string>();
  tw.days.forEach((day, i) => {
    if (!WEEKDAYS.includes(day)) throw invalidArgument(`${field}.days[${i}]`, 'is not a day of the week');
    if (seen.has(day)) throw invalidArgument(`${field}.days[${i}]`, 'repeats an earlier day');
    seen.add(day);
  });
  const zoneField = `${field}.time_zone`;
  if (tw.timeZone.length > MAX_TIME_ZONE_LENGTH) {
    throw invalidArgument(zoneField, `must be at most ${MAX_TIME_ZONE_LENGTH} characters`);
  }
  if (tw.timeZone !== '') {
    try {
      formatterFor(tw.timeZone);
    } catch (err) {
      if (err instanceof RangeError) throw invalidArgument(zoneField, 'is not a known IANA time zone');
      throw err;
    }
  }
}

/** Minutes since midnight for `HH:MM`, or -1. */
function parseHhMm(text: string): number {
  const m = HH_MM.exec(text);
  return m === null ? -1 : Number(m[1]) * 60 + Number(m[2]);
}

// One formatter per zone for the life of the process: formatters are immutable, creating one
// costs tens of microseconds, and the set of zones is bounded by the IANA database.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    // hourCycle h23 keeps midnight as 00 (some engines print 24 with hour12: false).
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const SHORT_DAYS: Readonly<Record<string, number>> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/**
 * Local minute of the week (Monday 00:00 is 0) of `epochMs` in `timeZone`, via the cached
 * formatter. Returns -1 if the engine answers something unexpected, which callers treat as
 * outside every window (fail closed).
 */
function localMinuteOfWeek(formatter: Intl.DateTimeFormat, epochMs: number): number {
  let day = -1;
  let hour = -1;
  let minute = -1;
  for (const part of formatter.formatToParts(epochMs)) {
    if (part.type === 'weekday') day = SHORT_DAYS[part.value] ?? -1;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  if (day < 0 || !(hour >= 0 && hour < 24) || !(minute >= 0 && minute < 60)) return -1;
  return day * MINUTES_PER_DAY + hour * 60 + minute;
}

function utcMinuteOfWeek(epochMs: number): number {
  const d = new Date(epochMs);
  const day = (d.getUTCDay() + 6) % 7; // JS counts from Sunday; Monday is 0 here
  return day * MINUTES_PER_DAY + d.getUTCHours() * 60 + d.getUTCMinutes();
}

/**
 * Compiles a window, assumed valid (`validateTimeWindow`). An empty zone means UTC. A window
 * whose zone the engine rejects, or whose start or end does not parse, contains no instant.
 */
export function compileTimeWindow(tw: TimeWindow): CompiledTimeWindow {
  const timeZone = tw.timeZone === '' ? 'UTC' : tw.timeZone;
  const start = parseHhMm(tw.start);
  const end = parseHhMm(tw.end);
  let dayMask = 0;
  for (const day of tw.days) dayMask |= 1 << WEEKDAYS.indexOf(day as Weekday);
  if (tw.days.length === 0) dayMask = 0b1111111;
  const startsOn = (day: number): boolean => (dayMask & (1 << day)) !== 0;

  let formatter: Intl.DateTimeFormat | undefined;
  if (timeZone !== 'UTC') {
    try {
      formatter = formatterFor(timeZone);
    } catch {
      return { timeZone, contains: () => false };
    }
  }
  if (start === -1 || end === -1 || start === end) return { timeZone, contains: () => false };

  const insideAt = (minuteOfWeek: number): boolean => {
    // NaN (an invalid Date) and -1 (an unexpected formatter answer) fail closed.
    if (!(minuteOfWeek >= 0)) return false;
    const day = Math.floor(minuteOfWeek / MINUTES_PER_DAY);
    const minute = minuteOfWeek % MINUTES_PER_DAY;
    if (start < end) return minute >= start && minute < end && startsOn(day);
    // Overnight: the evening part belongs to today's window, the morning part to yesterday's.
    if (minute >= start) return startsOn(day);
    if (minute < end) return startsOn((day + 6) % 7);
    return false;
  };

  if (formatter === undefined) return { timeZone, contains: (now) => insideAt(utcMinuteOfWeek(now.getTime())) };

  // formatToParts costs about a microsecond, and a hot agent asks many times a second. The
  // answer depends only on the local minute, and tzdb offsets are whole seconds, so it is
  // memoized per epoch second. The memo is per compiled window, holds one entry, and makes
  // `contains` no less pure.
  const zoneFormatter = formatter;
  let memoSecond = Number.NaN;
  let memoInside = false;
  return {
    timeZone,
    contains: (now) => {
      const ms = now.getTime();
      if (!Number.isFinite(ms)) return false; // formatToParts throws on an invalid Date
      const second = Math.floor(ms / 1000);
      if (second !== memoSecond) {
        memoInside = insideAt(localMinuteOfWeek(zoneFormatter, ms));
        memoSecond = second;
      }
      return memoInside;
    },
  };
}
