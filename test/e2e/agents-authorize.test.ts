/**
 * Agents and decisions over the network (docs/ARCHITECTURE.md#callers-and-credentials): the real server on 127.0.0.1:0 with
 * an injected clock, driven by grpc-js and again by connect-node's gRPC transport, plus one
 * decision over the Connect protocol with JSON, as a browser sends it. The in-process ring
 * (test/api) covers the rules in depth; this ring proves they hold for real clients, real
 * sockets and real peer addresses.
 */
import { randomBytes } from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService, type AuthorizeResponse } from '../../gen/kavach/v1/authorize_service_pb.js';
import { AgentStatus, ApprovalStatus, ReasonCode } from '../../gen/kavach/v1/types_pb.js';
import { fakeClock } from '../support/app.js';
import { GRPC_KITS, codeOf, connectJsonKit, failureOf, type Kit, type Rpc } from '../support/clients.js';
import {
  AGENT_TOKEN_SHAPE,
  aCreateAgentRequest,
  aPermission,
  aResource,
  aSignUpRequest,
  anAllowedValuesRule,
  constraints,
  type AuthorizeInit,
  type CreateAgentInit,
  type PermissionInit,
} from '../support/requests.js';
import { startServer, type RunningServer } from '../support/server.js';

const clock = fakeClock();
let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer({}, clock.now);
});
afterAll(async () => {
  await srv.close();
});

/** An id shaped like an agent id that no agent has. */
const missingAgentId = () => `agt_${randomBytes(16).toString('base64url')}`;

/** Clients and givens over one kit. */
function given(kit: Kit) {
  const agents: Rpc<typeof AgentService> = kit.client(AgentService);
  const authz: Rpc<typeof AuthorizeService> = kit.client(AuthorizeService);
  const auth: Rpc<typeof AuthService> = kit.client(AuthService);

  return {
    agents,
    authz,
    async signUp(): Promise<{ userId: string; session: string }> {
      const res = await auth.signUp(aSignUpRequest());
      return { userId: res.user?.id ?? expect.fail('SignUp returned no user'), session: res.sessionToken };
    },
    /** An agent created by `caller` (the admin unless given), allowed to `read` one fresh resource. */
    async anAgent(overrides: Partial<CreateAgentInit> = {}, permission: Partial<PermissionInit> = {}, caller?: string) {
      const resource = aResource();
      // The admin names an owner, who must be a user of the tenant: sign one up.
      const owner = caller === undefined && overrides.ownerId === undefined ? (await auth.signUp(aSignUpRequest())).user?.id : '';
      const request = aCreateAgentRequest({
        permissions: [aPermission({ resource, actions: ['read'], ...permission })],
        ownerId: owner ?? '',
        ...overrides,
      });
      const res = await agents.createAgent(request, caller ?? srv.adminToken);
      return { agent: res.agent ?? expect.fail('CreateAgent returned no agent'), token: res.token, resource };
    },
  };
}

/**
 * Asserts a decision: allowed exactly when the reason is ALLOWED, a message, and an `audit_id`
 * whose entry was committed to the store before the answer arrived, with the same outcome.
 */
function expectDecision(res: AuthorizeResponse, reason: ReasonCode, agentId: string): void {
  expect({ allowed: res.allowed, reason: ReasonCode[res.reason] }).toEqual({
    allowed: reason === ReasonCode.ALLOWED,
    reason: ReasonCode[reason],
  });
  expect(res.message).not.toBe('');
  expect(res.auditId).toMatch(/^aud_/);
  const entry = srv.committedAudit().find((e) => e.id === res.auditId);
  // An agent the caller cannot see is not filed as the entry's agent (that would put the
  // caller's request in another owner's log); the id asked for stays in the entry's message.
  const invisible = reason === ReasonCode.AGENT_NOT_FOUND;
  expect(entry).toMatchObject({ reason: ReasonCode[reason], agentId: invisible ? '' : agentId });
  if (invisible) expect(entry?.message).toContain(agentId);
}

describe.each(GRPC_KITS)('over %s', (_name, makeKit) => {
  let kit: Kit;
  let g: ReturnType<typeof given>;
  beforeAll(() => {
    kit = makeKit(srv.url);
    g = given(kit);
  });
  afterAll(() => kit.close());

  describe('CreateAgent', () => {
    it('lets the admin create an agent for a named owner, whose token authorizes it at once', async () => {
      const { userId: ownerId } = await g.signUp();
      const { agent, token, resource } = await g.anAgent({ ownerId });
      expect(agent).toMatchObject({ ownerId, tenantId: 'default', status: AgentStatus.ACTIVE });
      expect(token).toMatch(AGENT_TOKEN_SHAPE);
      expect(token.startsWith(agent.tokenPrefix)).toBe(true);
      expectDecision(await g.authz.authorize({ action: 'read', resource }, token), ReasonCode.ALLOWED, agent.id);
    });

    it('lets a signed-up user create an agent they own with their session, and no agent for anyone else', async () => {
      const user = await g.signUp();
      const { agent, token, resource } = await g.anAgent({}, {}, user.session);
      expect(agent.ownerId).toBe(user.userId);
      expect((await g.agents.getAgent({ agentId: agent.id }, user.session)).agent?.id).toBe(agent.id);
      expectDecision(await g.authz.authorize({ agentId: agent.id, action: 'read', resource }, user.session), ReasonCode.ALLOWED, agent.id);
      expectDecision(await g.authz.authorize({ action: 'read', resource }, token), ReasonCode.ALLOWED, agent.id);

      const forOther = g.agents.createAgent(aCreateAgentRequest({ ownerId: `usr_${randomBytes(10).toString('hex')}` }), user.session);
      expect(await codeOf(forOther)).toBe(Code.PermissionDenied);
    });

    it('refuses a call without a credential, or with a token that is not one, as Unauthenticated', async () => {
      expect(await codeOf(g.agents.createAgent(aCreateAgentRequest()))).toBe(Code.Unauthenticated);
      expect(await codeOf(g.agents.createAgent(aCreateAgentRequest(), `kv_${'A'.repeat(43)}`))).toBe(Code.Unauthenticated);
    });
  });

  describe('Authorize', () => {
    it('answers allowed and denied as responses with a reason code and a durable audit_id, by id and as the agent', async () => {
      const rule = constraints({ argumentRules: [anAllowedValuesRule('branch', ['main'])] });
      const { agent, token, resource } = await g.anAgent({}, { constraints: rule });
      const cases: Array<[Partial<AuthorizeInit>, ReasonCode]> = [
        [{ arguments: { branch: 'main' } }, ReasonCode.ALLOWED],
        [{ action: 'write', arguments: { branch: 'main' } }, ReasonCode.NO_MATCHING_PERMISSION],
        [{ resource: aResource(), arguments: { branch: 'main' } }, ReasonCode.NO_MATCHING_PERMISSION],
        [{ arguments: { branch: 'dev' } }, ReasonCode.ARGUMENT_REJECTED],
        [{ arguments: {} }, ReasonCode.ARGUMENT_REJECTED],
      ];
      const auditIds = new Set<string>();
      for (const [overrides, reason] of cases) {
        const request = { action: 'read', resource, ...overrides };
        const byId = await g.authz.authorize({ ...request, agentId: agent.id }, srv.adminToken);
        const asAgent = await g.authz.authorize(request, token);
        expectDecision(byId, reason, agent.id);
        expectDecision(asAgent, reason, agent.id);
        auditIds.add(byId.auditId).add(asAgent.auditId);
      }
      expect(auditIds.size).toBe(cases.length * 2);
    });

    it('refuses a * in the requested action or resource with InvalidArgument', async () => {
      const { token, resource } = await g.anAgent();
      expect(await codeOf(g.authz.authorize({ action: '*', resource }, token))).toBe(Code.InvalidArgument);
      expect(await codeOf(g.authz.authorize({ action: 'read', resource: 'mcp:*' }, token))).toBe(Code.InvalidArgument);
    });
  });

  describe('agent lifecycle', () => {
    it('rotation invalidates the old token at once: as a bearer it is Unauthenticated, the new one is allowed', async () => {
      const { agent, token: oldToken, resource } = await g.anAgent();
      expectDecision(await g.authz.authorize({ action: 'read', resource }, oldToken), ReasonCode.ALLOWED, agent.id);
      const rotated = await g.agents.rotateAgentToken({ agentId: agent.id }, srv.adminToken);
      expect(rotated.token).toMatch(AGENT_TOKEN_SHAPE);
      expect(rotated.token).not.toBe(oldToken);
      expect(rotated.token.startsWith(rotated.agent?.tokenPrefix ?? '?')).toBe(true);

      expect(await codeOf(g.authz.authorize({ action: 'read', resource }, oldToken))).toBe(Code.Unauthenticated);
      expect(await codeOf(g.agents.getAgent({ agentId: agent.id }, oldToken))).toBe(Code.Unauthenticated);
      expectDecision(await g.authz.authorize({ action: 'read', resource }, rotated.token), ReasonCode.ALLOWED, agent.id);
      expectDecision(await g.authz.authorize({ agentId: agent.id, action: 'read', resource }, srv.adminToken), ReasonCode.ALLOWED, agent.id);
    });

    it('revocation denies at once: AGENT_REVOKED by id, Unauthenticated as a bearer, and the record is kept as REVOKED', async () => {
      const { agent, token, resource } = await g.anAgent();
      expectDecision(await g.authz.authorize({ action: 'read', resource }, token), ReasonCode.ALLOWED, agent.id);

      const revoked = await g.agents.revokeAgent({ agentId: agent.id }, srv.adminToken);
      expect(revoked.agent?.status).toBe(AgentStatus.REVOKED);
      expect(revoked.agent?.revokedAt).toBeDefined();

      expectDecision(await g.authz.authorize({ agentId: agent.id, action: 'read', resource }, srv.adminToken), ReasonCode.AGENT_REVOKED, agent.id);
      expect(await codeOf(g.authz.authorize({ action: 'read', resource }, token))).toBe(Code.Unauthenticated);
      expect((await g.agents.getAgent({ agentId: agent.id }, srv.adminToken)).agent?.status).toBe(AgentStatus.REVOKED);
    });

    it('an agent past its expires_at is AGENT_EXPIRED by id, Unauthenticated as a bearer, and reads as EXPIRED', async () => {
      const expiresAt = new Date(clock.now().getTime() + 2000);
      const { agent, token, resource } = await g.anAgent({ expiresAt: timestampFromDate(expiresAt) });
      expectDecision(await g.authz.authorize({ agentId: agent.id, action: 'read', resource }, srv.adminToken), ReasonCode.ALLOWED, agent.id);
      expect((await g.agents.getAgent({ agentId: agent.id }, srv.adminToken)).agent?.status).toBe(AgentStatus.ACTIVE);

      clock.advance(3000);
      expectDecision(await g.authz.authorize({ agentId: agent.id, action: 'read', resource }, srv.adminToken), ReasonCode.AGENT_EXPIRED, agent.id);
      expect((await g.agents.getAgent({ agentId: agent.id }, srv.adminToken)).agent?.status).toBe(AgentStatus.EXPIRED);
      expect(await codeOf(g.authz.authorize({ action: 'read', resource }, token))).toBe(Code.Unauthenticated);
    });
  });

  describe('owner isolation', () => {
    it("user B gets NotFound for user A's agent, exactly as for an id that does not exist, and never its data", async () => {
      const a = await g.signUp();
      const b = await g.signUp();
      const { agent, token, resource } = await g.anAgent({ metadata: { team: 'a-team-secret-name' } }, {}, a.session);
      const missing = missingAgentId();
      const asSeenByB = (id: string) => [
        g.agents.getAgent({ agentId: id }, b.session),
        g.agents.updateAgent({ agentId: id, name: 'taken-over' }, b.session),
        g.agents.rotateAgentToken({ agentId: id }, b.session),
        g.agents.revokeAgent({ agentId: id }, b.session),
      ];
      const forA = await Promise.all(asSeenByB(agent.id).map(failureOf));
      const forMissing = await Promise.all(asSeenByB(missing).map(failureOf));
      expect(forA.map((f) => f.code)).toEqual([Code.NotFound, Code.NotFound, Code.NotFound, Code.NotFound]);
      expect(forA.map((f) => f.message.replaceAll(agent.id, '<id>'))).toEqual(
        forMissing.map((f) => f.message.replaceAll(missing, '<id>')),
      );
      const listed = await g.agents.listAgents({}, b.session);
      expect(listed.agents).toEqual([]);
      const leaked = JSON.stringify([forA.map((f) => f.message), listed]);
      for (const secret of [a.userId, agent.name, 'a-team-secret-name', agent.tokenPrefix]) expect(leaked).not.toContain(secret);

      // B's attempts changed nothing: A's agent is as it was, and its token still works.
      const seenByA = await g.agents.getAgent({ agentId: agent.id }, a.session);
      expect(seenByA.agent).toMatchObject({ name: agent.name, status: AgentStatus.ACTIVE, tokenPrefix: agent.tokenPrefix });
      expectDecision(await g.authz.authorize({ action: 'read', resource }, token), ReasonCode.ALLOWED, agent.id);
    });

    it("Authorize by A's agent id as user B is AGENT_NOT_FOUND, and the audit entry is filed under B, not A", async () => {
      const a = await g.signUp();
      const b = await g.signUp();
      const { agent, resource } = await g.anAgent({}, {}, a.session);
      const res = await g.authz.authorize({ agentId: agent.id, action: 'read', resource }, b.session);
      expectDecision(res, ReasonCode.AGENT_NOT_FOUND, agent.id);
      const missing = await g.authz.authorize({ agentId: missingAgentId(), action: 'read', resource }, b.session);
      expect(res.message).toBe(missing.message);
      expect(res.message).not.toContain(a.userId);
      // Filed under the caller (B), who made the request, never under A.
      expect(srv.committedAudit().find((e) => e.id === res.auditId)?.ownerId).toBe(b.userId);
    });
  });

  describe('approvals', () => {
    it('round trip: APPROVAL_REQUIRED with one id however often asked, the owner approves, exactly one call is allowed', async () => {
      const owner = await g.signUp();
      const { agent, token, resource } = await g.anAgent({}, { actions: ['write'], constraints: constraints({ requireApproval: true }) }, owner.session);
      const call = () => g.authz.authorize({ action: 'write', resource, arguments: { path: '/srv/app' } }, token);

      const first = await call();
      expectDecision(first, ReasonCode.APPROVAL_REQUIRED, agent.id);
      expect(first.approvalId).toMatch(/^apr_/);
      const again = await call();
      expectDecision(again, ReasonCode.APPROVAL_REQUIRED, agent.id);
      expect(again.approvalId).toBe(first.approvalId);

      const pending = await g.authz.listApprovals({ agentId: agent.id }, owner.session);
      expect(pending.approvals.map((a) => [a.id, a.status])).toEqual([[first.approvalId, ApprovalStatus.PENDING]]);
      expect(await codeOf(g.authz.approveRequest({ approvalId: first.approvalId }, token))).toBe(Code.PermissionDenied);
      const stranger = await g.signUp();
      expect(await codeOf(g.authz.approveRequest({ approvalId: first.approvalId }, stranger.session))).toBe(Code.NotFound);

      const approved = await g.authz.approveRequest({ approvalId: first.approvalId, reason: 'ok for today' }, owner.session);
      expect(approved.approval).toMatchObject({ id: first.approvalId, status: ApprovalStatus.APPROVED });

      const allowed = await call();
      expectDecision(allowed, ReasonCode.ALLOWED, agent.id);
      expect(allowed.approvalId).toBe(first.approvalId);
      const next = await call();
      expectDecision(next, ReasonCode.APPROVAL_REQUIRED, agent.id);
      expect(next.approvalId).toMatch(/^apr_/);
      expect(next.approvalId).not.toBe(first.approvalId);
    });
  });

  describe('AuthorizeBatch', () => {
    it('decides several checks in one call, in order, each with its own durable audit entry', async () => {
      const one = await g.anAgent();
      const two = await g.anAgent();
      const gone = await g.anAgent();
      await g.agents.revokeAgent({ agentId: gone.agent.id }, srv.adminToken);
      const missing = missingAgentId();
      const checks: Array<[AuthorizeInit, ReasonCode]> = [
        [{ agentId: one.agent.id, action: 'read', resource: one.resource }, ReasonCode.ALLOWED],
        [{ agentId: one.agent.id, action: 'write', resource: one.resource }, ReasonCode.NO_MATCHING_PERMISSION],
        [{ agentId: missing, action: 'read', resource: one.resource }, ReasonCode.AGENT_NOT_FOUND],
        [{ agentId: two.agent.id, action: 'read', resource: one.resource }, ReasonCode.NO_MATCHING_PERMISSION],
        [{ agentId: gone.agent.id, action: 'read', resource: gone.resource }, ReasonCode.AGENT_REVOKED],
        [{ agentId: two.agent.id, action: 'read', resource: two.resource }, ReasonCode.ALLOWED],
      ];
      const res = await g.authz.authorizeBatch({ checks: checks.map(([c]) => c) }, srv.adminToken);
      expect(res.decisions).toHaveLength(checks.length);
      checks.forEach(([check, reason], i) => expectDecision(res.decisions[i] ?? expect.fail(`no decision ${i}`), reason, check.agentId ?? ''));
      expect(new Set(res.decisions.map((d) => d.auditId)).size).toBe(checks.length);
    });

    it('lets an agent batch checks on itself with agent_id empty', async () => {
      const { agent, token, resource } = await g.anAgent();
      const res = await g.authz.authorizeBatch(
        { checks: [{ action: 'read', resource }, { action: 'delete', resource }, { action: 'read', resource: aResource() }] },
        token,
      );
      expect(res.decisions.map((d) => d.reason)).toEqual([ReasonCode.ALLOWED, ReasonCode.NO_MATCHING_PERMISSION, ReasonCode.NO_MATCHING_PERMISSION]);
      for (const d of res.decisions) expect(srv.committedAudit().find((e) => e.id === d.auditId)?.agentId).toBe(agent.id);
    });
  });

  describe('the IP an allowlist checks is the peer address', () => {
    const spoofed = { clientIp: '10.1.2.3' };
    const spoofedHeaders = { 'x-forwarded-for': '10.1.2.3' };

    it("ignores the agent's client_ip and X-Forwarded-For: 10.0.0.0/8 denies a loopback peer", async () => {
      const { agent, token, resource } = await g.anAgent({}, { constraints: constraints({ ipAllowlist: ['10.0.0.0/8'] }) });
      const res = await g.authz.authorize({ action: 'read', resource, ...spoofed }, token, spoofedHeaders);
      expectDecision(res, ReasonCode.IP_NOT_ALLOWED, agent.id);
      expect(srv.committedAudit().find((e) => e.id === res.auditId)?.clientIp).toBe('127.0.0.1');
    });

    it("ignores the owner's client_ip too, and believes the admin's", async () => {
      const owner = await g.signUp();
      const { agent, resource } = await g.anAgent({}, { constraints: constraints({ ipAllowlist: ['10.0.0.0/8'] }) }, owner.session);
      const byOwner = await g.authz.authorize({ agentId: agent.id, action: 'read', resource, ...spoofed }, owner.session, spoofedHeaders);
      expectDecision(byOwner, ReasonCode.IP_NOT_ALLOWED, agent.id);
      const byAdmin = await g.authz.authorize({ agentId: agent.id, action: 'read', resource, ...spoofed }, srv.adminToken);
      expectDecision(byAdmin, ReasonCode.ALLOWED, agent.id);
    });

    it('allows a loopback peer when the allowlist holds 127.0.0.1, whatever client_ip the agent claims', async () => {
      const { agent, token, resource } = await g.anAgent({}, { constraints: constraints({ ipAllowlist: ['192.0.2.0/24', '127.0.0.1'] }) });
      expectDecision(await g.authz.authorize({ action: 'read', resource, ...spoofed }, token), ReasonCode.ALLOWED, agent.id);
    });
  });
});

describe('Authorize over the Connect protocol (JSON over HTTP/1.1, as browsers call it)', () => {
  let kit: Kit;
  let g: ReturnType<typeof given>;
  beforeAll(() => {
    kit = connectJsonKit(srv.url);
    g = given(kit);
  });
  afterAll(() => kit.close());

  it('decides allowed and denied, and rejects a revoked token as Unauthenticated', async () => {
    const { agent, token, resource } = await g.anAgent();
    expectDecision(await g.authz.authorize({ action: 'read', resource }, token), ReasonCode.ALLOWED, agent.id);
    expectDecision(await g.authz.authorize({ action: 'write', resource }, token), ReasonCode.NO_MATCHING_PERMISSION, agent.id);
    await g.agents.revokeAgent({ agentId: agent.id }, srv.adminToken);
    expect(await codeOf(g.authz.authorize({ action: 'read', resource }, token))).toBe(Code.Unauthenticated);
  });

  it('speaks plain JSON on the wire: enum names, camelCase fields, and HTTP 401 for a bad token', async () => {
    const { agent, token, resource } = await g.anAgent();
    const post = (body: object, bearer: string) =>
      fetch(`${srv.url}/kavach.v1.AuthorizeService/Authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'connect-protocol-version': '1', authorization: `Bearer ${bearer}` },
        body: JSON.stringify(body),
      });
    const allowed = await post({ action: 'read', resource }, token);
    expect(allowed.status).toBe(200);
    const json = (await allowed.json()) as Record<string, unknown>;
    expect(json).toMatchObject({ allowed: true, reason: 'REASON_CODE_ALLOWED', auditId: expect.stringMatching(/^aud_/) });
    expect(srv.committedAudit().find((e) => e.id === json.auditId)?.agentId).toBe(agent.id);

    const denied = (await (await post({ agentId: agent.id, action: 'write', resource }, srv.adminToken)).json()) as Record<string, unknown>;
    expect(denied.reason).toBe('REASON_CODE_NO_MATCHING_PERMISSION');
    expect(denied.allowed ?? false).toBe(false);

    const rejected = await post({ action: 'read', resource }, `kv_${'B'.repeat(43)}`);
    expect(rejected.status).toBe(401);
    expect(await rejected.json()).toMatchObject({ code: 'unauthenticated' });
  });
});
