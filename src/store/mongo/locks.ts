/**
 * A named write lock built only on insert uniqueness, for documents that several kinds of
 * update change (an agent: update, rotateToken, revoke).
 *
 * Why: FerretDB v1 applies an update by reading the document and writing the whole of it back
 * without checking it is unchanged, so two concurrent updates of one document on different
 * connections lose one of them — a revocation could be undone by a concurrent rename, a
 * rotation by a concurrent revoke. Holding this lock around each such update serialises them
 * across every process. On MongoDB the lock is redundant but cheap (a few small writes on rare
 * administrative calls).
 *
 * Each holding is a document `_id` = (name, g): taking the lock is inserting g + 1 after
 * reading holding g as released or expired, and the unique `_id` lets one caller in. The holder
 * marks its own document released (no one else writes it). Holdings are deleted only an hour
 * after their lease ended, so no `_id` is reused while a stale read of it could still act.
 *
 * The lease uses the wall clock (not the contract's `now`): a holder that dies blocks the
 * name for at most LEASE_MS.
 */
import { randomUUID } from 'node:crypto';

import type { Collection } from 'mongodb';

import { storeUnavailable } from '../errors.js';
import { lockKey, type LockDoc } from './codec.js';
import { isDuplicateKey, sleep } from './driver.js';

const LEASE_MS = 10_000;
/** A waiter gives up (unavailable) after this long: the lease plus room for a slow holder. */
const WAIT_MS = LEASE_MS + 5_000;
/** Old holdings of a name are deleted every this many holdings, once they ended this long ago. */
const SWEEP_EVERY = 32;
const SWEEP_AFTER_MS = 60 * 60 * 1000;

export type WithLock = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

export function createLocks(locks: Collection<LockDoc>): WithLock {
  const acquire = async (name: string): Promise<LockDoc> => {
    const deadline = Date.now() + WAIT_MS;
    let delay = 2;
    for (;;) {
      const current = await locks.findOne({ name }, { sort: { gen: -1 } });
      if (current === null || current.released || current.expiresAt.getTime() <= Date.now()) {
        const gen = (current?.gen ?? 0) + 1;
        const mine: LockDoc = {
          _id: lockKey(name, gen),
          name,
          gen,
          token: randomUUID(),
          expiresAt: new Date(Date.now() + LEASE_MS),
          released: false,
        };
        try {
          await locks.insertOne(mine);
          if (gen % SWEEP_EVERY === 0) {
            await locks.deleteMany({ name, gen: { $lt: gen }, expiresAt: { $lt: new Date(Date.now() - SWEEP_AFTER_MS) } });
          }
          return mine;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          continue; // another caller took it first: look again
        }
      }
      if (Date.now() >= deadline) throw storeUnavailable(new Error(`timed out waiting for the write lock ${name}`));
      await sleep(delay + Math.random() * delay);
      delay = Math.min(50, delay * 2);
    }
  };

  return async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const held = await acquire(name);
    try {
      return await fn();
    } finally {
      await locks.updateOne({ _id: held._id, token: held.token }, { $set: { released: true } }).catch(() => undefined);
    }
  };
}
