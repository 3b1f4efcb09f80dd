import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSemaphore } from '../../../src/app/semaphore.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('semaphore', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs at most `permits` jobs at once and queues the rest in order', async () => {
    const sem = createSemaphore(2, 10, 'jobs');
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      sem.run(async () => {
        started.push(i);
        await g.promise;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    gates[0]?.resolve();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates[1]?.resolve();
    gates[2]?.resolve();
    await Promise.all(runs);
  });

  it('refuses with resource_exhausted, and a retry-after, once the queue is full', async () => {
    const sem = createSemaphore(1, 1, 'sign-ins');
    const gate = deferred();
    const first = sem.run(() => gate.promise);
    const second = sem.run(async () => undefined);
    await expect(sem.run(async () => undefined)).rejects.toMatchObject({ kind: 'resource_exhausted', retryAfterSeconds: 1 });
    gate.resolve();
    await Promise.all([first, second]);
  });

  it('rests a permit for as long as its job worked when the duty cycle is one half', async () => {
    vi.useFakeTimers();
    const sem = createSemaphore(1, 10, 'hashes', 0.5);
    const order: string[] = [];
    const first = sem.run(async () => {
      order.push('first start');
      await new Promise((r) => setTimeout(r, 100));
      order.push('first end');
    });
    const second = sem.run(async () => {
      order.push('second start');
    });
    await vi.advanceTimersByTimeAsync(100);
    await first;
    expect(order).toEqual(['first start', 'first end']);
    await vi.advanceTimersByTimeAsync(95);
    expect(order).toEqual(['first start', 'first end']);
    await vi.advanceTimersByTimeAsync(10);
    await second;
    expect(order).toEqual(['first start', 'first end', 'second start']);
  });
});
