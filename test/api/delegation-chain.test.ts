/**
 * Delegations after they are made (docs/ARCHITECTURE.md#delegation): revoking a delegation or an
 * agent cuts off everything below it at once, the token path and the audit chain, who may
 * delegate and revoke, and listing and effective permissions.
 */
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { DelegationDirection } from '../../gen/kavach/v1/delegation_service_pb.js';
import { DelegationStatus, PermissionSource, ReasonCode, type Agent } from '../../gen/kavach/v1/types_pb.js';
import type { InProcess } from '../support/app.js';
import { allowed, chain, decide, delegate, delegations, family, ms, perm, svc } from './delegation-given.js';
import { auditEntries, codeOf, createAgent, signUp, useInProcess } from './given.js';

describe('cutting off everything below (long cache TTL, so only invalidation can explain it)', () => {
  const env = useInProcess({ KAVACH_CACHE_TTL_MS: '60000' });

  it('revokes a delegation and everything below it at once, reporting the count', async () => {
    const s = svc();
    const { agents, links } = await chain(env(), [perm(`${s}:*`)], 3, 3);
    const [, mid, low, leaf] = agents as [Agent, Agent, Agent, Agent];
    expect(await allowed(env(), leaf, `${s}:x`)).toBe(true);
    expect(await allowed(env(), mid, `${s}:x`)).toBe(true);
    const res = await delegations(env()).revokeDelegation({ delegationId: links[1]?.id ?? '' });
    expect(res.revokedCount).toBe(2);
    expect(res.delegation).toMatchObject({ id: links[1]?.id, status: DelegationStatus.REVOKED });
    expect(ms(res.delegation?.revokedAt)).toBe(env().clock.now().getTime());
    expect(await allowed(env(), leaf, `${s}:x`)).toBe(false);
    expect(await allowed(env(), low, `${s}:x`)).toBe(false);
    expect(await allowed(env(), mid, `${s}:x`)).toBe(true);
    expect(await codeOf(delegations(env()).revokeDelegation({ delegationId: links[1]?.id ?? '' }))).toBe(Code.FailedPrecondition);
  });

  it('cuts off the child on the very next call when the from-agent is revoked', async () => {
    const s = svc();
    const { agents } = await chain(env(), [perm(`${s}:*`)], 2, 2);
    const [root, mid, leaf] = agents as [Agent, Agent, Agent];
    expect(await allowed(env(), leaf, `${s}:x`)).toBe(true);
    await env().client(AgentService, env().adminToken).revokeAgent({ agentId: mid.id });
    expect((await decide(env(), leaf, `${s}:x`)).reason).toBe(ReasonCode.NO_MATCHING_PERMISSION);
    // The root is untouched.
    expect(await allowed(env(), root, `${s}:x`)).toBe(true);
  });

  it('cuts off the whole chain when the root agent expires, even with a long-lived cache entry', async () => {
    const s = svc();
    const { agents } = await chain(env(), [perm(`${s}:*`)], 2, 2);
    const leaf = agents[2] as Agent;
    expect(await allowed(env(), leaf, `${s}:x`)).toBe(true);
    await env()
      .client(AgentService, env().adminToken)
      .updateAgent({ agentId: agents[0]?.id ?? '', expiresAt: timestampFromDate(new Date(env().clock.now().getTime() + 10_000)) });
    expect(await allowed(env(), leaf, `${s}:x`)).toBe(true);
    env().clock.advance(10_000);
    expect(await allowed(env(), leaf, `${s}:x`)).toBe(false);
  });

  it('ends a delegated grant at its expiry although the cache TTL has not run out', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`)], 2);
    await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:*`)], { expiresAt: new Date(env().clock.now().getTime() + 20_000) });
    expect(await allowed(env(), agents[1] as Agent, `${s}:x`)).toBe(true);
    env().clock.advance(20_000);
    expect(await allowed(env(), agents[1] as Agent, `${s}:x`)).toBe(false);
  });

  it('grants a new delegation on the very next call', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`)], 2);
    expect(await allowed(env(), agents[1] as Agent, `${s}:x`)).toBe(false);
    await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:*`)]);
    expect(await allowed(env(), agents[1] as Agent, `${s}:x`)).toBe(true);
  });
});

describe('the token path and the audit chain', () => {
  const env = useInProcess();

  it('lets the child authorize itself with its token through a delegated permission', async () => {
    const s = svc();
    const { agents, tokens } = await family(env(), [perm(`${s}:*`)], 2);
    await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:repos`)]);
    const client = env().client(AuthorizeService, tokens[1]);
    expect(await client.authorize({ action: 'read', resource: `${s}:repos` })).toMatchObject({ allowed: true });
    expect(await client.authorize({ action: 'read', resource: `${s}:issues` })).toMatchObject({ allowed: false, reason: ReasonCode.NO_MATCHING_PERMISSION });
  });

  it('records the whole chain, root first, in exactly one audit entry per decision', async () => {
    const s = svc();
    const { agents, tokens } = await chain(env(), [perm(`${s}:*`)], 2, 2);
    const res = await env().client(AuthorizeService, tokens[2]).authorize({ action: 'read', resource: `${s}:x` });
    const entries = (await auditEntries(env())).filter((e) => e.resource === `${s}:x`);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ id: res.auditId, agentId: agents[2]?.id, result: 'allowed', delegationChain: agents.map((a) => a.id) });
  });

  it('records the chain on a delegated denial too, and none for an own permission', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`, ['write'], { requireApproval: true }), perm(`${s}:own`)], 2);
    await env().client(AgentService, env().adminToken).updateAgent({ agentId: agents[1]?.id ?? '', permissions: { permissions: [perm(`${s}:mine`)] } });
    await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:*`, ['write'])]);
    const pending = await decide(env(), agents[1] as Agent, `${s}:x`, 'write');
    const own = await decide(env(), agents[1] as Agent, `${s}:mine`);
    expect(own.allowed).toBe(true);
    expect((await env().store.audit.get('default', pending.auditId))?.delegationChain).toEqual([agents[0]?.id, agents[1]?.id]);
    expect((await env().store.audit.get('default', own.auditId))?.delegationChain).toEqual([]);
  });

  it('audits delegation.create and delegation.revoke with the chain', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`)], 2);
    const d = await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:*`)]);
    await delegations(env()).revokeDelegation({ delegationId: d.id });
    const entries = (await auditEntries(env())).filter((e) => e.resource === `delegation:${d.id}`);
    expect(entries.map((e) => e.action).sort()).toEqual(['delegation.create', 'delegation.revoke']);
    for (const e of entries) {
      expect(e).toMatchObject({ agentId: agents[0]?.id, ownerId: agents[0]?.ownerId, actor: { kind: 'admin' }, delegationChain: [agents[0]?.id, agents[1]?.id] });
    }
  });
});

describe('who may delegate and revoke', () => {
  const env = useInProcess();

  async function userFamily(env: InProcess, resource: string) {
    const user = await signUp(env);
    const root = await createAgent(env, { ownerId: '', permissions: [perm(`${resource}:*`)] }, user.sessionToken);
    const sibling = await createAgent(env, { ownerId: '', permissions: [] }, user.sessionToken);
    return { user, root, sibling };
  }

  it("lets the from-agent's owner delegate between their agents", async () => {
    const s = svc();
    const { user, root, sibling } = await userFamily(env(), s);
    const d = await delegate(env(), root.agent, sibling.agent, [perm(`${s}:*`)], {}, user.sessionToken);
    expect(d.ownerId).toBe(user.userId);
  });

  it('lets the from-agent itself delegate with its own token', async () => {
    const s = svc();
    const { root, sibling } = await userFamily(env(), s);
    await delegate(env(), root.agent, sibling.agent, [perm(`${s}:x`)], {}, root.token);
    expect(await env().client(AuthorizeService, sibling.token).authorize({ action: 'read', resource: `${s}:x` })).toMatchObject({ allowed: true });
  });

  it('refuses an agent token delegating from another agent', async () => {
    const s = svc();
    const { root, sibling } = await userFamily(env(), s);
    const other = await createAgent(env(), { ownerId: root.agent.ownerId, permissions: [] });
    expect(await codeOf(delegate(env(), root.agent, other.agent, [perm(`${s}:x`)], {}, sibling.token))).toBe(Code.PermissionDenied);
  });

  it("hides another user's agents: NotFound as the from-agent and as the to-agent", async () => {
    const s = svc();
    const mine = await userFamily(env(), s);
    const theirs = await userFamily(env(), svc());
    expect(await codeOf(delegate(env(), theirs.root.agent, mine.sibling.agent, [perm(`${s}:x`)], {}, mine.user.sessionToken))).toBe(Code.NotFound);
    expect(await codeOf(delegate(env(), mine.root.agent, theirs.sibling.agent, [perm(`${s}:x`)], {}, mine.user.sessionToken))).toBe(Code.NotFound);
    expect(await codeOf(delegate(env(), mine.root.agent, theirs.sibling.agent, [perm(`${s}:x`)], {}, mine.root.token))).toBe(Code.NotFound);
  });

  it('lets the admin delegate across owners', async () => {
    const s = svc();
    const a = await userFamily(env(), s);
    const b = await userFamily(env(), svc());
    await delegate(env(), a.root.agent, b.sibling.agent, [perm(`${s}:x`)]);
    expect(await env().client(AuthorizeService, b.user.sessionToken).authorize({ agentId: b.sibling.agent.id, action: 'read', resource: `${s}:x` })).toMatchObject({ allowed: true });
  });

  it('refuses a revoked to-agent or from-agent as FailedPrecondition, and an unknown one as NotFound', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`)], 3);
    await env().client(AgentService, env().adminToken).revokeAgent({ agentId: agents[1]?.id ?? '' });
    expect(await codeOf(delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:x`)]))).toBe(Code.FailedPrecondition);
    expect(await codeOf(delegate(env(), agents[0] as Agent, { ...(agents[2] as Agent), id: 'agt_missing' }, [perm(`${s}:x`)]))).toBe(Code.NotFound);
    await env().client(AgentService, env().adminToken).revokeAgent({ agentId: agents[0]?.id ?? '' });
    expect(await codeOf(delegate(env(), agents[0] as Agent, agents[2] as Agent, [perm(`${s}:x`)]))).toBe(Code.FailedPrecondition);
  });

  it("lets the to-agent's owner see but not revoke, and hides it from everyone else", async () => {
    const s = svc();
    const a = await userFamily(env(), s);
    const b = await userFamily(env(), svc());
    const stranger = await signUp(env());
    const d = await delegate(env(), a.root.agent, b.sibling.agent, [perm(`${s}:x`)]);
    expect(await codeOf(delegations(env(), b.user.sessionToken).revokeDelegation({ delegationId: d.id }))).toBe(Code.PermissionDenied);
    expect(await codeOf(delegations(env(), b.sibling.token).revokeDelegation({ delegationId: d.id }))).toBe(Code.PermissionDenied);
    expect(await codeOf(delegations(env(), stranger.sessionToken).revokeDelegation({ delegationId: d.id }))).toBe(Code.NotFound);
    expect(await codeOf(delegations(env(), a.sibling.token).revokeDelegation({ delegationId: d.id }))).toBe(Code.NotFound);
    const res = await delegations(env(), a.root.token).revokeDelegation({ delegationId: d.id });
    expect(res.revokedCount).toBe(1);
  });
});

describe('listing and effective permissions', () => {
  const env = useInProcess();

  it('lists given and received delegations newest first, paged', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`)], 3);
    const [root, a, b] = agents as [Agent, Agent, Agent];
    const first = await delegate(env(), root, a, [perm(`${s}:1`)], { maxDepth: 2 });
    env().clock.advance(1000);
    const second = await delegate(env(), root, b, [perm(`${s}:2`)]);
    env().clock.advance(1000);
    const third = await delegate(env(), a, b, [perm(`${s}:1`)], { maxDepth: 2 });
    const list = (agentId: string, direction: DelegationDirection, pageToken = '', pageSize = 0) =>
      delegations(env()).listDelegations({ agentId, direction, pageToken, pageSize });

    expect((await list(root.id, DelegationDirection.GIVEN)).delegations.map((d) => d.id)).toEqual([second.id, first.id]);
    expect((await list(b.id, DelegationDirection.RECEIVED)).delegations.map((d) => d.id)).toEqual([third.id, second.id]);
    expect((await list(a.id, DelegationDirection.UNSPECIFIED)).delegations.map((d) => d.id)).toEqual([third.id, first.id]);
    const page1 = await list(root.id, DelegationDirection.GIVEN, '', 1);
    expect(page1.delegations.map((d) => d.id)).toEqual([second.id]);
    const page2 = await list(root.id, DelegationDirection.GIVEN, page1.nextPageToken, 1);
    expect(page2.delegations.map((d) => d.id)).toEqual([first.id]);
    expect(page2.nextPageToken).toBe('');
  });

  it('hides inactive delegations unless asked, showing chain-computed status', async () => {
    const s = svc();
    const { agents, links } = await chain(env(), [perm(`${s}:*`)], 2, 2);
    await env().client(AgentService, env().adminToken).revokeAgent({ agentId: agents[1]?.id ?? '' });
    const leafId = agents[2]?.id ?? '';
    const active = await delegations(env()).listDelegations({ agentId: leafId, direction: DelegationDirection.RECEIVED });
    expect(active.delegations).toEqual([]);
    const all = await delegations(env()).listDelegations({ agentId: leafId, direction: DelegationDirection.RECEIVED, includeInactive: true });
    expect(all.delegations.map((d) => [d.id, d.status])).toEqual([[links[1]?.id, DelegationStatus.REVOKED]]);
    const first = await delegations(env()).listDelegations({ agentId: agents[0]?.id ?? '', direction: DelegationDirection.GIVEN });
    expect(first.delegations.map((d) => [d.id, d.status])).toEqual([[links[0]?.id, DelegationStatus.ACTIVE]]);
  });

  it('returns own plus delegated permissions, each with its source, chain and expiry', async () => {
    const s = svc();
    const { agents, links, tokens } = await chain(env(), [perm(`${s}:*`, ['read'], { maxCallsPerHour: 7 })], 2, 2);
    const leaf = agents[2] as Agent;
    await env().client(AgentService, env().adminToken).updateAgent({ agentId: leaf.id, permissions: { permissions: [perm(`${s}:own`)] } });
    const res = await delegations(env(), tokens[2]).getEffectivePermissions({});
    expect(res.permissions.map((p) => [p.permission?.resource, p.source, p.delegationIds, p.agentChain])).toEqual([
      [`${s}:own`, PermissionSource.OWN, [], [leaf.id]],
      [`${s}:*`, PermissionSource.DELEGATED, links.map((d) => d.id), agents.map((a) => a.id)],
    ]);
    expect(res.permissions[1]?.permission?.constraints?.maxCallsPerHour).toBe(7);
    expect(res.permissions[1]?.expiresAt).toBeUndefined();
  });

  it("hides another user's agent from listing and effective permissions", async () => {
    const s = svc();
    const owner = await signUp(env());
    const stranger = await signUp(env());
    const { agent } = await createAgent(env(), { ownerId: '', permissions: [perm(`${s}:*`)] }, owner.sessionToken);
    expect(await codeOf(delegations(env(), stranger.sessionToken).getEffectivePermissions({ agentId: agent.id }))).toBe(Code.NotFound);
    expect(await codeOf(delegations(env(), stranger.sessionToken).listDelegations({ agentId: agent.id }))).toBe(Code.NotFound);
    expect((await delegations(env(), owner.sessionToken).getEffectivePermissions({ agentId: agent.id })).permissions).toHaveLength(1);
    expect(await codeOf(delegations(env(), owner.sessionToken).getEffectivePermissions({}))).toBe(Code.InvalidArgument);
  });
});
