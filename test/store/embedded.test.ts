/**
 * The embedded (SQLite) engine: the shared conformance suite on `:memory:`, plus what only a
 * file-backed engine promises (docs/ARCHITECTURE.md#storage-engines: "a restart loses nothing").
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/store/embedded/driver.js';
import { MIGRATIONS, migrate } from '../../src/store/embedded/migrations.js';
import { openEmbeddedStore } from '../../src/store/embedded/open.js';
import type { Store } from '../../src/store/store.js';
import { anAgent, anApproval, anAuditRecord, aSession, aTokenHash, aUser } from '../support/builders.js';
import { describeStoreContract } from './contract.js';
import { at, expectKavachError, HOUR, MINUTE } from './contract-support.js';

describeStoreContract('embedded', async () => openEmbeddedStore({ path: ':memory:' }));

describe('embedded store on a file', () => {
  let dir: string;
  let path: string;
  const opened: Store[] = [];
  const open = (): Store => {
    const store = openEmbeddedStore({ path, now: () => at(0) });
    opened.push(store);
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kavach-embedded-'));
    path = join(dir, 'nested', 'kavach.db');
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every aggregate across a close and reopen', async () => {
    const adminHash = aTokenHash();
    const user = aUser();
    const session = aSession({ tenantId: user.tenantId, userId: user.id, createdAt: at(0) });
    const agent = anAgent({ tenantId: user.tenantId, ownerId: user.id, createdAt: at(0) });
    const approval = anApproval({ tenantId: user.tenantId, agentId: agent.id, ownerId: user.id, createdAt: at(0), expiresAt: at(HOUR) });
    const entry = anAuditRecord({ tenantId: user.tenantId, agentId: agent.id, ownerId: user.id, time: at(1) });

    const first = open();
    await first.admin.setAdminTokenHashIfAbsent(adminHash);
    await first.users.create(user);
    await first.sessions.create(session);
    await first.agents.create(agent, 10, at(0));
    await first.approvals.getOrCreatePending(approval, at(0));
    await first.audit.append([entry]);
    await first.throttles.recordFailure('signin:ada', at(0), () => MINUTE);
    expect((await first.rateLimits.tryAcquire('rl:agent', 1, at(0), HOUR)).ok).toBe(true);
    await first.close();

    const second = open();
    expect(await second.admin.getAdminTokenHash()).toBe(adminHash);
    expect(await second.users.get(user.tenantId, user.id)).toEqual(user);
    expect(await second.sessions.findByTokenHash(session.tokenHash)).toEqual(session);
    expect(await second.agents.get(agent.tenantId, agent.id)).toEqual(agent);
    expect(await second.agents.findByTokenHash(agent.tokenHash)).toEqual(agent);
    expect(await second.approvals.get(approval.tenantId, approval.id)).toEqual(approval);
    expect(await second.audit.get(entry.tenantId, entry.id)).toEqual(entry);
    expect(await second.throttles.get('signin:ada')).toEqual({ failures: 1, blockedUntil: at(MINUTE) });
    expect((await second.rateLimits.tryAcquire('rl:agent', 1, at(1), HOUR)).ok).toBe(false);
  });

  it('migrates idempotently: reopening an up-to-date file changes nothing and keeps working', async () => {
    const agent = anAgent({ createdAt: at(0) });
    const first = open();
    await first.agents.create(agent, 10, at(0));
    await first.close();
    for (let i = 0; i < 3; i++) {
      const again = open();
      await again.ping();
      await again.close();
    }
    const last = open();
    expect(await last.agents.get(agent.tenantId, agent.id)).toEqual(agent);
    const listed = await last.agents.list(agent.tenantId, { now: at(0) }, { limit: 10 });
    expect(listed.items).toEqual([agent]);
    await expectKavachError(last.agents.create(agent, 10, at(0)), 'already_exists');
  });

  it('writes nothing of an audit batch that fails on a taken id', async () => {
    const store = open();
    const taken = anAuditRecord({ time: at(0) });
    await store.audit.append([taken]);
    const fresh = anAuditRecord({ tenantId: taken.tenantId, time: at(1) });
    await expectKavachError(store.audit.append([fresh, { ...taken, message: 'again' }]), 'already_exists');
    expect(await store.audit.get(taken.tenantId, fresh.id)).toBeUndefined();
    expect((await store.audit.query(taken.tenantId, {}, { limit: 10 })).total).toBe(1);
  });

  it('counts an audit filter on agent, owner, action, result or time from an index, never by reading the table', async () => {
    // An exact total runs on the server's only thread: it must read matches, not the tenant.
    await open().close();
    const db = new Database(path, { readonly: true });
    try {
      const shapes: [column: string, shape: string][] = [
        ['agent_id', 'agent_id = ?'],
        ['owner_id', 'owner_id = ?'],
        ['action', 'action IN (SELECT value FROM json_each(?))'],
        ['result', 'result = ?'],
        ['time', 'time >= ? AND time < ?'],
      ];
      for (const [column, shape] of shapes) {
        const params = Array.from({ length: shape.split('?').length - 1 }, () => 'x');
        const plan = db
          .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN SELECT COUNT(*) FROM audit WHERE tenant_id = ? AND ${shape}`)
          .all('t', ...params)
          .map((row) => row.detail);
        // The index must narrow by the filtered column too, not only by the tenant.
        const search = new RegExp(`^SEARCH audit USING (COVERING )?INDEX \\w+ \\(tenant_id=\\? AND ${column}[=><]`);
        expect(plan.some((d) => search.test(d)), `${shape}: ${plan.join(' | ')}`).toBe(true);
        expect(plan.some((d) => /^SCAN audit\b/.test(d)), `${shape}: ${plan.join(' | ')}`).toBe(false);
      }
    } finally {
      db.close();
    }
  });

  it('numbers audit entries written before seqs existed in the order they were written, through every later migration', async () => {
    // A file at schema version 1, with entries whose ids do not sort in write order.
    mkdirSync(dirname(path), { recursive: true });
    const old = new Database(path);
    migrate(old, MIGRATIONS.filter((m) => m.version === 1));
    const insert = old.prepare(
      `INSERT INTO audit VALUES (?, ?, ?, '{"kind":"admin","id":"admin"}', 'agt_a', 'usr_a', 'read', 'r', '{}',
        'allowed', 'ALLOWED', '', '', '[]', 1, '')`,
    );
    const ids = ['aud_c', 'aud_a', 'aud_b'];
    for (const [i, id] of ids.entries()) insert.run('ten_old', id, i);
    old.close();

    const store = open();
    expect((await store.audit.readAfter(0, 10)).map((e) => [e.id, e.seq])).toEqual([['aud_c', 1], ['aud_a', 2], ['aud_b', 3]]);
    const [next] = await store.audit.append([anAuditRecord({ tenantId: 'ten_old' })]);
    expect(next?.seq).toBe(4);
  });
});
