/**
 * A counting semaphore with a bounded queue. Used to keep CPU-heavy work (password hashing)
 * from taking every core: authorization shares the machine and must stay fast.
 */
import { resourceExhausted } from '../domain/errors.js';

export interface Semaphore {
  /** Runs `fn` when a permit is free. Throws resource_exhausted when the queue is full. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * `dutyCycle` (0 < d <= 1) caps the share of time each permit spends working: after a job that
 * took t ms, its permit rests t * (1/d - 1) ms before the next job may use it. At 1 there is no
 * rest.
 */
export function createSemaphore(permits: number, maxQueue: number, what: string, dutyCycle = 1): Semaphore {
  let free = permits;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next !== undefined) next();
    else free += 1;
  };
  return {
    async run(fn) {
      if (free > 0) free -= 1;
      else {
        if (waiting.length >= maxQueue) throw resourceExhausted(`too many ${what} in progress; retry shortly`, 1);
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      const started = performance.now();
      try {
        return await fn();
      } finally {
        const rest = dutyCycle >= 1 ? 0 : (performance.now() - started) * (1 / dutyCycle - 1);
        if (rest > 0) setTimeout(release, rest).unref();
        else release();
      }
    },
  };
}
