import { describe, expect, it } from 'vitest';
import { instrumentStore } from '../../../src/observability/instrument-store.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import type { Store } from '../../../src/store/store.js';

/** Just enough of a store: one aggregate with one async, one failing and one sync method. */
function fakeStore() {
  const agents = {
    calls: 0,
    async get(id: string) {
      this.calls += 1;
      return { id };
    },
    async fail() {
      throw new Error('down');
    },
    name() {
      return 'sync';
    },
  };
  const store = {
    engine: 'embedded',
    admin: {},
    users: {},
    sessions: {},
    agents,
    rateLimits: {},
    approvals: {},
    audit: {},
    throttles: {},
    delegations: {},
    ping: async () => undefined,
    close: async () => undefined,
  };
  return { store: store as unknown as Store, agents };
}

describe('metrics', () => {
  it('are per instance: two servers in one process never share counts', async () => {
    const a = createMetrics({ processMetrics: false });
    const b = createMetrics({ processMetrics: false });
    a.rpcCalls.inc({ procedure: '/x.v1.S/M', code: 'ok' });
    expect(await a.render()).toContain('kavach_rpc_calls_total{procedure="/x.v1.S/M",code="ok"} 1');
    expect(await b.render()).not.toContain('procedure="/x.v1.S/M"');
  });

  it('read the audit queue depth from its source at scrape time', async () => {
    const metrics = createMetrics({ processMetrics: false });
    let depth = 3;
    metrics.observeAuditQueue(() => depth);
    expect(await metrics.render()).toContain('kavach_audit_queue_depth 3');
    depth = 0;
    expect(await metrics.render()).toContain('kavach_audit_queue_depth 0');
  });
});

describe('instrumentStore', () => {
  it('times store calls by operation and outcome, keeping results, errors and `this`', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const { store, agents } = fakeStore();
    const timed = instrumentStore(store, metrics);
    expect(await (timed.agents as unknown as typeof agents).get('agt_1')).toEqual({ id: 'agt_1' });
    expect(agents.calls).toBe(1);
    await expect((timed.agents as unknown as typeof agents).fail()).rejects.toThrow('down');
    expect((timed.agents as unknown as typeof agents).name()).toBe('sync');
    await timed.ping();
    expect(timed.engine).toBe('embedded');
    const text = await metrics.render();
    expect(text).toContain('kavach_store_duration_seconds_count{operation="agents.get",outcome="ok"} 1');
    expect(text).toContain('kavach_store_duration_seconds_count{operation="agents.fail",outcome="error"} 1');
    expect(text).toContain('kavach_store_duration_seconds_count{operation="ping",outcome="ok"} 1');
    expect(text).not.toContain('operation="agents.name"');
  });
});
