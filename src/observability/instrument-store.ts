/**
 * Times every store call into `metrics.storeLatency`, without the engines or the use cases
 * knowing. The server wraps the store once, right after opening it.
 */
import type { Store } from '../store/store.js';
import { isThenable, wrapStore } from '../store/wrap-store.js';
import type { Metrics } from './metrics.js';

/**
 * Each aggregate method and `ping` of `store`, timed; `close` and `engine` pass through. Only
 * calls that return a promise are timed; anything else (a sync value, an async iterable) passes
 * through untouched.
 */
export function instrumentStore(store: Store, metrics: Metrics): Store {
  return wrapStore(store, (operation, call) => {
    const stop = metrics.storeLatency.startTimer({ operation });
    let result: unknown;
    try {
      result = call();
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
  });
}
