/**
 * Health follows the store: the gRPC health service and `/healthz` report NOT_SERVING from the
 * moment a store call finds the store unreachable or hung (time-limit.ts) until it answers
 * again, and SERVING again by itself after that. A bounded `ping` every `intervalMs` notices an
 * outage without waiting for traffic, and is what ends one (calls fail fast meanwhile).
 */
import type { Logger } from 'pino';
import type { HealthService } from '../api/health.js';
import type { BoundedStore } from '../store/time-limit.js';

/** How often the store is pinged, in milliseconds. */
export const STORE_PING_INTERVAL_MS = 1000;

export interface StoreHealth {
  /** Reports the store's availability on `health` from now on, and starts the periodic ping. */
  start(): void;
  /** Stops pinging and reporting; the caller then owns `health` (shutdown sets NOT_SERVING). */
  stop(): void;
}

export function watchStoreHealth(deps: {
  readonly bounded: BoundedStore;
  /** The store's ping, bounded by the store time limit. */
  readonly ping: () => Promise<void>;
  readonly health: HealthService;
  readonly logger: Logger;
  readonly intervalMs?: number;
}): StoreHealth {
  const { bounded, health, logger } = deps;
  const intervalMs = deps.intervalMs ?? STORE_PING_INTERVAL_MS;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;

  const schedule = (): void => {
    if (!running) return;
    timer = setTimeout(() => {
      // The ping is bounded by the store time limit, so pings never pile up.
      deps.ping().then(schedule, (err: unknown) => {
        logger.debug({ err }, 'store ping failed');
        schedule();
      });
    }, intervalMs);
  };

  return {
    start() {
      if (running) return;
      running = true;
      unsubscribe = bounded.onAvailabilityChange((available) => {
        if (available) logger.info('store answers again; reporting SERVING');
        else logger.warn('store unreachable or hung; failing calls fast and reporting NOT_SERVING');
        if (running) health.setServing(available);
      });
      health.setServing(bounded.isAvailable());
      schedule();
    },
    stop() {
      running = false;
      clearTimeout(timer);
      unsubscribe?.();
    },
  };
}
