/**
 * Times every store call into `metrics.storeLatency`, without the engines or the use cases
 * knowing. The server wraps the store once, right after opening it.
 */
import type { Store } from '../store/store.js';
import type { Metrics } from './metrics.js';

const AGGREGATES = ['admin', 'users', 'sessions', 'agents', 'rateLimits', 'approvals', 'audit', 'throttles', 'delegations'] as const;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Every function reachable on `obj` (own or inherited, below Object.prototype), by name. */
function methodNames(obj: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = obj; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key === 'constructor') continue;
      const desc = Object.getOwnPropertyDescriptor(o, key);
      if (desc !== undefined && typeof desc.value === 'function') names.add(key);
    }
  }
  return [...names];
}

/**
 * An object that inherits everything from `target` and shadows each method with a timed one.
 * Calls still run with `this` = `target`. Only calls that return a promise are timed; anything
 * else (a sync value, an async iterable) passes through untouched.
 */
function timed<T extends object>(target: T, prefix: string, metrics: Metrics): T {
  const wrapped = Object.create(target) as T;
  for (const name of methodNames(target)) {
    const fn = (target as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
    const operation = `${prefix}${name}`;
    Object.defineProperty(wrapped, name, {
      value: function timedStoreCall(...args: unknown[]): unknown {
        const stop = metrics.storeLatency.startTimer({ operation });
        let result: unknown;
        try {
          result = fn.apply(target, args);
        } catch (err) {
          stop({ outcome: 'error' });
          throw err;
        }
        if (!isThenable(result)) return result;
        return Promise.resolve(result).then(
          (value) => {
            stop({ outcome: 'ok' });
            return value;
          },
          (err: unknown) => {
            stop({ outcome: 'error' });
            throw err;
          },
        );
      },
      enumerable: true,
      configurable: true,
      writable: false,
    });
  }
  return wrapped;
}

/** Wraps each aggregate store and `ping` of `store`; `close` and `engine` pass through. */
export function instrumentStore(store: Store, metrics: Metrics): Store {
  const wrapped: Record<string, unknown> = Object.create(store) as Record<string, unknown>;
  for (const key of AGGREGATES) {
    Object.defineProperty(wrapped, key, { value: timed(store[key], `${key}.`, metrics), enumerable: true });
  }
  const ping = timed({ ping: () => store.ping() }, '', metrics);
  Object.defineProperty(wrapped, 'ping', { value: () => ping.ping(), enumerable: true });
  return wrapped as unknown as Store;
}
