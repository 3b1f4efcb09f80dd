/**
 * Sign-in throttling on the mongo engine: one document per failure, `_id` = (key, n).
 *
 * A failure claims the next ordinal n with an insert: n concurrent failures in any number of
 * processes claim n distinct ordinals (the insert's unique `_id` decides each), so every one is
 * counted exactly once and each caller learns its own count. A key's state is its highest
 * ordinal and the block computed for it; a reset deletes the key's documents. No update is
 * involved, so nothing can be lost on FerretDB. (Older failures of a key are kept until its
 * reset rather than pruned: a prune racing a reset could delete a re-inserted ordinal, since
 * FerretDB deletes by `_id` after evaluating the filter. Backoff bounds how many accrue.)
 */
import type { ThrottleState } from '../../domain/records.js';
import type { ThrottleStore } from '../store.js';
import { throttleFailureKey, type ThrottleFailureDoc } from './codec.js';
import { isDuplicateKey, type Guard } from './driver.js';
import type { Collections } from './schema.js';

/** Ordinals tried after the highest one seen before giving up as unavailable (extreme contention). */
const MAX_CLAIMS = 1000;

function stateOf(doc: ThrottleFailureDoc | null): ThrottleState {
  if (doc === null) return { failures: 0 };
  return {
    failures: doc.n,
    ...(doc.blockedUntil === null ? {} : { blockedUntil: new Date(doc.blockedUntil.getTime()) }),
  };
}

export function createThrottleStore(c: Collections, guard: Guard): ThrottleStore {
  const latest = (key: string) => c.throttleFailures.findOne({ key }, { sort: { n: -1 } });

  const recordFailure = async (key: string, now: Date, backoffMs: (failures: number) => number): Promise<ThrottleState> => {
    const start = ((await latest(key))?.n ?? 0) + 1;
    for (let n = start; n < start + MAX_CLAIMS; n++) {
      const backoff = backoffMs(n);
      const doc: ThrottleFailureDoc = {
        _id: throttleFailureKey(key, n),
        key,
        n,
        at: new Date(now.getTime()),
        blockedUntil: backoff > 0 ? new Date(now.getTime() + backoff) : null,
      };
      try {
        await c.throttleFailures.insertOne(doc);
      } catch (err) {
        if (isDuplicateKey(err)) continue; // another failure took this ordinal: take the next
        throw err;
      }
      return stateOf(doc);
    }
    throw new Error(`could not count a failure for a throttle key after ${MAX_CLAIMS} attempts`);
  };

  return {
    get: (key) => guard(async () => stateOf(await latest(key))),
    recordFailure: (key, now, backoffMs) => guard(() => recordFailure(key, now, backoffMs)),
    reset: (key) =>
      guard(async () => {
        await c.throttleFailures.deleteMany({ key });
      }),
  };
}
