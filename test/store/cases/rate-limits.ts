/** RateLimitStore cases: sliding windows, retry-after, release, and atomic acquisition. */
import { expect, it } from 'vitest';
import type { AcquireResult } from '../../../src/store/store.js';
import { randomId } from '../../support/builders.js';
import { at, type StoreUnderTest } from '../contract-support.js';

const WINDOW = 1000;

export function rateLimitCases(store: StoreUnderTest): void {
  const acquire = (key: string, limit: number, ms: number, windowMs = WINDOW) =>
    store().rateLimits.tryAcquire(key, limit, at(ms), windowMs);
  const okCount = (results: readonly AcquireResult[]) => results.filter((r) => r.ok).length;
  const slotOf = (result: AcquireResult): string => {
    if (!result.ok) throw new Error('expected the slot to be granted');
    return result.slotId;
  };

  it('allows exactly `limit` acquisitions in a window and refuses the next', async () => {
    const key = randomId('rl');
    const results: AcquireResult[] = [];
    for (let i = 0; i < 5; i++) results.push(await acquire(key, 5, i * 10));
    expect(okCount(results)).toBe(5);
    expect((await acquire(key, 5, 60)).ok).toBe(false);
  });

  it('hands out a distinct slot id for every granted acquisition', async () => {
    const key = randomId('rl');
    const slots: string[] = [];
    for (let i = 0; i < 5; i++) slots.push(slotOf(await acquire(key, 5, i)));
    expect(new Set(slots).size).toBe(5);
    for (const slot of slots) expect(slot.length).toBeGreaterThan(0);
  });

  it('says on refusal how long until the oldest slot leaves the window', async () => {
    const key = randomId('rl');
    await acquire(key, 3, 0);
    await acquire(key, 3, 100);
    await acquire(key, 3, 200);
    const refused = await acquire(key, 3, 500);
    expect(refused).toMatchObject({ ok: false, retryAfterMs: 500 });
  });

  it('gives a positive retry-after no larger than the window, and it is accurate', async () => {
    const key = randomId('rl');
    await acquire(key, 2, 0);
    await acquire(key, 2, 300);
    const refused = await acquire(key, 2, 999);
    if (refused.ok) throw new Error('expected a refusal');
    expect(refused.retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(WINDOW);
    expect((await acquire(key, 2, 999 + refused.retryAfterMs - 1)).ok).toBe(false);
    expect((await acquire(key, 2, 999 + refused.retryAfterMs)).ok).toBe(true);
  });

  it('forgets slots once they are a full window old (the window is (now - window, now])', async () => {
    const key = randomId('rl');
    for (let i = 0; i < 3; i++) await acquire(key, 3, 0);
    expect((await acquire(key, 3, WINDOW - 1)).ok).toBe(false);
    const later = await Promise.all([acquire(key, 3, WINDOW), acquire(key, 3, WINDOW), acquire(key, 3, WINDOW)]);
    expect(okCount(later)).toBe(3);
    expect((await acquire(key, 3, WINDOW)).ok).toBe(false);
  });

  it('slides the window instead of resetting it at fixed boundaries', async () => {
    const key = randomId('rl');
    await acquire(key, 2, 0);
    await acquire(key, 2, 600);
    expect((await acquire(key, 2, 1000)).ok).toBe(true);
    expect((await acquire(key, 2, 1000)).ok).toBe(false);
    expect((await acquire(key, 2, 1599)).ok).toBe(false);
    expect((await acquire(key, 2, 1600)).ok).toBe(true);
  });

  it('does not take a slot for a refused acquisition', async () => {
    const key = randomId('rl');
    await acquire(key, 1, 0);
    for (let i = 1; i <= 5; i++) expect((await acquire(key, 1, i * 100)).ok).toBe(false);
    expect((await acquire(key, 1, WINDOW)).ok).toBe(true);
  });

  it('keeps separate windows for separate keys', async () => {
    const a = randomId('rl');
    const b = randomId('rl');
    await acquire(a, 1, 0);
    expect((await acquire(a, 1, 1)).ok).toBe(false);
    expect((await acquire(b, 1, 1)).ok).toBe(true);
  });

  it('gives a released slot back to the window', async () => {
    const key = randomId('rl');
    const first = slotOf(await acquire(key, 2, 0));
    await acquire(key, 2, 1);
    expect((await acquire(key, 2, 2)).ok).toBe(false);
    await store().rateLimits.release(key, first);
    expect((await acquire(key, 2, 3)).ok).toBe(true);
    expect((await acquire(key, 2, 4)).ok).toBe(false);
  });

  it('gives a slot back only once however often it is released', async () => {
    const key = randomId('rl');
    const first = slotOf(await acquire(key, 2, 0));
    await acquire(key, 2, 1);
    await store().rateLimits.release(key, first);
    await store().rateLimits.release(key, first);
    await store().rateLimits.release(key, 'no-such-slot');
    expect((await acquire(key, 2, 2)).ok).toBe(true);
    expect((await acquire(key, 2, 3)).ok).toBe(false);
  });

  it('grants exactly `limit` of many concurrent acquisitions', async () => {
    const key = randomId('rl');
    const results = await Promise.all(Array.from({ length: 30 }, () => acquire(key, 10, 0)));
    expect(okCount(results)).toBe(10);
    for (const r of results) if (!r.ok) expect(r.retryAfterMs).toBeGreaterThan(0);
    expect((await acquire(key, 10, 1)).ok).toBe(false);
  });
}
