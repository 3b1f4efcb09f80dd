/**
 * Health follows the store (src/server/store-health.ts): a hung store turns the health service
 * NOT_SERVING through the periodic bounded ping alone, with no traffic, and SERVING again once
 * the store answers; after stop() the store no longer drives health.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createHealth } from '../../../src/api/health.js';
import { watchStoreHealth, type StoreHealth } from '../../../src/server/store-health.js';
import { openEmbeddedStore } from '../../../src/store/embedded/open.js';
import type { Store } from '../../../src/store/store.js';
import { withTimeLimits } from '../../../src/store/time-limit.js';
import { wrapStore } from '../../../src/store/wrap-store.js';
import { eventually } from '../../support/replicas.js';

describe('store health', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const done of cleanup.splice(0).reverse()) await done();
  });

  function setup() {
    const engine: Store = openEmbeddedStore({ path: ':memory:' });
    const state = { hung: false };
    const switchable = wrapStore(engine, (_operation, call) => (state.hung ? new Promise(() => undefined) : call()));
    const bounded = withTimeLimits(switchable, { timeoutMs: 30, retryMs: 30 });
    const health = createHealth();
    const watcher: StoreHealth = watchStoreHealth({ bounded, ping: () => bounded.store.ping(), health, logger: pino({ level: 'silent' }), intervalMs: 10 });
    cleanup.push(() => engine.close(), () => watcher.stop());
    return { state, health, watcher };
  }

  it('reports NOT_SERVING while the store hangs and SERVING again once it answers, with no traffic', async () => {
    const { state, health, watcher } = setup();
    watcher.start();
    expect(health.isServing()).toBe(true);
    state.hung = true;
    expect(await eventually(async () => !health.isServing(), 5000, 5)).toBe(true);
    state.hung = false;
    expect(await eventually(async () => health.isServing(), 5000, 5)).toBe(true);
  });

  it('leaves health to the caller after stop()', async () => {
    const { state, health, watcher } = setup();
    watcher.start();
    watcher.stop();
    health.setServing(false);
    state.hung = false;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(health.isServing()).toBe(false);
  });
});
