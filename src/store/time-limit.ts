/**
 * Bounded store calls (KAVACH_STORE_TIMEOUT_MS) and a circuit breaker, around the whole store
 * contract whatever the engine. A store that hangs (a frozen database, a lost network without
 * resets) would otherwise hang every call with it: here each call fails as `unavailable` once it
 * has taken `timeoutMs`.
 *
 * One slow or failed call does not make the store count as down (an expensive query must not
 * fail everyone else's calls): it starts a `ping`, itself bounded, and only a failed ping opens
 * the circuit. While the circuit is open, calls fail as `unavailable` at once instead of each
 * waiting out its own limit. After `retryMs` one call is let through as a probe (half open); an
 * answer from the store (any answer that is not "unavailable") closes the circuit, a failure
 * opens it again. `ping` always reaches the store, so a periodic health ping both detects an
 * outage and ends one without waiting for traffic.
 *
 * A timed-out call is abandoned, not cancelled: its write may still land when the store wakes
 * up, exactly as after a network failure. Callers already treat `unavailable` as "outcome
 * unknown": Authorize fails closed on it, and an audit id is only returned once committed.
 */
import { KavachError } from '../domain/errors.js';
import { storeUnavailable } from './errors.js';
import type { Store } from './store.js';
import { isThenable, wrapStore } from './wrap-store.js';

/** The cause of the unavailable error a store call fails with when it takes too long. */
export class StoreTimeoutError extends Error {
  override readonly name = 'StoreTimeoutError';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`store operation ${operation} took longer than ${timeoutMs} ms`);
  }
}

/** The cause of the unavailable error a store call fails with, at once, while the circuit is open. */
export class StoreCircuitOpenError extends Error {
  override readonly name = 'StoreCircuitOpenError';
  constructor(readonly operation: string) {
    super(`store operation ${operation} not attempted: the store did not answer moments ago`);
  }
}

export interface TimeLimitOptions {
  /** Longest a store call may take before it fails as unavailable, in milliseconds. */
  readonly timeoutMs: number;
  /** How long the circuit stays open before one call may probe the store. Default: min(1000, timeoutMs). */
  readonly retryMs?: number;
  /** A monotonic clock in milliseconds; tests inject one. Default `performance.now`. */
  readonly now?: () => number;
}

export interface BoundedStore {
  /** The store with every call bounded and gated by the circuit. */
  readonly store: Store;
  /** False from a call that found the store unreachable or hung until one that got an answer. */
  isAvailable(): boolean;
  /** Calls `listener` with each change of `isAvailable()`; returns the unsubscribe function. */
  onAvailabilityChange(listener: (available: boolean) => void): () => void;
}

function isUnavailable(err: unknown): boolean {
  return err instanceof KavachError && err.kind === 'unavailable';
}

/** Wraps `store` so that every call is bounded by `timeoutMs` and fails fast while the store is down. */
export function withTimeLimits(store: Store, options: TimeLimitOptions): BoundedStore {
  const { timeoutMs } = options;
  const retryMs = options.retryMs ?? Math.min(1000, timeoutMs);
  const now = options.now ?? (() => performance.now());
  const listeners = new Set<(available: boolean) => void>();
  // closed: calls go through; open: calls fail fast until retryMs passed; probing: one call is out.
  let state: 'closed' | 'open' | 'probing' = 'closed';
  let openedAt = 0;
  let verifying = false;
  // Set once the wrapped store exists: a ping through it, whose outcome opens or closes the circuit.
  let verify: () => void = () => undefined;

  const emit = (available: boolean): void => {
    for (const listener of [...listeners]) listener(available);
  };
  const answered = (): void => {
    if (state === 'closed') return;
    state = 'closed';
    emit(true);
  };
  const failed = (): void => {
    openedAt = now();
    const wasClosed = state === 'closed';
    state = 'open';
    if (wasClosed) emit(false);
  };
  /** Whether a call may reach the store now; a call admitted while open is the probe. */
  const admit = (operation: string): boolean => {
    if (state === 'closed' || operation === 'ping') return true;
    if (state === 'open' && now() - openedAt >= retryMs) {
      state = 'probing';
      return true;
    }
    return false;
  };
  /** A call found the store unreachable or hung. */
  const unanswered = (operation: string): void => {
    // A ping, or the probe of an open circuit: the store is down.
    if (operation === 'ping' || state === 'probing') failed();
    // One call's failure may be the call's own fault (an expensive query): ask the store.
    else if (state === 'closed') verify();
  };
  const settle = (operation: string, err: unknown): void => {
    if (isUnavailable(err)) unanswered(operation);
    else answered();
  };

  const bounded = wrapStore(store, (operation, call) => {
    // Every contract method returns a promise: a refusal is a rejection, not a throw.
    if (!admit(operation)) return Promise.reject(storeUnavailable(new StoreCircuitOpenError(operation)));
    let result: unknown;
    try {
      result = call();
    } catch (err) {
      settle(operation, err);
      throw err;
    }
    if (!isThenable(result)) {
      answered();
      return result;
    }
    return new Promise<unknown>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        unanswered(operation);
        reject(storeUnavailable(new StoreTimeoutError(operation, timeoutMs)));
      }, timeoutMs);
      // A pending store call must not keep the process alive on its own.
      timer.unref();
      result.then(
        (value) => {
          clearTimeout(timer);
          // Even a late answer shows the store is back.
          answered();
          if (!timedOut) resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (timedOut) return;
          settle(operation, err);
          reject(err);
        },
      );
    });
  });

  verify = () => {
    if (verifying) return;
    verifying = true;
    // The ping's own outcome opens the circuit (or keeps it closed); nothing to handle here.
    bounded.ping().then(
      () => (verifying = false),
      () => (verifying = false),
    );
  };

  return {
    store: bounded,
    isAvailable: () => state === 'closed',
    onAvailabilityChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
