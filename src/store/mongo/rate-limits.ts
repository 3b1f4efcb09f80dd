/**
 * Sliding-window rate limits on the mongo engine, by slot claim.
 *
 * A window of `limit` calls is `limit` slots, index 0..limit-1. Each holding of a slot is a
 * document `_id` = (key, index, gen); the newest generation is the slot's state, and the slot
 * is free when that holding left the window (`at <= now - windowMs`) or was released. Taking a
 * free slot is an `insertOne` of the next generation — the one write whose uniqueness MongoDB
 * and FerretDB both enforce atomically — so of all callers who saw the slot free exactly one
 * gets it, and at most `limit` calls hold a slot in any window, across every replica. Callers
 * try the free slots in random order, so a burst spreads over them instead of queueing.
 *
 * Holdings are never updated except to mark them released (by their holder only), and deleted
 * only long after they left their window. So no `_id` is reused while a caller could still act
 * on an old read of it (FerretDB applies deletes and updates by `_id` after evaluating the
 * filter, so a reused `_id` could be hit by a stale filter), and no caller can take a
 * generation that was already taken and swept.
 */
import { randomUUID } from 'node:crypto';

import type { AcquireResult, RateLimitStore } from '../store.js';
import { rateSlotKey, type RateSlotDoc } from './codec.js';
import { isDuplicateKey, type Guard } from './driver.js';
import type { Collections } from './schema.js';

/** Reads of the window after every free slot seen was taken by other callers first. */
const MAX_ROUNDS = 8;
/** Free slots tried per read; bounds the work of one call whatever the limit. */
const CANDIDATES_PER_ROUND = 16;
/** How many acquisitions pass between sweeps, and how many documents a sweep deletes. */
const SWEEP_EVERY = 256;
const SWEEP_BATCH = 500;
/**
 * A holding is deleted only once its window ended this long ago: far longer than any caller
 * can sit between reading a slot's newest generation and claiming the next one.
 */
const SWEEP_AFTER_MS = 60 * 60 * 1000;

/** A uniformly shuffled copy of `items` (Fisher–Yates). */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export function createRateLimitStore(c: Collections, guard: Guard): RateLimitStore {
  let sinceSweep = 0;

  /** Forgets holdings whose window ended long ago, in any key (a revoked agent's keys go idle). */
  const sweep = async (now: Date): Promise<void> => {
    const stale = await c.rateSlots
      .find({ until: { $lte: new Date(now.getTime() - SWEEP_AFTER_MS) } }, { projection: { _id: 1 }, limit: SWEEP_BATCH })
      .toArray();
    if (stale.length > 0) await c.rateSlots.deleteMany({ _id: { $in: stale.map((s) => s._id) } });
  };

  const tryAcquire = async (key: string, limit: number, now: Date, windowMs: number): Promise<AcquireResult> => {
    const nowMs = now.getTime();
    const inWindow = (s: RateSlotDoc) => !s.released && s.at.getTime() > nowMs - windowMs;
    // With no slot at all nothing will ever leave the window; a full window is the honest wait.
    if (limit <= 0) return { ok: false, retryAfterMs: Math.max(1, windowMs) };
    if (++sinceSweep >= SWEEP_EVERY) {
      sinceSweep = 0;
      await sweep(now);
    }
    let retryAfterMs = 1;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const holdings = await c.rateSlots
        .find({ key }, { projection: { index: 1, gen: 1, at: 1, released: 1 } })
        .toArray();
      // Every holding in the window counts, whatever its slot (a lowered limit leaves holdings
      // above the new limit, and they still count).
      const live = holdings.filter(inWindow);
      const oldest = live.reduce((min, s) => Math.min(min, s.at.getTime()), Number.POSITIVE_INFINITY);
      if (Number.isFinite(oldest)) retryAfterMs = Math.max(1, oldest + windowMs - nowMs);
      if (live.length >= limit) return { ok: false, retryAfterMs };

      const newest = new Map<number, RateSlotDoc>();
      for (const h of holdings) if ((newest.get(h.index)?.gen ?? 0) < h.gen) newest.set(h.index, h);
      const free: number[] = [];
      for (let index = 0; index < limit && free.length < 4 * CANDIDATES_PER_ROUND; index++) {
        const current = newest.get(index);
        if (current === undefined || !inWindow(current)) free.push(index);
      }
      for (const index of shuffled(free).slice(0, CANDIDATES_PER_ROUND)) {
        const gen = (newest.get(index)?.gen ?? 0) + 1;
        const doc: RateSlotDoc = {
          _id: rateSlotKey(key, index, gen),
          key,
          index,
          gen,
          token: randomUUID(),
          at: new Date(nowMs),
          until: new Date(nowMs + windowMs),
          released: false,
        };
        try {
          await c.rateSlots.insertOne(doc);
          return { ok: true, slotId: doc.token };
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          // Another caller took this slot since our read: try the next one.
        }
      }
      // Every slot tried went to someone else in the meantime: read the window again.
    }
    // Still contended after every round: refuse rather than spin (the caller may retry).
    return { ok: false, retryAfterMs };
  };

  return {
    tryAcquire: (key, limit, now, windowMs) => guard(() => tryAcquire(key, limit, now, windowMs)),
    release: (key, slotId) =>
      guard(async () => {
        // Only the holder knows the token; marking it twice changes nothing the second time.
        await c.rateSlots.updateOne({ key, token: slotId }, { $set: { released: true } });
      }),
  };
}
