/**
 * DelegationStore cases: create and read back, reads by id, the active-to read the authorize
 * path uses, paged lists by direction, and the cascading revoke. Plus AgentStore.getMany, the
 * third read of the chain.
 */
import { expect, it } from 'vitest';
import type { Permission } from '../../../src/domain/types.js';
import type { DelegationRecord } from '../../../src/domain/records.js';
import type { DelegationFilter } from '../../../src/store/store.js';
import { aDelegation, anAgent, aPermission, randomId } from '../../support/builders.js';
import {
  allPages,
  at,
  expectKavachError,
  HOUR,
  ids,
  MALFORMED_CURSORS,
  MINUTE,
  newestFirst,
  type StoreUnderTest,
} from '../contract-support.js';

const RICH: Permission = {
  resource: 'mcp:github:*',
  actions: ['read', 'write'],
  constraints: {
    maxCallsPerHour: 5,
    ipAllowlist: ['10.0.0.0/8'],
    timeWindow: { start: '09:00', end: '17:00', days: ['mon'], timeZone: 'Europe/Berlin' },
    argumentRules: [
      { name: 'path', kind: 'glob', glob: 'src/**' },
      { name: 'n', kind: 'range', min: 1 },
    ],
    requireApproval: true,
  },
};

const sortedIds = (items: readonly { id: string }[]) => ids(items).sort();

/** A chain root -> a -> b -> c in one tenant: three delegations, depths 1 to 3. */
function aChain(tenantId: string, createdAt = at(0)) {
  const agents = Array.from({ length: 4 }, () => randomId('agt'));
  const [root, a, b, c] = agents as [string, string, string, string];
  const d1 = aDelegation({ tenantId, fromAgentId: root, toAgentId: a, createdAt, maxDepth: 3 });
  const d2 = aDelegation({
    tenantId,
    fromAgentId: a,
    toAgentId: b,
    depth: 2,
    maxDepth: 3,
    ancestorIds: [d1.id],
    agentChain: [root, a],
    createdAt: new Date(createdAt.getTime() + 1),
  });
  const d3 = aDelegation({
    tenantId,
    fromAgentId: b,
    toAgentId: c,
    depth: 3,
    maxDepth: 3,
    ancestorIds: [d1.id, d2.id],
    agentChain: [root, a, b],
    createdAt: new Date(createdAt.getTime() + 2),
  });
  return { d1, d2, d3, agents: { root, a, b, c } };
}

export function delegationCases(store: StoreUnderTest): void {
  const seed = async (...delegations: DelegationRecord[]) => {
    for (const d of delegations) await store().delegations.create(d);
  };

  it('reads a created delegation back by id exactly as written, chain and dates included', async () => {
    const d = aDelegation({
      permissions: [RICH, aPermission({ resource: '*', actions: ['*'] })],
      depth: 2,
      maxDepth: 4,
      ancestorIds: [randomId('dlg')],
      agentChain: [randomId('agt'), randomId('agt')],
      createdAt: new Date('2026-03-04T05:06:07.089Z'),
      expiresAt: new Date('2026-03-05T05:06:07.001Z'),
    });
    await seed(d);
    const read = await store().delegations.get(d.tenantId, d.id);
    expect(read).toEqual(d);
    expect(read?.revokedAt).toBeUndefined();
  });

  it('returns undefined for a missing id and for an id in another tenant', async () => {
    const d = aDelegation();
    await seed(d);
    expect(await store().delegations.get(d.tenantId, randomId('dlg'))).toBeUndefined();
    expect(await store().delegations.get(randomId('ten'), d.id)).toBeUndefined();
  });

  it('refuses a second delegation with the same id in the tenant, but not in another tenant', async () => {
    const d = aDelegation();
    await seed(d);
    await expectKavachError(store().delegations.create({ ...aDelegation({ tenantId: d.tenantId }), id: d.id }), 'already_exists');
    expect(await store().delegations.get(d.tenantId, d.id)).toEqual(d);
    const elsewhere = aDelegation({ id: d.id });
    await seed(elsewhere);
    expect(await store().delegations.get(elsewhere.tenantId, d.id)).toEqual(elsewhere);
  });

  it('returns fresh objects: mutating one never changes the store', async () => {
    const d = aDelegation();
    await seed(d);
    const read = (await store().delegations.get(d.tenantId, d.id)) as unknown as { permissions: Permission[]; agentChain: string[] };
    read.permissions.push(aPermission());
    read.agentChain.push('agt_x');
    expect(await store().delegations.get(d.tenantId, d.id)).toEqual(d);
  });

  it('reads many by id in one call, skipping missing ids, other tenants and repeats', async () => {
    const tenantId = randomId('ten');
    const { d1, d2, d3 } = aChain(tenantId);
    const other = aDelegation();
    await seed(d1, d2, d3, other);
    const read = await store().delegations.getMany(tenantId, [d3.id, d1.id, d1.id, randomId('dlg'), other.id]);
    expect(sortedIds(read)).toEqual([d1.id, d3.id].sort());
    expect(read.find((d) => d.id === d3.id)).toEqual(d3);
    expect(await store().delegations.getMany(tenantId, [])).toEqual([]);
  });

  it('lists the delegations to an agent that are stored active and unexpired at now, newest first', async () => {
    const tenantId = randomId('ten');
    const to = randomId('agt');
    const old = aDelegation({ tenantId, toAgentId: to, createdAt: at(0) });
    const recent = aDelegation({ tenantId, toAgentId: to, createdAt: at(2 * MINUTE), expiresAt: at(HOUR + 1) });
    const expiring = aDelegation({ tenantId, toAgentId: to, createdAt: at(MINUTE), expiresAt: at(HOUR) });
    const revoked = aDelegation({ tenantId, toAgentId: to, createdAt: at(3 * MINUTE) });
    const given = aDelegation({ tenantId, fromAgentId: to, agentChain: [to], createdAt: at(4 * MINUTE) });
    const otherTenant = aDelegation({ toAgentId: to, createdAt: at(5 * MINUTE) });
    await seed(old, recent, expiring, revoked, given, otherTenant);
    await store().delegations.revoke(tenantId, revoked.id, at(3 * MINUTE));

    const before = await store().delegations.listActiveTo(tenantId, to, at(HOUR - 1), 100);
    expect(ids(before)).toEqual([recent.id, expiring.id, old.id]);
    expect(before[0]).toEqual(recent);
    // expiresAt is exclusive: at that instant the delegation has ended.
    expect(ids(await store().delegations.listActiveTo(tenantId, to, at(HOUR), 100))).toEqual([recent.id, old.id]);
    expect(ids(await store().delegations.listActiveTo(tenantId, to, at(HOUR), 1))).toEqual([recent.id]);
  });

  const listAll = async (tenantId: string, filter: DelegationFilter, limit = 1000) =>
    (await allPages((page) => store().delegations.list(tenantId, filter, page), limit)).flat();

  it('lists given, received or both for an agent, newest first', async () => {
    const tenantId = randomId('ten');
    const agent = randomId('agt');
    const given = [at(1000), at(3000)].map((createdAt) => aDelegation({ tenantId, fromAgentId: agent, agentChain: [agent], createdAt }));
    const received = [at(2000), at(4000)].map((createdAt) => aDelegation({ tenantId, toAgentId: agent, createdAt }));
    const unrelated = aDelegation({ tenantId, createdAt: at(5000) });
    await seed(...given, ...received, unrelated);
    const filter = (direction: DelegationFilter['direction']): DelegationFilter => ({ agentId: agent, direction, onlyActive: false, now: at(0) });

    expect(ids(await listAll(tenantId, filter('given')))).toEqual(ids(newestFirst(given, (d) => d.createdAt)));
    expect(ids(await listAll(tenantId, filter('received')))).toEqual(ids(newestFirst(received, (d) => d.createdAt)));
    const both = await listAll(tenantId, filter('both'));
    expect(ids(both)).toEqual(ids(newestFirst([...given, ...received], (d) => d.createdAt)));
    expect(both[0]).toEqual(received[1]);
    expect(await listAll(randomId('ten'), filter('both'))).toEqual([]);
  });

  it('lists only stored-active, unexpired delegations when asked, and every one otherwise', async () => {
    const tenantId = randomId('ten');
    const agent = randomId('agt');
    const active = aDelegation({ tenantId, toAgentId: agent, createdAt: at(0) });
    const expired = aDelegation({ tenantId, toAgentId: agent, createdAt: at(1), expiresAt: at(MINUTE) });
    const revoked = aDelegation({ tenantId, toAgentId: agent, createdAt: at(2) });
    await seed(active, expired, revoked);
    await store().delegations.revoke(tenantId, revoked.id, at(3));
    const list = (onlyActive: boolean) => listAll(tenantId, { agentId: agent, direction: 'received', onlyActive, now: at(MINUTE) });
    expect(ids(await list(true))).toEqual([active.id]);
    const every = await list(false);
    expect(ids(every)).toEqual([revoked.id, expired.id, active.id]);
    // Expired is never stored: the record stays active with its expiry.
    expect(every[1]?.status).toBe('active');
    expect(every[0]).toMatchObject({ status: 'revoked', revokedAt: at(3) });
  });

  it('pages with no delegation missing or repeated, ties on creation time broken by id', async () => {
    const tenantId = randomId('ten');
    const agent = randomId('agt');
    const all = Array.from({ length: 11 }, (_, i) => aDelegation({ tenantId, toAgentId: agent, createdAt: at(Math.floor(i / 4) * 1000) }));
    await seed(...all);
    const pages = await allPages(
      (page) => store().delegations.list(tenantId, { agentId: agent, direction: 'both', onlyActive: false, now: at(0) }, page),
      3,
    );
    expect(pages.map((p) => p.length)).toEqual([3, 3, 3, 2]);
    expect(ids(pages.flat())).toEqual(ids(newestFirst(all, (d) => d.createdAt)));
  });

  it('refuses a malformed cursor as invalid_argument on page_token', async () => {
    const filter: DelegationFilter = { agentId: randomId('agt'), direction: 'both', onlyActive: false, now: at(0) };
    for (const cursor of MALFORMED_CURSORS) {
      await expectKavachError(store().delegations.list(randomId('ten'), filter, { limit: 10, cursor }), 'invalid_argument', 'page_token');
    }
  });

  it('returns undefined when revoking a missing delegation', async () => {
    expect(await store().delegations.revoke(randomId('ten'), randomId('dlg'), at(0))).toBeUndefined();
  });

  it('revokes a delegation and every delegation below it, and nothing above or beside it', async () => {
    const tenantId = randomId('ten');
    const { d1, d2, d3, agents } = aChain(tenantId);
    const sibling = aDelegation({ tenantId, fromAgentId: agents.root, toAgentId: randomId('agt'), createdAt: at(5) });
    const otherTenantTwin = { ...d3, tenantId: randomId('ten') };
    await seed(d1, d2, d3, sibling, otherTenantTwin);

    const result = await store().delegations.revoke(tenantId, d2.id, at(HOUR));
    expect(result).toEqual({ delegation: { ...d2, status: 'revoked', revokedAt: at(HOUR) }, changed: true, revokedCount: 2 });
    expect(await store().delegations.get(tenantId, d3.id)).toEqual({ ...d3, status: 'revoked', revokedAt: at(HOUR) });
    expect(await store().delegations.get(tenantId, d1.id)).toEqual(d1);
    expect(await store().delegations.get(tenantId, sibling.id)).toEqual(sibling);
    expect(await store().delegations.get(otherTenantTwin.tenantId, d3.id)).toEqual(otherTenantTwin);
  });

  it('counts the whole subtree when revoking the root of a chain', async () => {
    const tenantId = randomId('ten');
    const { d1, d2, d3 } = aChain(tenantId);
    await seed(d1, d2, d3);
    const result = await store().delegations.revoke(tenantId, d1.id, at(HOUR));
    expect(result?.revokedCount).toBe(3);
    expect(await store().delegations.listActiveTo(tenantId, d3.toAgentId, at(HOUR), 10)).toEqual([]);
  });

  it('leaves an already revoked delegation unchanged, but still sweeps active ones below it', async () => {
    const tenantId = randomId('ten');
    const { d1, d2, d3 } = aChain(tenantId);
    await seed(d1, d2);
    await store().delegations.revoke(tenantId, d1.id, at(MINUTE));
    const again = await store().delegations.revoke(tenantId, d1.id, at(HOUR));
    expect(again).toEqual({ delegation: { ...d1, status: 'revoked', revokedAt: at(MINUTE) }, changed: false, revokedCount: 0 });

    // The store does not police chains: a descendant written later is swept by the next revoke.
    await seed(d3);
    const swept = await store().delegations.revoke(tenantId, d1.id, at(2 * HOUR));
    expect(swept).toMatchObject({ changed: false, revokedCount: 1 });
    expect((await store().delegations.get(tenantId, d3.id))?.revokedAt).toEqual(at(2 * HOUR));
    expect((await store().delegations.get(tenantId, d2.id))?.revokedAt).toEqual(at(MINUTE));
  });
}

export function agentGetManyCases(store: StoreUnderTest): void {
  it('reads many agents by id in one call, skipping missing ids, other tenants and repeats', async () => {
    const tenantId = randomId('ten');
    const a = anAgent({ tenantId });
    const b = anAgent({ tenantId });
    const elsewhere = anAgent();
    for (const agent of [a, b, elsewhere]) await store().agents.create(agent, 1000, at(0));
    const read = await store().agents.getMany(tenantId, [b.id, a.id, b.id, randomId('agt'), elsewhere.id]);
    expect(sortedIds(read)).toEqual([a.id, b.id].sort());
    expect(read.find((x) => x.id === a.id)).toEqual(a);
    expect(await store().agents.getMany(tenantId, [])).toEqual([]);
  });
}
