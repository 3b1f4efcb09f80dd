import { describe, expect, it } from 'vitest';
import { createAgentCache } from '../../../../src/app/agents/agent-cache.js';
import { openEmbeddedStore } from '../../../../src/store/embedded/open.js';
import type { AgentStore } from '../../../../src/store/store.js';
import { anAgent } from '../../../support/builders.js';

/** A real store whose agent reads are counted and can be held until released. */
function setup() {
  const store = openEmbeddedStore({ path: ':memory:' });
  const reads = { byId: 0, byToken: 0 };
  let gate: Promise<void> = Promise.resolve();
  const agents: AgentStore = {
    ...store.agents,
    // Read first, then hold: a held load returns what the store said when it began.
    get: async (tenantId, id) => {
      reads.byId += 1;
      const held = gate;
      const record = await store.agents.get(tenantId, id);
      await held;
      return record;
    },
    findByTokenHash: async (hash) => {
      reads.byToken += 1;
      const held = gate;
      const record = await store.agents.findByTokenHash(hash);
      await held;
      return record;
    },
  };
  let t = 1_000_000;
  const cache = createAgentCache({ agents, delegations: store.delegations, users: store.users, ttlMs: 1000, nowMs: () => t });
  return {
    store,
    cache,
    reads,
    hold: () => {
      let release = () => {};
      gate = new Promise((r) => (release = r));
      return release;
    },
    advance: (ms: number) => (t += ms),
  };
}

describe('agent cache', () => {
  it('serves every concurrent miss of one agent from a single store read', async () => {
    const { store, cache, reads, advance } = setup();
    const agent = anAgent({ createdAt: new Date(0) });
    await store.agents.create(agent, 10, new Date(0));
    const first = await Promise.all(Array.from({ length: 100 }, () => cache.getById(agent.tenantId, agent.id)));
    expect(reads.byId).toBe(1);
    expect(new Set(first).size).toBe(1);
    // Expired entry, 100 callers at once again (a batch after the TTL): still one read.
    advance(1001);
    await Promise.all(Array.from({ length: 100 }, () => cache.getById(agent.tenantId, agent.id)));
    expect(reads.byId).toBe(2);
    cache.invalidateAll();
    const byToken = await Promise.all(Array.from({ length: 20 }, () => cache.getByTokenHash(agent.tokenHash)));
    expect(reads.byToken).toBe(1);
    expect(byToken.every((a) => a?.record.id === agent.id)).toBe(true);
  });

  it('never hands a caller after an invalidation the load that began before it, nor caches that load', async () => {
    const { store, cache, reads, hold } = setup();
    const agent = anAgent({ name: 'before', createdAt: new Date(0) });
    await store.agents.create(agent, 10, new Date(0));
    const releaseEarly = hold();
    const early = cache.getById(agent.tenantId, agent.id);
    await store.agents.update(agent.tenantId, agent.id, { name: 'after', updatedAt: new Date(1) });
    cache.invalidate(agent.tenantId, agent.id);
    const releaseLate = hold();
    const late = cache.getById(agent.tenantId, agent.id);
    expect(reads.byId).toBe(2);
    // The late load finishes first, then the early one: the early one must not overwrite it.
    releaseLate();
    expect((await late)?.record.name).toBe('after');
    releaseEarly();
    expect((await early)?.record.name).toBe('before');
    expect((await cache.getById(agent.tenantId, agent.id))?.record.name).toBe('after');
    expect(reads.byId).toBe(2);
  });

  it('keeps ids and token hashes apart even when an id looks like a hash', async () => {
    const { store, cache } = setup();
    const agent = anAgent({ createdAt: new Date(0) });
    await store.agents.create(agent, 10, new Date(0));
    const [byToken, byLookalikeId] = await Promise.all([
      cache.getByTokenHash(agent.tokenHash),
      cache.getById(agent.tenantId, agent.tokenHash),
    ]);
    expect(byToken?.record.id).toBe(agent.id);
    expect(byLookalikeId).toBeUndefined();
  });
});
