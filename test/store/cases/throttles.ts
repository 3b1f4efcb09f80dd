/** ThrottleStore cases: atomic failure counts, backoff from the callback, reset. */
import { expect, it } from 'vitest';
import { randomId } from '../../support/builders.js';
import { at, MINUTE, SECOND, type StoreUnderTest } from '../contract-support.js';

export function throttleCases(store: StoreUnderTest): void {
  const never = () => 0;

  it('reports zero failures and no block for an unknown key', async () => {
    const state = await store().throttles.get(randomId('thr'));
    expect(state.failures).toBe(0);
    expect(state.blockedUntil).toBeUndefined();
  });

  it('counts consecutive failures and passes the new count to the backoff callback', async () => {
    const key = randomId('thr');
    const seen: number[] = [];
    const backoff = (failures: number) => {
      seen.push(failures);
      return 0;
    };
    for (let i = 1; i <= 3; i++) expect((await store().throttles.recordFailure(key, at(i), backoff)).failures).toBe(i);
    expect(seen).toEqual([1, 2, 3]);
    expect((await store().throttles.get(key)).failures).toBe(3);
  });

  it('blocks until now plus the backoff the callback gives', async () => {
    const key = randomId('thr');
    const backoff = (failures: number) => (failures >= 2 ? failures * SECOND : 0);
    const first = await store().throttles.recordFailure(key, at(0), backoff);
    expect(first.blockedUntil).toBeUndefined();
    const second = await store().throttles.recordFailure(key, at(MINUTE), backoff);
    expect(second).toEqual({ failures: 2, blockedUntil: at(MINUTE + 2 * SECOND) });
    expect(await store().throttles.get(key)).toEqual({ failures: 2, blockedUntil: at(MINUTE + 2 * SECOND) });
  });

  it('clears the block when the backoff for a later failure is zero', async () => {
    const key = randomId('thr');
    await store().throttles.recordFailure(key, at(0), () => MINUTE);
    const next = await store().throttles.recordFailure(key, at(SECOND), never);
    expect(next.failures).toBe(2);
    expect(next.blockedUntil).toBeUndefined();
    expect((await store().throttles.get(key)).blockedUntil).toBeUndefined();
  });

  it('forgets a key on reset, so counting starts again from one', async () => {
    const key = randomId('thr');
    await store().throttles.recordFailure(key, at(0), () => MINUTE);
    await store().throttles.recordFailure(key, at(1), () => MINUTE);
    await store().throttles.reset(key);
    const state = await store().throttles.get(key);
    expect(state.failures).toBe(0);
    expect(state.blockedUntil).toBeUndefined();
    expect((await store().throttles.recordFailure(key, at(2), never)).failures).toBe(1);
  });

  it('keeps separate counts for separate keys', async () => {
    const a = randomId('thr');
    const b = randomId('thr');
    await store().throttles.recordFailure(a, at(0), never);
    await store().throttles.recordFailure(a, at(1), never);
    await store().throttles.recordFailure(b, at(2), never);
    await store().throttles.reset(b);
    expect((await store().throttles.get(a)).failures).toBe(2);
    expect((await store().throttles.get(b)).failures).toBe(0);
  });

  it('counts every one of many concurrent failures exactly once', async () => {
    const key = randomId('thr');
    const states = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store().throttles.recordFailure(key, at(i), never)),
    );
    expect(states.map((s) => s.failures).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await store().throttles.get(key)).failures).toBe(10);
  });
}
