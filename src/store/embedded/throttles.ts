/** Sign-in throttling state on the embedded engine: one row per key that has failed. */
import type { ThrottleState } from '../../domain/records.js';
import type { ThrottleStore } from '../store.js';
import { createGuard, ms, type Db } from './sqlite.js';

interface ThrottleRow {
  failures: number;
  blocked_until: number | null;
}

function fromRow(row: ThrottleRow): ThrottleState {
  return {
    failures: row.failures,
    ...(row.blocked_until === null ? {} : { blockedUntil: new Date(row.blocked_until) }),
  };
}

/** Builds the throttle store over an open, migrated database. */
export function createThrottleStore(db: Db): ThrottleStore {
  const guard = createGuard(db);
  const select = db.prepare<[string], ThrottleRow>('SELECT failures, blocked_until FROM throttles WHERE key = ?');
  const upsert = db.prepare<[string, number, number | null, number]>(
    `INSERT INTO throttles (key, failures, blocked_until, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
       blocked_until = excluded.blocked_until, updated_at = excluded.updated_at`,
  );
  const remove = db.prepare<[string]>('DELETE FROM throttles WHERE key = ?');

  // IMMEDIATE: read, count and write under the write lock, so concurrent failures (in any
  // process sharing the file) each count once. The backoff callback runs inside it; it is pure.
  const failTx = db.transaction((key: string, now: number, backoffMs: (failures: number) => number) => {
    const failures = (select.get(key)?.failures ?? 0) + 1;
    const backoff = backoffMs(failures);
    const blockedUntil = backoff > 0 ? now + backoff : null;
    upsert.run(key, failures, blockedUntil, now);
    return fromRow({ failures, blocked_until: blockedUntil });
  });

  return {
    get: (key) =>
      guard(() => {
        const row = select.get(key);
        return row === undefined ? { failures: 0 } : fromRow(row);
      }),
    recordFailure: (key, now, backoffMs) => guard(() => failTx.immediate(key, ms(now), backoffMs)),
    reset: (key) =>
      guard(() => {
        remove.run(key);
      }),
  };
}
