/**
 * Who may see and change what (docs/ARCHITECTURE.md#callers-and-credentials): owners are isolated from each other, agent
 * tokens only ever act for themselves, tenants never see each other, and a missing or bad
 * credential is Unauthenticated and audited without the token.
 */
import { randomBytes } from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { describe, expect, it, vi } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { ApprovalStatus, ReasonCode } from '../../gen/kavach/v1/types_pb.js';
import type { InProcess } from '../support/app.js';
import { aCreateAgentRequest, aPermission, aResource, constraints } from '../support/requests.js';
import {
  HOUR_MS,
  auditEntries,
  codeOf,
  createAgent,
  expectNoSecretIn,
  later,
  rejectionOf,
  signUp,
  useInProcess,
  type SignedUpUser,
} from './given.js';

/** A user-owned agent with `read` on a fresh resource, created with the user's session. */
async function ownedAgent(env: InProcess, user: SignedUpUser, extra: Parameters<typeof aPermission>[0] = {}) {
  const resource = aResource();
  const created = await createAgent(env, { ownerId: '', permissions: [aPermission({ resource, ...extra })] }, user.sessionToken);
  return { ...created, resource };
}

describe('owner isolation', () => {
  const env = useInProcess();

  it('gives another user NotFound, and no data, for an agent they do not own', async () => {
    const alice = await signUp(env());
    const bob = await signUp(env());
    const { agent, token, resource } = await ownedAgent(env(), alice);
    const asBob = env().client(AgentService, bob.sessionToken);

    const attempts = [
      asBob.getAgent({ agentId: agent.id }),
      asBob.updateAgent({ agentId: agent.id, name: 'mine now' }),
      asBob.rotateAgentToken({ agentId: agent.id }),
      asBob.revokeAgent({ agentId: agent.id }),
    ];
    for (const attempt of attempts) {
      const err = await rejectionOf(attempt);
      expect(err.code).toBe(Code.NotFound);
      expect(err.rawMessage).not.toContain(alice.userId);
      expect(err.rawMessage).not.toContain(agent.name);
    }

    const unchanged = await env().client(AgentService, alice.sessionToken).getAgent({ agentId: agent.id });
    expect(unchanged.agent).toEqual(agent);
    expect((await env().client(AuthorizeService, token).authorize({ action: 'read', resource })).allowed).toBe(true);
  });

  it('answers for another user’s agent exactly as for one that does not exist', async () => {
    const alice = await signUp(env());
    const bob = await signUp(env());
    const { agent } = await ownedAgent(env(), alice);
    const asBob = env().client(AgentService, bob.sessionToken);
    const foreign = await rejectionOf(asBob.getAgent({ agentId: agent.id }));
    const missing = await rejectionOf(asBob.getAgent({ agentId: 'agt_0123456789abcdef0123' }));
    expect(foreign.code).toBe(missing.code);
    expect(foreign.rawMessage.replace(agent.id, '<id>')).toBe(missing.rawMessage.replace('agt_0123456789abcdef0123', '<id>'));
  });

  it('lists only the caller’s own agents, even when another owner is named', async () => {
    const alice = await signUp(env());
    const bob = await signUp(env());
    const a1 = await ownedAgent(env(), alice);
    const a2 = await ownedAgent(env(), alice);
    const b1 = await ownedAgent(env(), bob);

    const asBob = env().client(AgentService, bob.sessionToken);
    expect((await asBob.listAgents({})).agents.map((a) => a.id)).toEqual([b1.agent.id]);
    expect((await asBob.listAgents({ ownerId: alice.userId })).agents).toEqual([]);
    const asAlice = env().client(AgentService, alice.sessionToken);
    expect(new Set((await asAlice.listAgents({})).agents.map((a) => a.id))).toEqual(new Set([a1.agent.id, a2.agent.id]));
  });

  it('answers Authorize by another owner’s agent id with AGENT_NOT_FOUND, leaking nothing about it', async () => {
    const alice = await signUp(env());
    const bob = await signUp(env());
    const { agent, resource } = await ownedAgent(env(), alice);
    const asBob = env().client(AuthorizeService, bob.sessionToken);

    const foreign = await asBob.authorize({ agentId: agent.id, action: 'read', resource });
    const missing = await asBob.authorize({ agentId: 'agt_0123456789abcdef0123', action: 'read', resource });
    expect(foreign).toMatchObject({ allowed: false, reason: ReasonCode.AGENT_NOT_FOUND });
    expect(foreign.message).toBe(missing.message);
    for (const secret of [agent.name, alice.userId, agent.id]) expect(foreign.message).not.toContain(secret);
    const entry = await env().store.audit.get('default', foreign.auditId);
    expect(entry?.reason).toBe('AGENT_NOT_FOUND');
    expect(entry?.ownerId).not.toBe(alice.userId);

    // A revoked agent of another owner must not read as revoked either: that would confirm it exists.
    await env().client(AgentService, alice.sessionToken).revokeAgent({ agentId: agent.id });
    const revoked = await asBob.authorize({ agentId: agent.id, action: 'read', resource });
    expect(revoked.reason).toBe(ReasonCode.AGENT_NOT_FOUND);
  });

  it('keeps one owner’s approvals invisible and undecidable to another', async () => {
    const alice = await signUp(env());
    const bob = await signUp(env());
    const { agent, token, resource } = await ownedAgent(env(), alice, { constraints: constraints({ requireApproval: true }) });
    const pending = await env().client(AuthorizeService, token).authorize({ action: 'read', resource });
    expect(pending.reason).toBe(ReasonCode.APPROVAL_REQUIRED);

    const asBob = env().client(AuthorizeService, bob.sessionToken);
    expect((await asBob.listApprovals({})).approvals).toEqual([]);
    expect((await asBob.listApprovals({ agentId: agent.id })).approvals).toEqual([]);
    expect(await codeOf(asBob.approveRequest({ approvalId: pending.approvalId }))).toBe(Code.NotFound);
    expect(await codeOf(asBob.denyRequest({ approvalId: pending.approvalId }))).toBe(Code.NotFound);

    const asAlice = env().client(AuthorizeService, alice.sessionToken);
    const mine = await asAlice.listApprovals({});
    expect(mine.approvals.map((a) => [a.id, a.status])).toEqual([[pending.approvalId, ApprovalStatus.PENDING]]);
    await expect(asAlice.approveRequest({ approvalId: pending.approvalId })).resolves.toBeDefined();
  });

  it('lets a user create agents only for themselves', async () => {
    const alice = await signUp(env());
    const bob = await signUp(env());
    const asAlice = env().client(AgentService, alice.sessionToken);
    expect(await codeOf(asAlice.createAgent(aCreateAgentRequest({ ownerId: bob.userId })))).toBe(Code.PermissionDenied);
    expect((await env().client(AgentService, bob.sessionToken).listAgents({})).agents).toEqual([]);

    const self = await asAlice.createAgent(aCreateAgentRequest({ ownerId: alice.userId }));
    expect(self.agent?.ownerId).toBe(alice.userId);
    const implicit = await asAlice.createAgent(aCreateAgentRequest({ ownerId: '' }));
    expect(implicit.agent?.ownerId).toBe(alice.userId);
  });

  it('ignores a kavach-tenant header sent with a user session', async () => {
    const alice = await signUp(env());
    const headers = { 'kavach-tenant': 'acme' };
    const created = await env().client(AgentService, alice.sessionToken, headers).createAgent(aCreateAgentRequest({ ownerId: '' }));
    expect(created.agent?.tenantId).toBe('default');
    expect(await env().store.agents.get('acme', created.agent?.id ?? '')).toBeUndefined();
  });
});

describe('agent tokens', () => {
  const env = useInProcess();

  it('may not create, update, rotate or revoke agents, not even themselves', async () => {
    const { agent, token } = await createAgent(env());
    const asAgent = env().client(AgentService, token);
    const attempts = [
      asAgent.createAgent(aCreateAgentRequest({ ownerId: agent.ownerId })),
      asAgent.updateAgent({ agentId: agent.id, name: 'self-promoted', permissions: { permissions: [aPermission({ resource: '*', actions: ['*'] })] } }),
      asAgent.rotateAgentToken({ agentId: agent.id }),
      asAgent.revokeAgent({ agentId: agent.id }),
    ];
    for (const attempt of attempts) expect(await codeOf(attempt)).toBe(Code.PermissionDenied);

    const after = await env().client(AgentService, env().adminToken).getAgent({ agentId: agent.id });
    expect(after.agent).toEqual(agent);
    expect((await env().client(AgentService, env().adminToken).listAgents({ ownerId: agent.ownerId })).agents).toHaveLength(1);
  });

  it('may not list or decide approvals', async () => {
    const resource = aResource();
    const guarded = await createAgent(env(), {
      permissions: [aPermission({ resource, constraints: constraints({ requireApproval: true }) })],
    });
    const other = await createAgent(env(), { ownerId: guarded.agent.ownerId });
    const pending = await env().client(AuthorizeService, guarded.token).authorize({ action: 'read', resource });

    for (const token of [guarded.token, other.token]) {
      const asAgent = env().client(AuthorizeService, token);
      expect(await codeOf(asAgent.approveRequest({ approvalId: pending.approvalId }))).toBe(Code.PermissionDenied);
      expect(await codeOf(asAgent.denyRequest({ approvalId: pending.approvalId }))).toBe(Code.PermissionDenied);
      expect(await codeOf(asAgent.listApprovals({}))).toBe(Code.PermissionDenied);
    }
  });

  it('gets AGENT_NOT_FOUND when authorizing another agent’s id, even one of the same owner', async () => {
    const resource = aResource();
    const caller = await createAgent(env(), { permissions: [aPermission({ resource })] });
    const target = await createAgent(env(), { ownerId: caller.agent.ownerId, permissions: [aPermission({ resource })] });
    const asAgent = env().client(AuthorizeService, caller.token);

    const res = await asAgent.authorize({ agentId: target.agent.id, action: 'read', resource });
    const missing = await asAgent.authorize({ agentId: 'agt_0123456789abcdef0123', action: 'read', resource });
    expect(res).toMatchObject({ allowed: false, reason: ReasonCode.AGENT_NOT_FOUND });
    expect(res.message).toBe(missing.message);
    expect(res.message).not.toContain(target.agent.name);

    const batch = await asAgent.authorizeBatch({ checks: [{ agentId: target.agent.id, action: 'read', resource }, { action: 'read', resource }] });
    expect(batch.decisions.map((d) => d.reason)).toEqual([ReasonCode.AGENT_NOT_FOUND, ReasonCode.ALLOWED]);
  });

  it('may read itself and nothing else', async () => {
    const me = await createAgent(env());
    const sibling = await createAgent(env(), { ownerId: me.agent.ownerId });
    const asAgent = env().client(AgentService, me.token);
    expect((await asAgent.getAgent({ agentId: me.agent.id })).agent?.id).toBe(me.agent.id);
    expect(await codeOf(asAgent.getAgent({ agentId: sibling.agent.id }))).toBe(Code.NotFound);
    expect((await asAgent.listAgents({})).agents.map((a) => a.id)).toEqual([me.agent.id]);
  });
});

describe('tenants', () => {
  const env = useInProcess();
  const acme = { 'kavach-tenant': 'acme' };

  it('GetSession by the admin looks in the tenant it names with kavach-tenant only', async () => {
    const inDefault = await signUp(env());
    const inAcme = await signUp(env(), 'acme');
    const adminInAcme = env().client(AuthService, env().adminToken, acme);
    expect(await codeOf(adminInAcme.getSession({ sessionToken: inDefault.sessionToken }))).toBe(Code.NotFound);
    expect((await adminInAcme.getSession({ sessionToken: inAcme.sessionToken })).user?.id).toBe(inAcme.userId);
    const adminInDefault = env().client(AuthService, env().adminToken);
    expect((await adminInDefault.getSession({ sessionToken: inDefault.sessionToken })).user?.id).toBe(inDefault.userId);
    expect(await codeOf(adminInDefault.getSession({ sessionToken: inAcme.sessionToken }))).toBe(Code.NotFound);
  });

  it('keeps an agent the admin creates in tenant acme invisible to the default tenant', async () => {
    const resource = aResource();
    const { agent, token } = await createAgent(env(), { permissions: [aPermission({ resource })] }, env().adminToken, acme);
    expect(agent.tenantId).toBe('acme');

    const inDefault = env().client(AgentService, env().adminToken);
    expect(await codeOf(inDefault.getAgent({ agentId: agent.id }))).toBe(Code.NotFound);
    expect((await inDefault.listAgents({})).agents).toEqual([]);
    expect(await codeOf(inDefault.revokeAgent({ agentId: agent.id }))).toBe(Code.NotFound);
    const byIdDefault = await env().client(AuthorizeService, env().adminToken).authorize({ agentId: agent.id, action: 'read', resource });
    expect(byIdDefault.reason).toBe(ReasonCode.AGENT_NOT_FOUND);
    expect(await env().store.agents.get('default', agent.id)).toBeUndefined();

    const inAcme = env().client(AgentService, env().adminToken, acme);
    expect((await inAcme.getAgent({ agentId: agent.id })).agent?.id).toBe(agent.id);
    expect((await inAcme.listAgents({})).agents.map((a) => a.id)).toEqual([agent.id]);
    const byIdAcme = await env().client(AuthorizeService, env().adminToken, acme).authorize({ agentId: agent.id, action: 'read', resource });
    expect(byIdAcme.allowed).toBe(true);

    const self = await env().client(AuthorizeService, token).authorize({ action: 'read', resource });
    expect(self.allowed).toBe(true);
    expect(await env().store.audit.get('acme', self.auditId)).toBeDefined();
    expect(await env().store.audit.get('default', self.auditId)).toBeUndefined();
  });

  it('keeps a user signed up in acme apart from the default tenant', async () => {
    const acmeUser = await signUp(env(), 'acme');
    const defaultUser = await signUp(env());
    const { agent } = await ownedAgent(env(), acmeUser);
    expect(agent.tenantId).toBe('acme');
    expect(await codeOf(env().client(AgentService, defaultUser.sessionToken).getAgent({ agentId: agent.id }))).toBe(Code.NotFound);
    expect(await codeOf(env().client(AgentService, env().adminToken).getAgent({ agentId: agent.id }))).toBe(Code.NotFound);
  });
});

describe('credentials', () => {
  const env = useInProcess();

  async function rejections(): Promise<number> {
    return (await env().store.audit.query('default', { actions: ['auth.token_rejected'] }, { limit: 1 })).total;
  }

  it('refuses every protected call made without a credential with Unauthenticated', async () => {
    const agents = env().client(AgentService);
    const authz = env().client(AuthorizeService);
    const calls = [
      agents.createAgent(aCreateAgentRequest()),
      agents.getAgent({ agentId: 'agt_x' }),
      agents.listAgents({}),
      agents.updateAgent({ agentId: 'agt_x', name: 'x' }),
      agents.rotateAgentToken({ agentId: 'agt_x' }),
      agents.revokeAgent({ agentId: 'agt_x' }),
      authz.authorize({ agentId: 'agt_x', action: 'read', resource: 'mcp:x' }),
      authz.authorizeBatch({ checks: [{ agentId: 'agt_x', action: 'read', resource: 'mcp:x' }] }),
      authz.listApprovals({}),
      authz.approveRequest({ approvalId: 'apr_x' }),
      authz.denyRequest({ approvalId: 'apr_x' }),
    ];
    for (const call of calls) expect(await codeOf(call)).toBe(Code.Unauthenticated);
  });

  it('refuses an authorization header that is not a bearer credential', async () => {
    const client = env().client(AgentService, undefined, { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` });
    expect(await codeOf(client.listAgents({}))).toBe(Code.Unauthenticated);
  });

  it.each([
    ['an agent token that is too short', () => 'kv_abc'],
    ['an agent token with a character outside base64url', () => `kv_${'A'.repeat(42)}!`],
    ['an unknown agent token', () => `kv_${randomBytes(32).toString('base64url')}`],
    ['an unknown session token', () => `kvs_${randomBytes(32).toString('base64url')}`],
    ['an unknown token of no known kind', () => `not-a-kavach-token-${randomBytes(16).toString('hex')}`],
  ])('refuses %s with Unauthenticated, and audits the rejection without the token', async (_what, makeToken) => {
    const token = makeToken();
    const before = await rejections();
    expect(await codeOf(env().client(AuthorizeService, token).authorize({ action: 'read', resource: 'mcp:x' }))).toBe(Code.Unauthenticated);
    // The rejection's entry is written after the answer (so that its timing says nothing).
    await vi.waitFor(async () => expect(await rejections()).toBe(before + 1));
    expectNoSecretIn(await auditEntries(env()), token);
  });

  it.each(['rotated', 'revoked', 'expired'] as const)('refuses a %s agent token with Unauthenticated, and audits the rejection without the token', async (how) => {
    const resource = aResource();
    const { agent, token } = await createAgent(env(), {
      permissions: [aPermission({ resource })],
      expiresAt: timestampFromDate(later(env(), HOUR_MS)),
    });
    const authz = env().client(AuthorizeService, token);
    expect((await authz.authorize({ action: 'read', resource })).allowed).toBe(true);
    const admin = env().client(AgentService, env().adminToken);
    if (how === 'rotated') await admin.rotateAgentToken({ agentId: agent.id });
    if (how === 'revoked') await admin.revokeAgent({ agentId: agent.id });
    if (how === 'expired') env().clock.advance(HOUR_MS);

    const before = await rejections();
    expect(await codeOf(authz.authorize({ action: 'read', resource }))).toBe(Code.Unauthenticated);
    expect(await codeOf(env().client(AgentService, token).getAgent({ agentId: agent.id }))).toBe(Code.Unauthenticated);
    await vi.waitFor(async () => expect(await rejections()).toBe(before + 2));

    const [latest] = (await env().store.audit.query('default', { actions: ['auth.token_rejected'] }, { limit: 1 })).items;
    expect(latest).toMatchObject({ action: 'auth.token_rejected', result: 'denied' });
    expectNoSecretIn(await auditEntries(env()), token);
  });

  it('never lets a rejected credential fall back to anonymous on a public RPC', async () => {
    const bogus = `kv_${randomBytes(32).toString('base64url')}`;
    const err = await rejectionOf(env().client(AuthService, bogus).signUp({ email: 'x@example.com', password: 'Kv-long-enough-pass-1' }));
    expect(err.code).toBe(Code.Unauthenticated);
  });
});

describe('a flood of bad credentials', () => {
  const env = useInProcess({ KAVACH_REJECTION_AUDITS_PER_MINUTE: '5' });

  it('answers every one Unauthenticated but audits at most the limit a minute per source, then one summary', async () => {
    const peer = { 'x-test-peer-ip': '192.0.2.99' };
    const entries = async () =>
      (await env().store.audit.query('default', { actions: ['auth.token_rejected'] }, { limit: 1000 })).items.filter(
        (e) => e.clientIp === '192.0.2.99',
      );
    for (let i = 0; i < 40; i++) {
      const token = `kv_${randomBytes(32).toString('base64url')}`;
      expect(await codeOf(env().client(AuthorizeService, token, peer).authorize({ action: 'read', resource: 'mcp:x' }))).toBe(
        Code.Unauthenticated,
      );
    }
    await vi.waitFor(async () => expect(await entries()).toHaveLength(5));
    // Another source is not held back by this one.
    const other = env().client(AgentService, 'kv_bogus', { 'x-test-peer-ip': '192.0.2.100' });
    expect(await codeOf(other.listAgents({}))).toBe(Code.Unauthenticated);

    env().clock.advance(61_000);
    expect(await codeOf(env().client(AgentService, 'not-a-token', peer).listAgents({}))).toBe(Code.Unauthenticated);
    await vi.waitFor(async () => expect(await entries()).toHaveLength(7));
    const after = await entries();
    const summary = after.find((e) => e.arguments.suppressed !== undefined);
    expect(summary).toMatchObject({ result: 'denied', reason: 'INVALID_TOKEN', arguments: { suppressed: 35 } });
  });
});

describe('bad credentials behind a trusted proxy', () => {
  const env = useInProcess({ KAVACH_REJECTION_AUDITS_PER_MINUTE: '2', KAVACH_TRUSTED_PROXIES: '10.9.9.9' });

  it('are limited and recorded per forwarded client, not per proxy', async () => {
    const via = (client: string) => ({ 'x-test-peer-ip': '10.9.9.9', 'x-forwarded-for': `${client}, 10.9.9.9` });
    const rejectedFrom = async (ip: string) =>
      (await env().store.audit.query('default', { actions: ['auth.token_rejected'] }, { limit: 1000 })).items.filter(
        (e) => e.clientIp === ip,
      );
    for (const client of ['198.51.100.20', '198.51.100.21']) {
      for (let i = 0; i < 4; i++) {
        expect(await codeOf(env().client(AgentService, 'kv_bogus', via(client)).listAgents({}))).toBe(Code.Unauthenticated);
      }
    }
    await vi.waitFor(async () => {
      expect(await rejectedFrom('198.51.100.20')).toHaveLength(2);
      expect(await rejectedFrom('198.51.100.21')).toHaveLength(2);
    });
    expect(await rejectedFrom('10.9.9.9')).toHaveLength(0);
  });
});
