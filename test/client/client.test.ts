/**
 * @kavach/client against a real server over each transport: every RPC of the five services,
 * the helpers (guard, tail, export), typed errors with request ids, and retries only where a
 * call is idempotent.
 */
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  AgentType,
  ApprovalStatus,
  AuditResult,
  AuthenticationError,
  IDEMPOTENT_RPCS,
  KavachError,
  NON_IDEMPOTENT_RPCS,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ReasonCode,
  ServerError,
  ValidationError,
  createKavachClient,
  read,
} from '../../clients/ts/src/node.js';
import { startServer, type RunningServer } from '../support/server.js';
import { ALL_RPCS, TRANSPORTS, aUserWithAgents, recordingClient } from './journey.js';

describe('the idempotency table', () => {
  it('classifies every RPC exactly once and names no other', () => {
    const classified = [...IDEMPOTENT_RPCS, ...NON_IDEMPOTENT_RPCS];
    expect(new Set(classified).size).toBe(classified.length);
    expect([...classified].sort()).toEqual([...ALL_RPCS].sort());
    expect(IDEMPOTENT_RPCS.has('kavach.v1.AuthorizeService/Authorize')).toBe(false);
  });
});

describe.each(TRANSPORTS)('@kavach/client over %s', (transport) => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '100', KAVACH_AUDIT_TAIL_POLL_MS: '20' });
  });
  afterAll(async () => {
    await srv.close();
  });

  it('makes every RPC of the five services', async () => {
    const { client: anonymous, calls } = recordingClient(srv.url, transport, '');
    const { email, signedUp, user, main, helper } = await aUserWithAgents(anonymous);
    const agentToken = main.token;
    const userId = signedUp.user?.id ?? '';

    const signedIn = await anonymous.auth.signIn({ email, password: 'correct horse battery staple 9' });
    expect(signedIn.user?.id).toBe(userId);
    expect((await user.auth.getSession({})).user?.email).toBe(email);

    const agentId = main.agent?.id ?? '';
    expect((await user.agents.getAgent({ agentId })).agent?.name).toBe('github-reader');
    expect((await user.agents.listAgents({})).agents.map((a) => a.name).sort()).toEqual(['github-reader', 'helper']);
    expect((await user.agents.updateAgent({ agentId, name: 'renamed' })).agent?.name).toBe('renamed');

    const allowed = await user.guard(agentToken, 'read', 'mcp:github:repos', { repo: 'kavach' });
    expect(allowed.reason).toBe(ReasonCode.ALLOWED);
    const batch = await user.authorize.authorizeBatch({
      checks: [
        { agentId, action: 'read', resource: 'mcp:github:repos' },
        { agentId, action: 'read', resource: 'mcp:slack:post' },
      ],
    });
    expect(batch.decisions.map((d) => d.allowed)).toEqual([true, false]);

    // Approval: pending, approved once, then allowed; a second one denied.
    const pending = await user.authorize.authorize({ agentId, action: 'execute', resource: 'mcp:deploy:production' });
    expect(pending.reason).toBe(ReasonCode.APPROVAL_REQUIRED);
    const listed = await user.authorize.listApprovals({ status: ApprovalStatus.PENDING });
    expect(listed.approvals.map((a) => a.id)).toEqual([pending.approvalId]);
    expect((await user.authorize.approveRequest({ approvalId: pending.approvalId })).approval?.status).toBe(ApprovalStatus.APPROVED);
    expect((await user.guard(agentToken, 'execute', 'mcp:deploy:production')).allowed).toBe(true);
    const again = await user.authorize.authorize({ agentId, action: 'execute', resource: 'mcp:deploy:production' });
    expect((await user.authorize.denyRequest({ approvalId: again.approvalId, reason: 'not today' })).approval?.status).toBe(ApprovalStatus.DENIED);

    const helperId = helper.agent?.id ?? '';
    const delegation = await user.delegations.createDelegation({ fromAgentId: agentId, toAgentId: helperId, permissions: [read('mcp:github:repos')] });
    expect((await user.delegations.listDelegations({ agentId: helperId })).delegations.map((d) => d.id)).toEqual([delegation.delegation?.id]);
    const effective = await user.delegations.getEffectivePermissions({ agentId: helperId });
    expect(effective.permissions.map((p) => p.permission?.resource).sort()).toEqual(['mcp:docs:*', 'mcp:github:repos']);
    expect((await user.delegations.revokeDelegation({ delegationId: delegation.delegation?.id ?? '' })).revokedCount).toBe(1);

    const page = await user.audit.queryAudit({ filter: { agentId, result: AuditResult.DENIED, resourcePrefix: 'mcp:slack' } });
    expect(page.entries.map((e) => e.resource)).toEqual(['mcp:slack:post']);
    const rows = [];
    for await (const row of user.exportAudit({ filter: { agentId }, format: 'csv' })) rows.push(row);
    expect(rows[0]?.startsWith('id,tenant_id,time')).toBe(true);
    const entries = [];
    for await (const entry of user.exportAuditEntries({ filter: { agentId } })) entries.push(entry);
    expect(rows.length - 1).toBe(entries.length);
    expect(entries.map((e) => e.action)).toContain('agent.create');

    const abort = new AbortController();
    const tail = user.tailAudit({ filter: { agentId }, signal: abort.signal, onConnect: () => void user.guard(agentToken, 'read', 'mcp:github:x') });
    const first = await tail.next();
    abort.abort();
    expect(first.value?.entry.resource).toBe('mcp:github:x');

    const rotated = await user.agents.rotateAgentToken({ agentId });
    expect(rotated.token).not.toBe(agentToken);
    await expect(user.guard(agentToken, 'read', 'mcp:github:repos')).rejects.toBeInstanceOf(AuthenticationError);
    await user.agents.revokeAgent({ agentId });
    expect((await user.auth.signOut({})).endedSessions).toBe(1);

    expect(new Set(calls)).toEqual(new Set(ALL_RPCS));
  });

  it('throws each typed error with the request id the call carried', async () => {
    const sent: string[] = [];
    const spy: Interceptor = (next) => (req) => {
      sent.push(req.header.get('x-request-id') ?? '');
      return next(req);
    };
    const { client: anonymous } = recordingClient(srv.url, transport, '', [spy]);
    const { user, main } = await aUserWithAgents(anonymous);

    const missing = await user.agents.getAgent({ agentId: 'agt_missing' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toBeInstanceOf(KavachError);
    expect(missing).not.toBeInstanceOf(PermissionError);
    expect((missing as KavachError).code).toBe(Code.NotFound);
    expect((missing as KavachError).requestId).toBe(sent.at(-1));
    expect((missing as KavachError).requestId).toMatch(/^[0-9a-f-]{36}$/);

    await expect(anonymous.withToken('kvs_not_a_session_0000000000000000000000000000').agents.listAgents({})).rejects.toBeInstanceOf(AuthenticationError);
    await expect(user.withToken(main.token).agents.createAgent({ name: 'x', type: AgentType.AUTONOMOUS })).rejects.toBeInstanceOf(PermissionError);
    const invalid = await user.agents.createAgent({ name: '' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as KavachError).code).toBe(Code.InvalidArgument);

    const closed = createKavachClient({ baseUrl: 'http://127.0.0.1:1', transport, retry: { maxRetries: 0 } });
    const down = await closed.agents.listAgents({}).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(ServerError);
    expect((down as ServerError).code).toBe(Code.Unavailable);

    const denied = await user.guard(main.token, 'delete', 'mcp:github:repos').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect((denied as AccessDeniedError).reason).toBe(ReasonCode.NO_MATCHING_PERMISSION);
    expect((denied as AccessDeniedError).auditId).not.toBe('');
    const approval = await user.guard(main.token, 'execute', 'mcp:deploy:production').catch((e: unknown) => e);
    expect((approval as AccessDeniedError).approvalId).toMatch(/\S/);
  });

  // Each failed sign-in costs an argon2 hash (one at a time on this machine): a longer budget.
  it('throws RateLimitError with the retry-after the server sent (headers or trailers)', { timeout: 90_000 }, async () => {
    const anonymous = createKavachClient({ baseUrl: srv.url, transport });
    const email = `throttled-${transport}@example.com`;
    let limited: unknown;
    for (let i = 0; i < 12 && !(limited instanceof RateLimitError); i++) {
      limited = await anonymous.auth.signIn({ email, password: 'wrong password here' }).catch((e: unknown) => e);
    }
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).code).toBe(Code.ResourceExhausted);
    expect((limited as RateLimitError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('retries Unavailable for idempotent calls only, within the deadline', async () => {
    let failuresLeft = 0;
    const attempts: string[] = [];
    const flaky: Interceptor = (next) => async (req) => {
      attempts.push(req.method.name);
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new ConnectError('injected outage', Code.Unavailable);
      }
      return next(req);
    };
    const anonymous = createKavachClient({ baseUrl: srv.url, transport });
    const { signedUp, main } = await aUserWithAgents(anonymous);
    const user = createKavachClient({ baseUrl: srv.url, transport, token: signedUp.sessionToken, interceptors: [flaky], retry: { initialDelayMs: 1, maxDelayMs: 5 } });
    const agentId = main.agent?.id ?? '';

    failuresLeft = 2;
    expect((await user.agents.getAgent({ agentId })).agent?.id).toBe(agentId);
    expect(attempts).toEqual(['GetAgent', 'GetAgent', 'GetAgent']);

    attempts.length = 0;
    failuresLeft = 1;
    await expect(user.authorize.authorize({ agentId, action: 'read', resource: 'mcp:github:retried' })).rejects.toBeInstanceOf(ServerError);
    expect(attempts).toEqual(['Authorize']);
    // Sent once and failed before reaching the server: no decision was made or audited.
    expect((await user.audit.queryAudit({ filter: { agentId, resourcePrefix: 'mcp:github:retried' } })).total).toBe(0n);
    expect((await user.authorize.authorize({ agentId, action: 'read', resource: 'mcp:github:retried' })).allowed).toBe(true);
    expect((await user.audit.queryAudit({ filter: { agentId, resourcePrefix: 'mcp:github:retried' } })).total).toBe(1n);

    attempts.length = 0;
    failuresLeft = 10;
    await expect(user.agents.listAgents({})).rejects.toMatchObject({ code: Code.Unavailable });
    expect(attempts).toHaveLength(4);

    attempts.length = 0;
    failuresLeft = 1_000;
    const slow = createKavachClient({ baseUrl: srv.url, transport, token: signedUp.sessionToken, interceptors: [flaky], retry: { maxRetries: 1_000, initialDelayMs: 20, maxDelayMs: 20 } });
    await expect(slow.agents.listAgents({}, { timeoutMs: 100 })).rejects.toMatchObject({ code: Code.DeadlineExceeded });
    expect(attempts.length).toBeLessThan(1_000);
  });
});
