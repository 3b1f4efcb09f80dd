import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_WINDOW_MS, rateLimitWindowStart, retryAfterSeconds } from '../../../src/domain/rate-limit.js';

describe('sliding-window rate limit math', () => {
  const now = Date.parse('2024-03-11T12:00:00Z');
  it.each<[string, number, number]>([
    ['a call 59 minutes old leaves in 60 s', now - 59 * 60_000, 60],
    ['a call 10 s old leaves in 3590 s', now - 10_000, 3590],
    ['fractions of a second round up', now - RATE_LIMIT_WINDOW_MS + 1_500, 2],
    ['never less than 1 s', now - RATE_LIMIT_WINDOW_MS + 1, 1],
    ['a call already out of the window still gives 1 s', now - RATE_LIMIT_WINDOW_MS - 5_000, 1],
  ])('%s', (_name, oldest, expected) => {
    expect(retryAfterSeconds(oldest, now)).toBe(expected);
    expect(retryAfterSeconds(new Date(oldest), new Date(now))).toBe(expected);
  });

  it('starts the window 60 minutes before now', () => {
    expect(rateLimitWindowStart(new Date(now))).toBe(now - 3_600_000);
  });
});
