import { describe, expect, it } from 'vitest';
import { createIds } from '../../../src/app/ids.js';

describe('record ids', () => {
  it('carry the kind, fit the id validation and are unique', () => {
    const newId = createIds();
    const ids = Array.from({ length: 5000 }, () => newId('aud'));
    for (const id of ids.slice(0, 50)) {
      expect(id).toMatch(/^aud_[0-9a-v]{10}[A-Za-z0-9_-]{22}$/);
      expect(id.length).toBeLessThanOrEqual(64);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sort by creation millisecond, so index inserts land at the right edge', () => {
    let ms = Date.parse('2026-11-27T12:00:00.000Z');
    const newId = createIds(() => ms);
    const made: string[] = [];
    for (let i = 0; i < 100; i++) {
      made.push(newId('agt'));
      ms += 1 + (i % 7) * 1000;
    }
    const prefixes = made.map((id) => id.slice(0, 14));
    expect([...prefixes].sort()).toEqual(prefixes);
    // Crossing a power of 32 must not break the order (fixed width, numeric alphabet).
    const a = createIds(() => 32 ** 5 - 1)('aud');
    const b = createIds(() => 32 ** 5)('aud');
    expect(a.slice(0, 14) < b.slice(0, 14)).toBe(true);
    // A broken clock still gives a well-formed id.
    expect(createIds(() => Number.NaN)('aud')).toMatch(/^aud_0{10}[A-Za-z0-9_-]{22}$/);
  });

  it('keep 128 random bits after the time, so ids made in one millisecond differ', () => {
    const newId = createIds(() => 0);
    const tails = new Set(Array.from({ length: 1000 }, () => newId('ses').slice(14)));
    expect(tails.size).toBe(1000);
    for (const tail of [...tails].slice(0, 10)) expect(Buffer.from(tail, 'base64url')).toHaveLength(16);
  });
});
