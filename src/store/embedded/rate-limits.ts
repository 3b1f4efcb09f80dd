/** Sliding-window rate limits on the embedded engine: one row per slot taken. */
import { randomUUID } from 'node:crypto';

import type { AcquireResult, RateLimitStore } from '../store.js';
import { createGuard, ms, type Db } from './sqlite.js';

/** How many acquisitions pass between sweeps of other keys' stale slots, and how many a sweep deletes. */
const SWEEP_EVERY = 256;
const SWEEP_BATCH = 500;

const SWEEP_SQL = 'DELETE FROM rate_slots WHERE rowid IN (SELECT rowid FROM rate_slots WHERE until <= ? LIMIT ?)';

/**
 * Deletes up to `limit` slots whose window ended by `now`, in any key. `tryAcquire` only prunes
 * its own key, so keys that stop being used (a revoked agent) would otherwise keep rows forever.
 */
export function sweepExpiredSlots(db: Db, now: Date, limit = SWEEP_BATCH): number {
  return db.prepare<[number, number]>(SWEEP_SQL).run(ms(now), limit).changes;
}

/** Builds the rate-limit store over an open, migrated database. */
export function createRateLimitStore(db: Db): RateLimitStore {
  const guard = createGuard(db);
  const prune = db.prepare<[string, number]>('DELETE FROM rate_slots WHERE key = ? AND at <= ?');
  const usage = db.prepare<[string], { n: number; oldest: number | null }>(
    'SELECT COUNT(*) AS n, MIN(at) AS oldest FROM rate_slots WHERE key = ?',
  );
  const insert = db.prepare<[string, string, number, number]>(
    'INSERT INTO rate_slots (key, slot_id, at, until) VALUES (?, ?, ?, ?)',
  );
  const sweep = db.prepare<[number, number]>(SWEEP_SQL);
  const release = db.prepare<[string, string]>('DELETE FROM rate_slots WHERE key = ? AND slot_id = ?');
  let sinceSweep = 0;

  // IMMEDIATE: count and insert under the write lock, so processes sharing the file cannot
  // both take the last slot.
  const acquire = db.transaction((key: string, limit: number, now: number, windowMs: number): AcquireResult => {
    prune.run(key, now - windowMs);
    if (++sinceSweep >= SWEEP_EVERY) {
      sinceSweep = 0;
      sweep.run(now, SWEEP_BATCH);
    }
    const { n, oldest } = usage.get(key) ?? { n: 0, oldest: null };
    if (n < limit) {
      const slotId = randomUUID();
      insert.run(key, slotId, now, now + windowMs);
      return { ok: true, slotId };
    }
    // With no slot at all (a limit of 0) nothing will ever leave; a full window is the honest wait.
    const retryAfterMs = oldest === null ? windowMs : oldest + windowMs - now;
    return { ok: false, retryAfterMs: Math.max(1, retryAfterMs) };
  });

  return {
    tryAcquire: (key, limit, now, windowMs) => guard(() => acquire.immediate(key, limit, ms(now), windowMs)),
    release: (key, slotId) =>
      guard(() => {
        release.run(key, slotId);
      }),
  };
}
