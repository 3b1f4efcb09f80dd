/**
 * Wraps every operation of the store contract once, for cross-cutting concerns (timing, time
 * limits) that neither the engines nor the use cases should know about. Each aggregate becomes
 * an object that inherits everything from the engine's and shadows each method; calls still run
 * with `this` = the engine's aggregate. `ping` is wrapped too; `close` and `engine` pass through.
 */
import type { Store } from './store.js';

export const STORE_AGGREGATES = [
  'admin',
  'users',
  'sessions',
  'agents',
  'rateLimits',
  'approvals',
  'audit',
  'throttles',
  'delegations',
] as const;

/** Runs one store call: `operation` is `aggregate.method` (or `ping`), `call` performs it. */
export type StoreCallWrapper = (operation: string, call: () => unknown) => unknown;

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

function wrapAggregate<T extends object>(target: T, prefix: string, around: StoreCallWrapper): T {
  const wrapped = Object.create(target) as T;
  for (const name of methodNames(target)) {
    const fn = (target as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
    const operation = `${prefix}${name}`;
    Object.defineProperty(wrapped, name, {
      value: function wrappedStoreCall(...args: unknown[]): unknown {
        return around(operation, () => fn.apply(target, args));
      },
      enumerable: true,
      configurable: true,
      writable: false,
    });
  }
  return wrapped;
}

/** `store` with every aggregate method and `ping` run through `around`. */
export function wrapStore(store: Store, around: StoreCallWrapper): Store {
  const wrapped: Record<string, unknown> = Object.create(store) as Record<string, unknown>;
  for (const key of STORE_AGGREGATES) {
    Object.defineProperty(wrapped, key, { value: wrapAggregate(store[key], `${key}.`, around), enumerable: true });
  }
  Object.defineProperty(wrapped, 'ping', { value: () => around('ping', () => store.ping()), enumerable: true });
  return wrapped as unknown as Store;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
