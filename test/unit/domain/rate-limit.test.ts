import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_WINDOW_MS, rateLimitWindowStart, retryAfterSeconds, retryAfterSecondsFromMs } from '../../../src/domain/rate-limit.js';

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

describe('retryAfterSecondsFromMs', () => {
  it('rounds the store\'s milliseconds up to whole seconds, at least 1', () => {
    expect(retryAfterSecondsFromMs(1)).toBe(1);
    expect(retryAfterSecondsFromMs(1000)).toBe(1);
    expect(retryAfterSecondsFromMs(1001)).toBe(2);
    expect(retryAfterSecondsFromMs(3_600_000)).toBe(3600);
    expect(retryAfterSecondsFromMs(0)).toBe(1);
  });

  it('agrees with retryAfterSeconds for the same instant', () => {
    const now = 10_000_000;
    const oldest = now - 3_599_500;
    expect(retryAfterSecondsFromMs(oldest + RATE_LIMIT_WINDOW_MS - now)).toBe(retryAfterSeconds(oldest, now));
  });
});
