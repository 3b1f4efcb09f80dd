/**
 * The store time limit and circuit (src/store/time-limit.ts) over the embedded engine: a hung
 * store call fails as unavailable instead of hanging, later calls fail at once while the store
 * is known to be down, one probe is let through after the retry interval, and a store that
 * answers again closes the circuit by itself. The wrapped store still passes the contract suite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KavachError } from '../../src/domain/errors.js';
import { openEmbeddedStore } from '../../src/store/embedded/open.js';
import { storeConflict } from '../../src/store/errors.js';
import type { Store } from '../../src/store/store.js';
import { StoreCircuitOpenError, StoreTimeoutError, withTimeLimits } from '../../src/store/time-limit.js';
import { wrapStore } from '../../src/store/wrap-store.js';
import { anAgent, aTokenHash } from '../support/builders.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('embedded, time-limited', async () => withTimeLimits(openEmbeddedStore({ path: ':memory:' }), { timeoutMs: 5000 }).store);

/** An embedded store that can be switched to hang (never answer) or fail like a lost connection. */
function switchableStore() {
  const engine = openEmbeddedStore({ path: ':memory:' });
  const state = { mode: 'ok' as 'ok' | 'hang' | 'slow-query' | 'conflict', reached: 0 };
  const store = wrapStore(engine, (operation, call) => {
    state.reached++;
    if (state.mode === 'hang' || (state.mode === 'slow-query' && operation === 'audit.query')) return new Promise(() => undefined);
    if (state.mode === 'conflict') return Promise.reject(storeConflict('record already exists'));
    return call();
  });
  return { engine, store, state };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

async function failureOf(call: Promise<unknown>): Promise<KavachError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof KavachError) return err;
    throw err;
  }
  return expect.fail('expected the store call to fail');
}

describe('store time limits', () => {
  const opened: Store[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  function setup() {
    const s = switchableStore();
    opened.push(s.engine);
    let clock = 0;
    const bounded = withTimeLimits(s.store, { timeoutMs: 50, retryMs: 1000, now: () => clock });
    const changes: boolean[] = [];
    bounded.onAvailabilityChange((available) => changes.push(available));
    /** Hangs the store and waits until a call found it hung and the ping that followed confirmed it. */
    const hangUntilDown = async (): Promise<KavachError> => {
      s.state.mode = 'hang';
      const err = await failureOf(bounded.store.admin.getAdminTokenHash());
      await until(() => !bounded.isAvailable());
      return err;
    };
    return { ...s, bounded, changes, hangUntilDown, advance: (ms: number) => (clock += ms) };
  }

  it('fails a hung call as unavailable once the limit passed, and counts the store as down once a ping confirms it', async () => {
    const { bounded, state, changes } = setup();
    state.mode = 'hang';
    const err = await failureOf(bounded.store.agents.findByTokenHash(aTokenHash()));
    expect(err.kind).toBe('unavailable');
    expect(err.cause).toBeInstanceOf(StoreTimeoutError);
    expect((err.cause as StoreTimeoutError).operation).toBe('agents.findByTokenHash');
    await until(() => !bounded.isAvailable());
    expect(changes).toEqual([false]);
  });

  it('does not count the store as down for one slow call when the store answers a ping', async () => {
    const { bounded, state, changes } = setup();
    state.mode = 'slow-query';
    const err = await failureOf(bounded.store.audit.query('t1', {}, { limit: 10 }));
    expect(err.cause).toBeInstanceOf(StoreTimeoutError);
    // The ping that followed answered: other calls keep reaching the store.
    await bounded.store.ping();
    expect(await bounded.store.agents.findByTokenHash(aTokenHash())).toBeUndefined();
    expect(bounded.isAvailable()).toBe(true);
    expect(changes).toEqual([]);
  });

  it('fails calls at once without reaching the store while it is known to be down', async () => {
    const { bounded, state, hangUntilDown } = setup();
    await hangUntilDown();
    state.mode = 'ok';
    const reached = state.reached;
    const err = await failureOf(bounded.store.agents.create(anAgent(), 10, new Date()));
    expect(err.kind).toBe('unavailable');
    expect(err.cause).toBeInstanceOf(StoreCircuitOpenError);
    expect(state.reached).toBe(reached);
  });

  it('lets one probe through after the retry interval; an answer closes the circuit', async () => {
    const { bounded, state, changes, advance, hangUntilDown } = setup();
    await hangUntilDown();
    advance(1000);
    state.mode = 'ok';
    const reached = state.reached;
    expect(await bounded.store.agents.findByTokenHash(aTokenHash())).toBeUndefined();
    expect(state.reached).toBe(reached + 1);
    expect(bounded.isAvailable()).toBe(true);
    expect(changes).toEqual([false, true]);
  });

  it('opens again when the probe fails, and fails fast while the probe is out', async () => {
    const { bounded, state, advance, hangUntilDown } = setup();
    await hangUntilDown();
    advance(1000);
    const probe = failureOf(bounded.store.admin.getAdminTokenHash());
    const meanwhile = await failureOf(bounded.store.admin.getAdminTokenHash());
    expect(meanwhile.cause).toBeInstanceOf(StoreCircuitOpenError);
    expect((await probe).cause).toBeInstanceOf(StoreTimeoutError);
    state.mode = 'ok';
    expect((await failureOf(bounded.store.admin.getAdminTokenHash())).cause).toBeInstanceOf(StoreCircuitOpenError);
    expect(bounded.isAvailable()).toBe(false);
  });

  it('always lets ping reach the store, so a ping ends an outage without waiting for traffic', async () => {
    const { bounded, state, changes } = setup();
    state.mode = 'hang';
    expect((await failureOf(bounded.store.ping())).cause).toBeInstanceOf(StoreTimeoutError);
    expect((await failureOf(bounded.store.ping())).cause).toBeInstanceOf(StoreTimeoutError);
    state.mode = 'ok';
    await bounded.store.ping();
    expect(bounded.isAvailable()).toBe(true);
    expect(changes).toEqual([false, true]);
  });

  it('does not count an answer that is an ordinary error as the store being down', async () => {
    const { bounded, state } = setup();
    state.mode = 'conflict';
    expect((await failureOf(bounded.store.users.create({} as never))).kind).toBe('already_exists');
    expect(bounded.isAvailable()).toBe(true);
  });
});
