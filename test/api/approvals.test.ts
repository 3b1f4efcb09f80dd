/**
 * Human approvals in process (docs/ARCHITECTURE.md#approvals): a pending approval per
 * distinct request, decided once by the owner or the admin, allowing exactly one later
 * matching call before it expires. Agents never decide.
 */
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { ActorKind, ApprovalStatus, ReasonCode } from '../../gen/kavach/v1/types_pb.js';
import type { InProcess } from '../support/app.js';
import { aPermission, aSuffix, constraints } from '../support/requests.js';
import { MINUTE_MS, auditEntries, codeOf, createAgent, rejectionOf, signUp, useInProcess } from './given.js';

const ms = (ts: Timestamp | undefined): number | undefined => (ts === undefined ? undefined : timestampDate(ts).getTime());

/** An agent whose `write` and `delete` on `mcp:<random>:*` need approval; returns it with a resource under that pattern. */
async function guardedAgent(env: InProcess, callerToken?: string) {
  const service = `svc${aSuffix()}`;
  const { agent, token } = await createAgent(
    env,
    {
      ...(callerToken === undefined ? {} : { ownerId: '' }),
      permissions: [aPermission({ resource: `mcp:${service}:*`, actions: ['write', 'delete'], constraints: constraints({ requireApproval: true }) })],
    },
    callerToken,
  );
  return { agent, token, resource: `mcp:${service}:repos`, otherResource: `mcp:${service}:issues` };
}

const admin = (env: InProcess) => env.client(AuthorizeService, env.adminToken);

describe('require_approval', () => {
  const env = useInProcess();

  it('answers the first call APPROVAL_REQUIRED with the id of a new pending approval that expires after the default 5 minutes', async () => {
    const { agent, token, resource } = await guardedAgent(env());
    const res = await env()
      .client(AuthorizeService, token)
      .authorize({ action: 'write', resource, arguments: { path: '/srv/app', token: 'sk-live-hidden-123' } });

    expect(res).toMatchObject({ allowed: false, reason: ReasonCode.APPROVAL_REQUIRED, retryAfterSeconds: 0 });
    expect(res.approvalId).toMatch(/^apr_/);
    expect(res.message).not.toBe('');
    const entry = await env().store.audit.get('default', res.auditId);
    expect(entry).toMatchObject({ result: 'pending_approval', reason: 'APPROVAL_REQUIRED', approvalId: res.approvalId, agentId: agent.id });

    const list = await admin(env()).listApprovals({});
    expect(list.approvals).toHaveLength(1);
    const [approval] = list.approvals;
    expect(approval).toMatchObject({
      id: res.approvalId,
      tenantId: 'default',
      agentId: agent.id,
      ownerId: agent.ownerId,
      action: 'write',
      resource,
      status: ApprovalStatus.PENDING,
    });
    expect(approval?.arguments).toEqual({ path: '/srv/app', token: '[REDACTED]' });
    const now = env().clock.now().getTime();
    expect(ms(approval?.createdAt)).toBe(now);
    expect(ms(approval?.expiresAt)).toBe(now + 5 * MINUTE_MS);
  });

  it('returns the same approval id while it is pending, however often the call is repeated', async () => {
    const { token, resource } = await guardedAgent(env());
    const authz = env().client(AuthorizeService, token);
    const first = await authz.authorize({ action: 'write', resource, arguments: { a: 1, b: 'two' } });
    env().clock.advance(MINUTE_MS);
    const again = await authz.authorize({ action: 'write', resource, arguments: { a: 1, b: 'two' } });
    const reordered = await authz.authorize({ action: 'write', resource, arguments: { b: 'two', a: 1 } });
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => authz.authorize({ action: 'write', resource, arguments: { a: 1, b: 'two' } })));
    const batch = await authz.authorizeBatch({ checks: [{ action: 'write', resource, arguments: { a: 1, b: 'two' } }, { action: 'write', resource, arguments: { a: 1, b: 'two' } }] });

    const ids = [again, reordered, ...concurrent, ...batch.decisions].map((r) => r.approvalId);
    expect(new Set(ids)).toEqual(new Set([first.approvalId]));
    expect((await admin(env()).listApprovals({})).approvals).toHaveLength(1);
  });

  it('gives the same request by id (as the admin) and by token the same approval', async () => {
    const { agent, token, resource } = await guardedAgent(env());
    const byToken = await env().client(AuthorizeService, token).authorize({ action: 'write', resource, arguments: { n: 1 } });
    const byId = await admin(env()).authorize({ agentId: agent.id, action: 'write', resource, arguments: { n: 1 } });
    expect(byId.reason).toBe(ReasonCode.APPROVAL_REQUIRED);
    expect(byId.approvalId).toBe(byToken.approvalId);
  });

  it('gives a request with other arguments, action or resource an approval of its own', async () => {
    const { token, resource, otherResource } = await guardedAgent(env());
    const authz = env().client(AuthorizeService, token);
    const base = await authz.authorize({ action: 'write', resource, arguments: { n: 1 } });
    const args = await authz.authorize({ action: 'write', resource, arguments: { n: 2 } });
    const action = await authz.authorize({ action: 'delete', resource, arguments: { n: 1 } });
    const res = await authz.authorize({ action: 'write', resource: otherResource, arguments: { n: 1 } });
    const ids = [base, args, action, res].map((r) => r.approvalId);
    expect(new Set(ids).size).toBe(4);
    expect((await admin(env()).listApprovals({ status: ApprovalStatus.PENDING })).approvals).toHaveLength(4);
  });
});

describe('deciding approvals', () => {
  const env = useInProcess();

  it('once approved, allows exactly one matching call; the next call needs a new approval', async () => {
    const { token, resource } = await guardedAgent(env());
    const authz = env().client(AuthorizeService, token);
    const call = () => authz.authorize({ action: 'write', resource, arguments: { path: '/a' } });
    const pending = await call();

    env().clock.advance(MINUTE_MS);
    const decided = await admin(env()).approveRequest({ approvalId: pending.approvalId, reason: 'looks fine' });
    expect(decided.approval).toMatchObject({ id: pending.approvalId, status: ApprovalStatus.APPROVED, reason: 'looks fine' });
    expect(decided.approval?.decidedBy).toMatchObject({ kind: ActorKind.ADMIN });
    expect(ms(decided.approval?.decidedAt)).toBe(env().clock.now().getTime());

    const allowed = await call();
    expect(allowed).toMatchObject({ allowed: true, reason: ReasonCode.ALLOWED });
    expect((await env().store.audit.get('default', allowed.auditId))?.result).toBe('allowed');

    const next = await call();
    expect(next).toMatchObject({ allowed: false, reason: ReasonCode.APPROVAL_REQUIRED });
    expect(next.approvalId).not.toBe(pending.approvalId);
    const first = (await admin(env()).listApprovals({})).approvals.find((a) => a.id === pending.approvalId);
    expect(first?.status).toBe(ApprovalStatus.CONSUMED);
  });

  it('lets only the approved request through, not one that differs in arguments, action, resource or agent', async () => {
    const guarded = await guardedAgent(env());
    const { token, resource, otherResource, agent } = guarded;
    const authz = env().client(AuthorizeService, token);
    const pending = await authz.authorize({ action: 'write', resource, arguments: { path: '/a' } });
    await admin(env()).approveRequest({ approvalId: pending.approvalId });

    const otherArgs = await authz.authorize({ action: 'write', resource, arguments: { path: '/b' } });
    const noArgs = await authz.authorize({ action: 'write', resource });
    const otherAction = await authz.authorize({ action: 'delete', resource, arguments: { path: '/a' } });
    const otherRes = await authz.authorize({ action: 'write', resource: otherResource, arguments: { path: '/a' } });
    // A second agent of the same owner with the same permission.
    const twin = await createAgent(env(), { ownerId: agent.ownerId, permissions: agent.permissions.map((p) => ({ ...p })) });
    const otherAgent = await env().client(AuthorizeService, twin.token).authorize({ action: 'write', resource, arguments: { path: '/a' } });

    for (const r of [otherArgs, noArgs, otherAction, otherRes, otherAgent]) {
      expect(r).toMatchObject({ allowed: false, reason: ReasonCode.APPROVAL_REQUIRED });
      expect(r.approvalId).not.toBe(pending.approvalId);
    }
    expect((await authz.authorize({ action: 'write', resource, arguments: { path: '/a' } })).allowed).toBe(true);
  });

  it('never allows with an approval that expired before it was used', async () => {
    const { token, resource } = await guardedAgent(env());
    const authz = env().client(AuthorizeService, token);
    const pending = await authz.authorize({ action: 'write', resource });
    const decided = await admin(env()).approveRequest({ approvalId: pending.approvalId });
    const useBy = ms(decided.approval?.expiresAt) ?? 0;
    expect(useBy).toBeGreaterThan(env().clock.now().getTime());

    env().clock.set(new Date(useBy));
    const late = await authz.authorize({ action: 'write', resource });
    expect(late).toMatchObject({ allowed: false, reason: ReasonCode.APPROVAL_REQUIRED });
    expect(late.approvalId).not.toBe(pending.approvalId);
    const first = (await admin(env()).listApprovals({})).approvals.find((a) => a.id === pending.approvalId);
    expect(first?.status).toBe(ApprovalStatus.EXPIRED);
  });

  it('lets a pending approval expire undecided: it can no longer be decided and the call gets a new one', async () => {
    const { token, resource } = await guardedAgent(env());
    const authz = env().client(AuthorizeService, token);
    const pending = await authz.authorize({ action: 'write', resource });
    env().clock.advance(5 * MINUTE_MS);

    expect(await codeOf(admin(env()).approveRequest({ approvalId: pending.approvalId }))).toBe(Code.FailedPrecondition);
    const listed = await admin(env()).listApprovals({ status: ApprovalStatus.EXPIRED });
    expect(listed.approvals.map((a) => a.id)).toEqual([pending.approvalId]);
    const again = await authz.authorize({ action: 'write', resource });
    expect(again).toMatchObject({ allowed: false, reason: ReasonCode.APPROVAL_REQUIRED });
    expect(again.approvalId).not.toBe(pending.approvalId);
  });

  it('never allows a denied request', async () => {
    const { token, resource } = await guardedAgent(env());
    const authz = env().client(AuthorizeService, token);
    const pending = await authz.authorize({ action: 'write', resource });
    const denied = await admin(env()).denyRequest({ approvalId: pending.approvalId, reason: 'no' });
    expect(denied.approval).toMatchObject({ status: ApprovalStatus.DENIED, reason: 'no' });

    const after = await authz.authorize({ action: 'write', resource });
    expect(after.allowed).toBe(false);
    expect(after.approvalId).not.toBe(pending.approvalId);
    const first = (await admin(env()).listApprovals({})).approvals.find((a) => a.id === pending.approvalId);
    expect(first?.status).toBe(ApprovalStatus.DENIED);
  });

  it.each([
    ['approve', 'approve'],
    ['approve', 'deny'],
    ['deny', 'approve'],
    ['deny', 'deny'],
  ] as const)('refuses to %s and then %s the same approval with FailedPrecondition', async (first, second) => {
    const { token, resource } = await guardedAgent(env());
    const pending = await env().client(AuthorizeService, token).authorize({ action: 'write', resource });
    const decide = (how: 'approve' | 'deny') =>
      how === 'approve' ? admin(env()).approveRequest({ approvalId: pending.approvalId }) : admin(env()).denyRequest({ approvalId: pending.approvalId });
    await decide(first);
    expect(await codeOf(decide(second))).toBe(Code.FailedPrecondition);
    const status = (await admin(env()).listApprovals({})).approvals[0]?.status;
    expect(status).toBe(first === 'approve' ? ApprovalStatus.APPROVED : ApprovalStatus.DENIED);
  });

  it('refuses to approve a consumed approval with FailedPrecondition', async () => {
    const { token, resource } = await guardedAgent(env());
    const authz = env().client(AuthorizeService, token);
    const pending = await authz.authorize({ action: 'write', resource });
    await admin(env()).approveRequest({ approvalId: pending.approvalId });
    expect((await authz.authorize({ action: 'write', resource })).allowed).toBe(true);
    expect(await codeOf(admin(env()).approveRequest({ approvalId: pending.approvalId }))).toBe(Code.FailedPrecondition);
  });

  it('refuses a decision note over 512 characters with InvalidArgument naming reason, deciding nothing', async () => {
    const { token, resource } = await guardedAgent(env());
    const pending = await env().client(AuthorizeService, token).authorize({ action: 'write', resource });
    const err = await rejectionOf(admin(env()).approveRequest({ approvalId: pending.approvalId, reason: 'r'.repeat(513) }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('reason');
    const denyErr = await rejectionOf(admin(env()).denyRequest({ approvalId: pending.approvalId, reason: 'r'.repeat(513) }));
    expect(denyErr.code).toBe(Code.InvalidArgument);
    expect((await admin(env()).listApprovals({})).approvals[0]?.status).toBe(ApprovalStatus.PENDING);
  });

  it('lets no approved request through once its agent is revoked', async () => {
    const { agent, token, resource } = await guardedAgent(env());
    const pending = await env().client(AuthorizeService, token).authorize({ action: 'write', resource });
    await admin(env()).approveRequest({ approvalId: pending.approvalId });
    await env().client(AgentService, env().adminToken).revokeAgent({ agentId: agent.id });
    const byId = await admin(env()).authorize({ agentId: agent.id, action: 'write', resource });
    expect(byId).toMatchObject({ allowed: false, reason: ReasonCode.AGENT_REVOKED });
  });

  it('answers NotFound for an approval that does not exist', async () => {
    expect(await codeOf(admin(env()).approveRequest({ approvalId: 'apr_0123456789abcdef0123' }))).toBe(Code.NotFound);
    expect(await codeOf(admin(env()).denyRequest({ approvalId: 'apr_0123456789abcdef0123' }))).toBe(Code.NotFound);
  });

  it('never lets an agent decide, even its own approval, or list approvals', async () => {
    const { token, resource } = await guardedAgent(env());
    const asAgent = env().client(AuthorizeService, token);
    const pending = await asAgent.authorize({ action: 'write', resource });

    expect(await codeOf(asAgent.approveRequest({ approvalId: pending.approvalId }))).toBe(Code.PermissionDenied);
    expect(await codeOf(asAgent.denyRequest({ approvalId: pending.approvalId }))).toBe(Code.PermissionDenied);
    expect(await codeOf(asAgent.listApprovals({}))).toBe(Code.PermissionDenied);
    expect((await admin(env()).listApprovals({})).approvals[0]?.status).toBe(ApprovalStatus.PENDING);
    expect((await asAgent.authorize({ action: 'write', resource })).allowed).toBe(false);
  });

  it('audits every decision with who decided', async () => {
    const { agent, token, resource } = await guardedAgent(env());
    const authz = env().client(AuthorizeService, token);
    const one = await authz.authorize({ action: 'write', resource, arguments: { n: 1 } });
    const two = await authz.authorize({ action: 'write', resource, arguments: { n: 2 } });
    await admin(env()).approveRequest({ approvalId: one.approvalId });
    await admin(env()).denyRequest({ approvalId: two.approvalId });

    const decisions = (await auditEntries(env())).filter((e) => e.action === 'approval.decide');
    expect(decisions).toHaveLength(2);
    const byApproval = new Map(decisions.map((e) => [e.approvalId, e]));
    expect(byApproval.get(one.approvalId)).toMatchObject({ actor: { kind: 'admin', id: 'admin' }, result: 'allowed', agentId: agent.id, ownerId: agent.ownerId });
    expect(byApproval.get(two.approvalId)).toMatchObject({ actor: { kind: 'admin', id: 'admin' }, result: 'denied', agentId: agent.id });
  });

  it('records an approval that expires undecided as decided by the system', async () => {
    const { token, resource } = await guardedAgent(env());
    const pending = await env().client(AuthorizeService, token).authorize({ action: 'write', resource });
    env().clock.advance(5 * MINUTE_MS + 1);
    expect(await env().app.approvals.expireOverdue()).toBe(1);

    const [approval] = (await admin(env()).listApprovals({})).approvals;
    expect(approval).toMatchObject({ id: pending.approvalId, status: ApprovalStatus.EXPIRED });
    expect(approval?.decidedBy?.kind).toBe(ActorKind.SYSTEM);
    const entries = (await auditEntries(env())).filter((e) => e.action === 'approval.decide' && e.approvalId === pending.approvalId);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.actor.kind).toBe('system');
  });
});

describe('ListApprovals', () => {
  const env = useInProcess();

  it('filters by agent and status, newest first, and pages by cursor', async () => {
    const a = await guardedAgent(env());
    const b = await guardedAgent(env());
    const ask = async (token: string, resource: string, n: number) => {
      env().clock.advance(1000);
      return (await env().client(AuthorizeService, token).authorize({ action: 'write', resource, arguments: { n } })).approvalId;
    };
    const a1 = await ask(a.token, a.resource, 1);
    const b1 = await ask(b.token, b.resource, 1);
    const a2 = await ask(a.token, a.resource, 2);
    await admin(env()).approveRequest({ approvalId: a1 });

    const ids = async (req: Parameters<ReturnType<typeof admin>['listApprovals']>[0]) =>
      (await admin(env()).listApprovals(req)).approvals.map((x) => x.id);
    expect(await ids({})).toEqual([a2, b1, a1]);
    expect(await ids({ agentId: a.agent.id })).toEqual([a2, a1]);
    expect(await ids({ agentId: b.agent.id })).toEqual([b1]);
    expect(await ids({ status: ApprovalStatus.PENDING })).toEqual([a2, b1]);
    expect(await ids({ status: ApprovalStatus.APPROVED })).toEqual([a1]);

    const first = await admin(env()).listApprovals({ pageSize: 2 });
    expect(first.approvals.map((x) => x.id)).toEqual([a2, b1]);
    expect(first.nextPageToken).not.toBe('');
    const second = await admin(env()).listApprovals({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.approvals.map((x) => x.id)).toEqual([a1]);
    expect(second.nextPageToken).toBe('');
  });

  it('refuses a page size over 500 with InvalidArgument', async () => {
    const err = await rejectionOf(admin(env()).listApprovals({ pageSize: 501 }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('page_size');
  });
});

describe('approvals decided by the owner', () => {
  const env = useInProcess();

  it('lets the owner list and approve with their session, and the agent’s next call is allowed once', async () => {
    const owner = await signUp(env());
    const { agent, token, resource } = await guardedAgent(env(), owner.sessionToken);
    expect(agent.ownerId).toBe(owner.userId);
    const authz = env().client(AuthorizeService, token);
    const pending = await authz.authorize({ action: 'write', resource });

    const asOwner = env().client(AuthorizeService, owner.sessionToken);
    const listed = await asOwner.listApprovals({});
    expect(listed.approvals.map((a) => a.id)).toEqual([pending.approvalId]);
    const decided = await asOwner.approveRequest({ approvalId: pending.approvalId });
    expect(decided.approval?.decidedBy).toMatchObject({ kind: ActorKind.USER, id: owner.userId });

    expect((await authz.authorize({ action: 'write', resource })).allowed).toBe(true);
    expect((await authz.authorize({ action: 'write', resource })).allowed).toBe(false);
  });

  it('lets the owner deny', async () => {
    const owner = await signUp(env());
    const { token, resource } = await guardedAgent(env(), owner.sessionToken);
    const authz = env().client(AuthorizeService, token);
    const pending = await authz.authorize({ action: 'write', resource });
    const denied = await env().client(AuthorizeService, owner.sessionToken).denyRequest({ approvalId: pending.approvalId });
    expect(denied.approval?.status).toBe(ApprovalStatus.DENIED);
    expect((await authz.authorize({ action: 'write', resource })).allowed).toBe(false);
  });
});

describe('approval TTL', () => {
  const env = useInProcess({ KAVACH_APPROVAL_TTL_SECONDS: '60' });

  it('follows KAVACH_APPROVAL_TTL_SECONDS', async () => {
    const { token, resource } = await guardedAgent(env());
    const pending = await env().client(AuthorizeService, token).authorize({ action: 'write', resource });
    const [approval] = (await admin(env()).listApprovals({})).approvals;
    expect(approval?.id).toBe(pending.approvalId);
    expect(ms(approval?.expiresAt)).toBe(env().clock.now().getTime() + 60_000);
    env().clock.advance(60_000);
    expect(await codeOf(admin(env()).approveRequest({ approvalId: pending.approvalId }))).toBe(Code.FailedPrecondition);
  });
});
