/** AgentStore cases: create with quota, lookups, update, rotate, revoke, isolation. */
import { expect, it } from 'vitest';
import type { Permission } from '../../../src/domain/types.js';
import type { AgentRecord } from '../../../src/domain/records.js';
import { anAgent, aPermission, aTokenHash, randomId } from '../../support/builders.js';
import { at, expectKavachError, HOUR, MINUTE, type StoreUnderTest } from '../contract-support.js';

const NO_QUOTA = 1_000_000;

const RICH_PERMISSION: Permission = {
  resource: 'mcp:github:*',
  actions: ['read', 'write'],
  constraints: {
    maxCallsPerHour: 50,
    ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'],
    timeWindow: { start: '22:00', end: '06:00', days: ['mon', 'fri'], timeZone: 'Europe/Berlin' },
    argumentRules: [
      { name: 'path', kind: 'glob', glob: 'src/**' },
      { name: 'branch', kind: 'values', values: ['main', 'dev'] },
      { name: 'count', kind: 'range', min: 1, max: 10 },
      { name: 'size', kind: 'range', max: 99.5 },
    ],
    requireApproval: true,
  },
};

export function agentCases(store: StoreUnderTest): void {
  const create = (agent: AgentRecord, quota = NO_QUOTA, now = at(0)) => store().agents.create(agent, quota, now);

  it('reads a created agent back by id exactly as written, permissions and dates included', async () => {
    const agent = anAgent({
      type: 'service',
      permissions: [RICH_PERMISSION, aPermission({ resource: '*', actions: ['*'] })],
      metadata: { team: 'infra', 'cost-centre': '42' },
      createdAt: new Date('2026-03-04T05:06:07.089Z'),
      updatedAt: new Date('2026-03-04T05:06:07.090Z'),
      expiresAt: new Date('2027-01-01T00:00:00.001Z'),
    });
    expect(await create(agent)).toBe(true);
    const read = await store().agents.get(agent.tenantId, agent.id);
    expect(read).toEqual(agent);
    expect(read?.expiresAt).toBeInstanceOf(Date);
    expect(read?.revokedAt).toBeUndefined();
  });

  it('returns undefined for an agent id that does not exist', async () => {
    const agent = anAgent();
    await create(agent);
    expect(await store().agents.get(agent.tenantId, randomId('agt'))).toBeUndefined();
  });

  it('finds an agent by its token hash, with its tenant, from no tenant at all', async () => {
    const agent = anAgent();
    await create(agent);
    await create(anAgent());
    expect(await store().agents.findByTokenHash(agent.tokenHash)).toEqual(agent);
    expect(await store().agents.findByTokenHash(aTokenHash())).toBeUndefined();
  });

  it('stores an agent past its expiry as active (expired is never stored)', async () => {
    const agent = anAgent({ createdAt: at(0), expiresAt: at(MINUTE) });
    await create(agent);
    expect((await store().agents.get(agent.tenantId, agent.id))?.status).toBe('active');
  });

  it('refuses a second agent with the same id', async () => {
    const agent = anAgent();
    await create(agent);
    await expectKavachError(create(anAgent({ id: agent.id, tenantId: agent.tenantId, ownerId: agent.ownerId })), 'already_exists');
  });

  it('refuses a second agent with the same token hash, even in another tenant', async () => {
    const agent = anAgent();
    await create(agent);
    const clash = anAgent({ tokenHash: agent.tokenHash });
    await expectKavachError(create(clash), 'already_exists');
    expect(await store().agents.get(clash.tenantId, clash.id)).toBeUndefined();
    expect(await store().agents.findByTokenHash(agent.tokenHash)).toEqual(agent);
  });

  it("hides a tenant's agents from every other tenant", async () => {
    const agent = anAgent();
    const other = randomId('ten');
    await create(agent);
    expect(await store().agents.get(other, agent.id)).toBeUndefined();
    expect(await store().agents.update(other, agent.id, { name: 'x', updatedAt: at(1) })).toBeUndefined();
    expect(await store().agents.rotateToken(other, agent.id, aTokenHash(), 'kv_x', at(1))).toBeUndefined();
    expect(await store().agents.revoke(other, agent.id, at(1))).toBeUndefined();
    const list = await store().agents.list(other, { now: at(0) }, { limit: 100 });
    expect(list.items).toEqual([]);
    expect(await store().agents.get(agent.tenantId, agent.id)).toEqual(agent);
  });

  // Quota -----------------------------------------------------------------------------------

  it('refuses, inserting nothing, when the owner already has `quota` active agents', async () => {
    const tenantId = randomId('ten');
    const ownerId = randomId('usr');
    for (let i = 0; i < 3; i++) expect(await create(anAgent({ tenantId, ownerId }), 3)).toBe(true);
    const extra = anAgent({ tenantId, ownerId });
    expect(await create(extra, 3)).toBe(false);
    expect(await store().agents.get(tenantId, extra.id)).toBeUndefined();
    expect(await store().agents.findByTokenHash(extra.tokenHash)).toBeUndefined();
  });

  it('does not count revoked agents, or agents expired at `now`, against the quota', async () => {
    const tenantId = randomId('ten');
    const ownerId = randomId('usr');
    const now = at(HOUR);
    const revoked = anAgent({ tenantId, ownerId });
    await create(revoked, 10, now);
    await store().agents.revoke(tenantId, revoked.id, at(1));
    await create(anAgent({ tenantId, ownerId, expiresAt: at(HOUR - 1) }), 10, at(0));
    await create(anAgent({ tenantId, ownerId, expiresAt: now }), 10, at(0));
    await create(anAgent({ tenantId, ownerId, status: 'revoked', revokedAt: at(1) }), 10, at(0));
    expect(await create(anAgent({ tenantId, ownerId }), 1, now)).toBe(true);
    expect(await create(anAgent({ tenantId, ownerId }), 1, now)).toBe(false);
  });

  it('counts an agent whose expiry is still ahead of `now` against the quota', async () => {
    const tenantId = randomId('ten');
    const ownerId = randomId('usr');
    await create(anAgent({ tenantId, ownerId, expiresAt: at(HOUR + 1) }), 10, at(0));
    expect(await create(anAgent({ tenantId, ownerId }), 1, at(HOUR))).toBe(false);
    expect(await create(anAgent({ tenantId, ownerId }), 1, at(HOUR + 1))).toBe(true);
  });

  it("counts only the owner's own agents in the tenant against the quota", async () => {
    const tenantId = randomId('ten');
    const ownerId = randomId('usr');
    await create(anAgent({ tenantId, ownerId: randomId('usr') }), 10);
    await create(anAgent({ tenantId: randomId('ten'), ownerId }), 10);
    expect(await create(anAgent({ tenantId, ownerId }), 1)).toBe(true);
  });

  it('never lets concurrent creates exceed the quota', async () => {
    const tenantId = randomId('ten');
    const ownerId = randomId('usr');
    const results = await Promise.all(Array.from({ length: 12 }, () => create(anAgent({ tenantId, ownerId }), 5)));
    expect(results.filter(Boolean)).toHaveLength(5);
    const listed = await store().agents.list(tenantId, { ownerId, now: at(0) }, { limit: 100 });
    expect(listed.items).toHaveLength(5);
  });

  // Update ----------------------------------------------------------------------------------

  it('updates only the fields set in the patch', async () => {
    const agent = anAgent({ createdAt: at(0), expiresAt: at(HOUR) });
    await create(agent);
    const updated = await store().agents.update(agent.tenantId, agent.id, { name: 'renamed', updatedAt: at(MINUTE) });
    const expected = { ...agent, name: 'renamed', updatedAt: at(MINUTE) };
    expect(updated).toEqual(expected);
    expect(await store().agents.get(agent.tenantId, agent.id)).toEqual(expected);
  });

  it('replaces permissions, metadata and expiry when the patch sets them', async () => {
    const agent = anAgent({ createdAt: at(0) });
    await create(agent);
    const patch = {
      permissions: [RICH_PERMISSION],
      metadata: { env: 'prod' },
      expiresAt: at(2 * HOUR),
      updatedAt: at(MINUTE),
    };
    const updated = await store().agents.update(agent.tenantId, agent.id, patch);
    expect(updated).toEqual({ ...agent, ...patch });
    expect(await store().agents.get(agent.tenantId, agent.id)).toEqual({ ...agent, ...patch });
  });

  it('clears the expiry when the patch sets it to null', async () => {
    const agent = anAgent({ createdAt: at(0), expiresAt: at(HOUR) });
    await create(agent);
    const updated = await store().agents.update(agent.tenantId, agent.id, { expiresAt: null, updatedAt: at(1) });
    expect(updated?.expiresAt).toBeUndefined();
    expect((await store().agents.get(agent.tenantId, agent.id))?.expiresAt).toBeUndefined();
    expect((await store().agents.get(agent.tenantId, agent.id))?.name).toBe(agent.name);
  });

  it('applies a patch guarded by unlessExpiredAt only to an agent not expired at that instant', async () => {
    const expiring = anAgent({ createdAt: at(0), expiresAt: at(HOUR) });
    const lasting = anAgent({ tenantId: expiring.tenantId, createdAt: at(0) });
    await create(expiring);
    await create(lasting);
    // At its expiry instant the agent counts as expired: nothing changes.
    const refused = await store().agents.update(expiring.tenantId, expiring.id, {
      expiresAt: null,
      name: 'revived',
      updatedAt: at(HOUR),
      unlessExpiredAt: at(HOUR),
    });
    expect(refused).toEqual(expiring);
    expect(await store().agents.get(expiring.tenantId, expiring.id)).toEqual(expiring);
    // Just before it, and for an agent with no expiry, the patch applies.
    const moved = await store().agents.update(expiring.tenantId, expiring.id, {
      expiresAt: at(2 * HOUR),
      updatedAt: at(HOUR - 1),
      unlessExpiredAt: at(HOUR - 1),
    });
    expect(moved?.expiresAt).toEqual(at(2 * HOUR));
    const renamed = await store().agents.update(lasting.tenantId, lasting.id, { name: 'kept', updatedAt: at(HOUR), unlessExpiredAt: at(HOUR) });
    expect(renamed?.name).toBe('kept');
  });

  it('returns undefined when updating a missing agent', async () => {
    expect(await store().agents.update(randomId('ten'), randomId('agt'), { name: 'x', updatedAt: at(0) })).toBeUndefined();
  });

  it('returns a revoked agent unchanged instead of updating it', async () => {
    const agent = anAgent({ createdAt: at(0) });
    await create(agent);
    const revoked = (await store().agents.revoke(agent.tenantId, agent.id, at(MINUTE)))?.agent;
    const result = await store().agents.update(agent.tenantId, agent.id, { name: 'renamed', expiresAt: null, updatedAt: at(HOUR) });
    expect(result).toEqual(revoked);
    expect(result?.status).toBe('revoked');
    expect(await store().agents.get(agent.tenantId, agent.id)).toEqual(revoked);
  });

  // Rotate ----------------------------------------------------------------------------------

  it('rotates the token so the old hash no longer matches and the new one does', async () => {
    const agent = anAgent({ createdAt: at(0) });
    await create(agent);
    const newHash = aTokenHash();
    const rotated = await store().agents.rotateToken(agent.tenantId, agent.id, newHash, 'kv_new', at(MINUTE));
    expect(rotated).toMatchObject({ id: agent.id, tokenHash: newHash, tokenPrefix: 'kv_new', status: 'active' });
    expect(await store().agents.findByTokenHash(agent.tokenHash)).toBeUndefined();
    expect(await store().agents.findByTokenHash(newHash)).toEqual(rotated);
    expect(await store().agents.get(agent.tenantId, agent.id)).toEqual(rotated);
    expect(rotated?.name).toBe(agent.name);
    expect(rotated?.permissions).toEqual(agent.permissions);
  });

  it('returns undefined when rotating the token of a missing agent', async () => {
    expect(await store().agents.rotateToken(randomId('ten'), randomId('agt'), aTokenHash(), 'kv_x', at(0))).toBeUndefined();
  });

  it('returns a revoked agent unchanged instead of rotating its token', async () => {
    const agent = anAgent({ createdAt: at(0) });
    await create(agent);
    const revoked = (await store().agents.revoke(agent.tenantId, agent.id, at(MINUTE)))?.agent;
    const newHash = aTokenHash();
    const result = await store().agents.rotateToken(agent.tenantId, agent.id, newHash, 'kv_new', at(HOUR));
    expect(result).toEqual(revoked);
    expect(result?.tokenHash).toBe(agent.tokenHash);
    expect(await store().agents.findByTokenHash(newHash)).toBeUndefined();
  });

  it("refuses to rotate onto another agent's token hash", async () => {
    const agent = anAgent();
    const other = anAgent();
    await create(agent);
    await create(other);
    await expectKavachError(store().agents.rotateToken(agent.tenantId, agent.id, other.tokenHash, 'kv_x', at(1)), 'already_exists');
    expect(await store().agents.findByTokenHash(other.tokenHash)).toEqual(other);
    expect(await store().agents.findByTokenHash(agent.tokenHash)).toEqual(agent);
  });

  // Revoke ----------------------------------------------------------------------------------

  it('revokes an active agent at the given time and keeps the record', async () => {
    const agent = anAgent({ createdAt: at(0) });
    await create(agent);
    const result = await store().agents.revoke(agent.tenantId, agent.id, at(MINUTE));
    expect(result?.changed).toBe(true);
    expect(result?.agent).toMatchObject({ id: agent.id, status: 'revoked', revokedAt: at(MINUTE), name: agent.name });
    expect(await store().agents.get(agent.tenantId, agent.id)).toEqual(result?.agent);
  });

  it('reports changed:false and keeps the first revocation when revoking twice', async () => {
    const agent = anAgent({ createdAt: at(0) });
    await create(agent);
    const first = await store().agents.revoke(agent.tenantId, agent.id, at(MINUTE));
    const second = await store().agents.revoke(agent.tenantId, agent.id, at(HOUR));
    expect(second?.changed).toBe(false);
    expect(second?.agent).toEqual(first?.agent);
    expect(second?.agent.revokedAt).toEqual(at(MINUTE));
  });

  it('returns undefined when revoking a missing agent', async () => {
    expect(await store().agents.revoke(randomId('ten'), randomId('agt'), at(0))).toBeUndefined();
  });

  it('returns fresh agent objects that do not write through to the store', async () => {
    const agent = anAgent({ permissions: [RICH_PERMISSION] });
    await create(agent);
    const first = await store().agents.get(agent.tenantId, agent.id);
    (first?.permissions as Permission[]).push(aPermission());
    (first?.metadata as Record<string, string>).team = 'mutated';
    first?.createdAt.setTime(0);
    expect(await store().agents.get(agent.tenantId, agent.id)).toEqual(agent);
  });
}
