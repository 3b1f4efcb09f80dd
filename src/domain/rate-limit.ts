/**
 * Sliding-window arithmetic for `max_calls_per_hour` (docs/ARCHITECTURE.md#constraints). The counting itself is
 * atomic in the store; this is only the pure math around it.
 */

/** The sliding window: only allowed calls in the last 60 minutes count. */
export const RATE_LIMIT_WINDOW_MS = 60 * 60 * 1000;

/**
 * Epoch ms of the window start for a decision at `now`. A call counts while it is less than
 * 60 minutes old, that is when it was allowed strictly after this instant; this matches
 * `retryAfterSeconds`, which treats a call exactly 60 minutes old as gone.
 */
export function rateLimitWindowStart(now: Date | number): number {
  return toMs(now) - RATE_LIMIT_WINDOW_MS;
}

/**
 * Whole seconds until the oldest counted call, allowed at `oldestCountedAt`, leaves the window
 * seen from `now`, rounded up and at least 1, so a client that waits that long finds a free
 * slot (unless other calls take it first).
 */
export function retryAfterSeconds(oldestCountedAt: Date | number, now: Date | number): number {
  return retryAfterSecondsFromMs(toMs(oldestCountedAt) + RATE_LIMIT_WINDOW_MS - toMs(now));
}

/**
 * The same answer from the store's `retryAfterMs` (the time until the oldest slot leaves the
 * window): whole seconds, rounded up, at least 1.
 */
export function retryAfterSecondsFromMs(ms: number): number {
  const seconds = Math.ceil(ms / 1000);
  return Number.isFinite(seconds) && seconds > 1 ? seconds : 1;
}

function toMs(t: Date | number): number {
  return typeof t === 'number' ? t : t.getTime();
}
