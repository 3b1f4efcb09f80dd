/**
 * AuthorizeService.Authorize and AuthorizeBatch in process (docs/ARCHITECTURE.md#decisions): who may ask, what a
 * decision holds, the audit entry behind it, and the stateful constraints (rate limits, client
 * IP, time windows) driven by the fake clock.
 */
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthorizeService, type AuthorizeResponse } from '../../gen/kavach/v1/authorize_service_pb.js';
import { ReasonCode, Weekday, type AgentStatus } from '../../gen/kavach/v1/types_pb.js';
import type { InProcess } from '../support/app.js';
import {
  aCreateAgentRequest,
  aGlobRule,
  aPermission,
  aResource,
  anAllowedValuesRule,
  anAuthorizeRequest,
  constraints,
  oversizeArguments,
  type AuthorizeInit,
  type ConstraintsInit,
} from '../support/requests.js';
import { HOUR_MS, MINUTE_MS, codeOf, createAgent, later, rejectionOf, signUp, useInProcess } from './given.js';

/** Creates an agent (as the admin) holding `read` on exactly `resource`, with `c` as constraints. */
async function agentReading(env: InProcess, resource: string, c: ConstraintsInit = {}) {
  return createAgent(env, { permissions: [aPermission({ resource, actions: ['read'], constraints: constraints(c) })] });
}

/** How many audit entries of the default tenant name `resource`. */
async function decisionsOn(env: InProcess, resource: string): Promise<number> {
  return (await env.store.audit.query('default', { resourcePrefix: resource }, { limit: 1 })).total;
}

const asAdmin = (env: InProcess) => env.client(AuthorizeService, env.adminToken);

describe('Authorize by agent id', () => {
  const env = useInProcess();

  it('lets the admin check an agent, and the returned audit_id is already durable', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource);
    const res = await asAdmin(env()).authorize({ agentId: agent.id, action: 'read', resource, arguments: { repo: 'kavach', depth: 2 } });

    expect(res).toMatchObject({ allowed: true, reason: ReasonCode.ALLOWED, retryAfterSeconds: 0, approvalId: '' });
    expect(res.message).not.toBe('');
    expect(res.auditId).toMatch(/^aud_/);
    const entry = await env().store.audit.get('default', res.auditId);
    expect(entry).toMatchObject({
      id: res.auditId,
      actor: { kind: 'admin', id: 'admin' },
      agentId: agent.id,
      ownerId: agent.ownerId,
      action: 'read',
      resource,
      arguments: { repo: 'kavach', depth: 2 },
      result: 'allowed',
      reason: 'ALLOWED',
      clientIp: '127.0.0.1',
    });
    expect(entry?.time.getTime()).toBe(env().clock.now().getTime());
  });

  it('lets the owner check their own agent with their session', async () => {
    const user = await signUp(env());
    const resource = aResource();
    const { agent } = await createAgent(env(), { ownerId: '', permissions: [aPermission({ resource })] }, user.sessionToken);
    expect(agent.ownerId).toBe(user.userId);

    const res = await env().client(AuthorizeService, user.sessionToken).authorize({ agentId: agent.id, action: 'read', resource });
    expect(res).toMatchObject({ allowed: true, reason: ReasonCode.ALLOWED });
    const entry = await env().store.audit.get('default', res.auditId);
    expect(entry?.actor).toEqual({ kind: 'user', id: user.userId });
  });

  it('redacts secret-named arguments in the audit entry', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource);
    const res = await asAdmin(env()).authorize({
      agentId: agent.id,
      action: 'read',
      resource,
      arguments: { repo: 'kavach', password: 'hunter2-secret', nested: { api_key: 'ak-123-secret' } },
    });
    const entry = await env().store.audit.get('default', res.auditId);
    expect(entry?.arguments).toEqual({ repo: 'kavach', password: '[REDACTED]', nested: { api_key: '[REDACTED]' } });
    expect(JSON.stringify(entry)).not.toContain('secret');
  });

  it('answers a denial as a response, not an error, and audits it as denied', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource);
    const res = await asAdmin(env()).authorize({ agentId: agent.id, action: 'write', resource });

    expect(res).toMatchObject({ allowed: false, reason: ReasonCode.NO_MATCHING_PERMISSION, retryAfterSeconds: 0, approvalId: '' });
    expect(res.message).not.toBe('');
    const entry = await env().store.audit.get('default', res.auditId);
    expect(entry).toMatchObject({ agentId: agent.id, action: 'write', result: 'denied', reason: 'NO_MATCHING_PERMISSION' });
  });

  it('answers AGENT_NOT_FOUND for an id that does not exist, and audits it', async () => {
    const resource = aResource();
    const res = await asAdmin(env()).authorize({ agentId: 'agt_0123456789abcdef0123', action: 'read', resource });
    expect(res).toMatchObject({ allowed: false, reason: ReasonCode.AGENT_NOT_FOUND });
    const entry = await env().store.audit.get('default', res.auditId);
    expect(entry).toMatchObject({ resource, result: 'denied', reason: 'AGENT_NOT_FOUND' });
  });

  it('refuses an empty agent_id from a caller that is not an agent with InvalidArgument', async () => {
    const err = await rejectionOf(asAdmin(env()).authorize(anAuthorizeRequest({ agentId: '' })));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('agent_id');
  });
});

describe('Authorize as the calling agent', () => {
  const env = useInProcess();

  it('checks the agent behind the bearer token when agent_id is empty', async () => {
    const resource = aResource();
    const { agent, token } = await agentReading(env(), resource);
    const authz = env().client(AuthorizeService, token);

    const allowed = await authz.authorize({ action: 'read', resource });
    expect(allowed).toMatchObject({ allowed: true, reason: ReasonCode.ALLOWED });
    const entry = await env().store.audit.get('default', allowed.auditId);
    expect(entry).toMatchObject({ actor: { kind: 'agent', id: agent.id }, agentId: agent.id, ownerId: agent.ownerId, result: 'allowed' });

    const denied = await authz.authorize({ action: 'delete', resource });
    expect(denied).toMatchObject({ allowed: false, reason: ReasonCode.NO_MATCHING_PERMISSION });
  });

  it('treats an agent naming its own id like one naming none', async () => {
    const resource = aResource();
    const { agent, token } = await agentReading(env(), resource);
    const res = await env().client(AuthorizeService, token).authorize({ agentId: agent.id, action: 'read', resource });
    expect(res).toMatchObject({ allowed: true, reason: ReasonCode.ALLOWED });
  });
});

describe('agent status on every path', () => {
  const env = useInProcess();

  it.each([
    ['revoked', ReasonCode.AGENT_REVOKED],
    ['expired', ReasonCode.AGENT_EXPIRED],
  ] as const)('a %s agent is denied by id, in a batch and as a bearer', async (how, reason) => {
    const resource = aResource();
    const { agent, token } = await createAgent(env(), {
      permissions: [aPermission({ resource })],
      expiresAt: timestampFromDate(later(env(), HOUR_MS)),
    });
    expect((await env().client(AuthorizeService, token).authorize({ action: 'read', resource })).allowed).toBe(true);
    if (how === 'revoked') await env().client(AgentService, env().adminToken).revokeAgent({ agentId: agent.id });
    else env().clock.advance(HOUR_MS);

    const byId = await asAdmin(env()).authorize({ agentId: agent.id, action: 'read', resource });
    expect(byId).toMatchObject({ allowed: false, reason });
    expect((await env().store.audit.get('default', byId.auditId))?.reason).toBe(ReasonCode[reason]);

    const batch = await asAdmin(env()).authorizeBatch({ checks: [{ agentId: agent.id, action: 'read', resource }] });
    expect(batch.decisions.map((d) => [d.allowed, d.reason])).toEqual([[false, reason]]);

    expect(await codeOf(env().client(AuthorizeService, token).authorize({ action: 'read', resource }))).toBe(Code.Unauthenticated);
  });
});

describe('one audit entry per decision', () => {
  const env = useInProcess();

  it('writes exactly one durable entry for every decision, allowed or not', async () => {
    const resource = aResource();
    const { agent, token } = await agentReading(env(), resource);
    const responses: AuthorizeResponse[] = [];
    responses.push(await asAdmin(env()).authorize({ agentId: agent.id, action: 'read', resource }));
    responses.push(await asAdmin(env()).authorize({ agentId: agent.id, action: 'write', resource }));
    responses.push(await env().client(AuthorizeService, token).authorize({ action: 'read', resource }));
    responses.push(await asAdmin(env()).authorize({ agentId: 'agt_missing', action: 'read', resource }));
    const batch = await asAdmin(env()).authorizeBatch({
      checks: [
        { agentId: agent.id, action: 'read', resource },
        { agentId: agent.id, action: 'write', resource },
      ],
    });
    responses.push(...batch.decisions);

    expect(await decisionsOn(env(), resource)).toBe(6);
    const ids = responses.map((r) => r.auditId);
    expect(new Set(ids).size).toBe(6);
    for (const id of ids) expect(await env().store.audit.get('default', id)).toBeDefined();
  });
});

describe('request validation', () => {
  const env = useInProcess();

  it.each([
    ['a * action', { action: '*' }, 'action'],
    ['an action containing *', { action: 'read*' }, 'action'],
    ['a bare * resource', { resource: '*' }, 'resource'],
    ['a trailing * in the resource', { resource: 'mcp:github:*' }, 'resource'],
    ['a middle * in the resource', { resource: 'mcp:*:repos' }, 'resource'],
    ['an empty action', { action: '' }, 'action'],
    ['an empty resource', { resource: '' }, 'resource'],
  ] as Array<[string, Partial<AuthorizeInit>, string]>)('refuses %s with InvalidArgument naming the field', async (_what, overrides, field) => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource);
    const err = await rejectionOf(asAdmin(env()).authorize(anAuthorizeRequest({ agentId: agent.id, resource, ...overrides })));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain(field);
  });

  it('refuses arguments over 64 KiB with InvalidArgument naming arguments', async () => {
    const resource = aResource();
    const { agent, token } = await agentReading(env(), resource);
    const err = await rejectionOf(asAdmin(env()).authorize({ agentId: agent.id, action: 'read', resource, arguments: oversizeArguments() }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('arguments');
    const self = await rejectionOf(env().client(AuthorizeService, token).authorize({ action: 'read', resource, arguments: oversizeArguments() }));
    expect(self.code).toBe(Code.InvalidArgument);
  });

  it('measures the 64 KiB arguments limit in encoded bytes, not characters', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource);
    // 40,000 two-byte characters: 80,000 bytes of UTF-8, though only 40,000 UTF-16 code units.
    const err = await rejectionOf(asAdmin(env()).authorize({ agentId: agent.id, action: 'read', resource, arguments: { blob: 'é'.repeat(40_000) } }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('arguments');
  });

  it('refuses a client_ip from the admin that is not an IP address, naming client_ip', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource);
    const err = await rejectionOf(asAdmin(env()).authorize({ agentId: agent.id, action: 'read', resource, clientIp: 'not-an-ip' }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('client_ip');
  });

  it('accepts arguments just under 64 KiB', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource);
    const res = await asAdmin(env()).authorize({ agentId: agent.id, action: 'read', resource, arguments: { blob: 'x'.repeat(60 * 1024) } });
    expect(res.allowed).toBe(true);
  });
});

describe('argument rules', () => {
  const env = useInProcess();

  it('allows arguments that pass and rejects the rest, naming the argument but never its value', async () => {
    const resource = aResource();
    const { token } = await agentReading(env(), resource, { argumentRules: [aGlobRule('path', 'src/*'), anAllowedValuesRule('mode', ['ro'])] });
    const authz = env().client(AuthorizeService, token);

    expect((await authz.authorize({ action: 'read', resource, arguments: { path: 'src/a.ts', mode: 'ro' } })).allowed).toBe(true);
    const deep = await authz.authorize({ action: 'read', resource, arguments: { path: 'src/hidden-value-77/a.ts', mode: 'ro' } });
    expect(deep).toMatchObject({ allowed: false, reason: ReasonCode.ARGUMENT_REJECTED });
    expect(deep.message).toContain('path');
    expect(deep.message).not.toContain('hidden-value-77');
    const missing = await authz.authorize({ action: 'read', resource, arguments: { path: 'src/a.ts' } });
    expect(missing).toMatchObject({ allowed: false, reason: ReasonCode.ARGUMENT_REJECTED });
  });
});

describe('rate limits', () => {
  const env = useInProcess();

  it('allows exactly N calls, then RATE_LIMITED with a retry-after, then allows again once the hour has passed', async () => {
    const resource = aResource();
    const { token } = await agentReading(env(), resource, { maxCallsPerHour: 3 });
    const authz = env().client(AuthorizeService, token);
    const call = () => authz.authorize({ action: 'read', resource });

    for (let i = 0; i < 3; i++) {
      expect((await call()).reason).toBe(ReasonCode.ALLOWED);
      env().clock.advance(MINUTE_MS);
    }
    const limited = await call();
    expect(limited).toMatchObject({ allowed: false, reason: ReasonCode.RATE_LIMITED, approvalId: '' });
    expect(limited.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(limited.retryAfterSeconds).toBeLessThanOrEqual(3600);
    // The oldest call was 3 minutes ago, so it leaves the sliding hour in about 57 minutes.
    expect(Math.abs(limited.retryAfterSeconds - 57 * 60)).toBeLessThanOrEqual(1);
    expect((await env().store.audit.get('default', limited.auditId))?.result).toBe('rate_limited');

    env().clock.advance(HOUR_MS + 1000);
    for (let i = 0; i < 3; i++) expect((await call()).allowed).toBe(true);
    expect((await call()).reason).toBe(ReasonCode.RATE_LIMITED);
  });

  it('allows a call again after waiting retry_after_seconds', async () => {
    const resource = aResource();
    const { token } = await agentReading(env(), resource, { maxCallsPerHour: 1 });
    const authz = env().client(AuthorizeService, token);
    expect((await authz.authorize({ action: 'read', resource })).allowed).toBe(true);
    env().clock.advance(10 * MINUTE_MS);
    const limited = await authz.authorize({ action: 'read', resource });
    expect(limited.reason).toBe(ReasonCode.RATE_LIMITED);
    env().clock.advance(limited.retryAfterSeconds * 1000);
    expect((await authz.authorize({ action: 'read', resource })).allowed).toBe(true);
  });

  it('counts only allowed calls: refused calls do not keep the window full', async () => {
    const resource = aResource();
    const { token } = await agentReading(env(), resource, { maxCallsPerHour: 2 });
    const authz = env().client(AuthorizeService, token);
    const call = () => authz.authorize({ action: 'read', resource });

    expect((await call()).allowed).toBe(true); // t0
    env().clock.advance(10 * MINUTE_MS);
    expect((await call()).allowed).toBe(true); // t0 + 10m
    env().clock.advance(10 * MINUTE_MS);
    for (let i = 0; i < 3; i++) expect((await call()).reason).toBe(ReasonCode.RATE_LIMITED); // t0 + 20m
    env().clock.advance(40 * MINUTE_MS + 1000); // t0 + 60m + 1s: the first call has left the window
    expect((await call()).allowed).toBe(true);
    expect((await call()).reason).toBe(ReasonCode.RATE_LIMITED);
  });

  it('does not count a call that the same permission rejects for its arguments', async () => {
    const resource = aResource();
    const { token } = await agentReading(env(), resource, { maxCallsPerHour: 2, argumentRules: [anAllowedValuesRule('mode', ['safe'])] });
    const authz = env().client(AuthorizeService, token);
    for (let i = 0; i < 4; i++) {
      expect((await authz.authorize({ action: 'read', resource, arguments: { mode: 'unsafe' } })).reason).toBe(ReasonCode.ARGUMENT_REJECTED);
    }
    const safe = () => authz.authorize({ action: 'read', resource, arguments: { mode: 'safe' } });
    expect((await safe()).allowed).toBe(true);
    expect((await safe()).allowed).toBe(true);
    expect((await safe()).reason).toBe(ReasonCode.RATE_LIMITED);
  });

  it('does not count a call denied on another permission', async () => {
    const resource = aResource();
    const { token } = await createAgent(env(), {
      permissions: [
        aPermission({ resource, actions: ['read'], constraints: constraints({ maxCallsPerHour: 2 }) }),
        aPermission({ resource, actions: ['write'], constraints: constraints({ ipAllowlist: ['10.0.0.0/8'] }) }),
      ],
    });
    const authz = env().client(AuthorizeService, token);
    for (let i = 0; i < 3; i++) expect((await authz.authorize({ action: 'write', resource })).reason).toBe(ReasonCode.IP_NOT_ALLOWED);
    expect((await authz.authorize({ action: 'read', resource })).allowed).toBe(true);
    expect((await authz.authorize({ action: 'read', resource })).allowed).toBe(true);
    expect((await authz.authorize({ action: 'read', resource })).reason).toBe(ReasonCode.RATE_LIMITED);
  });

  it('counts per agent', async () => {
    const resource = aResource();
    const first = await agentReading(env(), resource, { maxCallsPerHour: 1 });
    const second = await agentReading(env(), resource, { maxCallsPerHour: 1 });
    expect((await asAdmin(env()).authorize({ agentId: first.agent.id, action: 'read', resource })).allowed).toBe(true);
    expect((await asAdmin(env()).authorize({ agentId: second.agent.id, action: 'read', resource })).allowed).toBe(true);
    expect((await asAdmin(env()).authorize({ agentId: first.agent.id, action: 'read', resource })).reason).toBe(ReasonCode.RATE_LIMITED);
  });

  it('allows exactly N of a batch of identical checks', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource, { maxCallsPerHour: 5 });
    const checks = Array.from({ length: 8 }, () => ({ agentId: agent.id, action: 'read', resource }));
    const res = await asAdmin(env()).authorizeBatch({ checks });
    expect(res.decisions.filter((d) => d.allowed)).toHaveLength(5);
    expect(res.decisions.filter((d) => d.reason === ReasonCode.RATE_LIMITED)).toHaveLength(3);
  });
});

describe('client IP', () => {
  const env = useInProcess();
  const allowlist = { ipAllowlist: ['203.0.113.0/24'] };

  it('believes the client_ip the admin passes', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource, allowlist);
    const believed = await asAdmin(env()).authorize({ agentId: agent.id, action: 'read', resource, clientIp: '203.0.113.7' });
    expect(believed).toMatchObject({ allowed: true, reason: ReasonCode.ALLOWED });
    expect((await env().store.audit.get('default', believed.auditId))?.clientIp).toBe('203.0.113.7');

    const peer = await asAdmin(env()).authorize({ agentId: agent.id, action: 'read', resource });
    expect(peer).toMatchObject({ allowed: false, reason: ReasonCode.IP_NOT_ALLOWED });
  });

  it('ignores the client_ip and X-Forwarded-For an agent passes, and checks its peer address', async () => {
    const resource = aResource();
    const { token } = await agentReading(env(), resource, allowlist);

    const claimed = await env().client(AuthorizeService, token).authorize({ action: 'read', resource, clientIp: '203.0.113.7' });
    expect(claimed).toMatchObject({ allowed: false, reason: ReasonCode.IP_NOT_ALLOWED });
    expect((await env().store.audit.get('default', claimed.auditId))?.clientIp).toBe('127.0.0.1');

    const forwarded = await env()
      .client(AuthorizeService, token, { 'x-forwarded-for': '203.0.113.7' })
      .authorize({ action: 'read', resource });
    expect(forwarded.reason).toBe(ReasonCode.IP_NOT_ALLOWED);

    const fromInside = await env()
      .client(AuthorizeService, token, { 'x-test-peer-ip': '203.0.113.9' })
      .authorize({ action: 'read', resource, clientIp: '198.51.100.1' });
    expect(fromInside).toMatchObject({ allowed: true, reason: ReasonCode.ALLOWED });
  });

  it('counts an IPv4-mapped IPv6 peer as its IPv4 address', async () => {
    const resource = aResource();
    const { token } = await agentReading(env(), resource, allowlist);
    const res = await env().client(AuthorizeService, token, { 'x-test-peer-ip': '::ffff:203.0.113.7' }).authorize({ action: 'read', resource });
    expect(res.allowed).toBe(true);
  });

  it('ignores the client_ip an owner passes', async () => {
    const user = await signUp(env());
    const resource = aResource();
    const { agent } = await createAgent(
      env(),
      { ownerId: '', permissions: [aPermission({ resource, constraints: constraints(allowlist) })] },
      user.sessionToken,
    );
    const res = await env()
      .client(AuthorizeService, user.sessionToken)
      .authorize({ agentId: agent.id, action: 'read', resource, clientIp: '203.0.113.7' });
    expect(res).toMatchObject({ allowed: false, reason: ReasonCode.IP_NOT_ALLOWED });
  });
});

describe('client IP behind a trusted proxy', () => {
  const env = useInProcess({ KAVACH_TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.1' });
  const allowlist = { ipAllowlist: ['203.0.113.0/24'] };

  it('believes client_ip and X-Forwarded-For only when the peer is a trusted proxy', async () => {
    const resource = aResource();
    const { token } = await agentReading(env(), resource, allowlist);
    const via = (headers: Record<string, string>) => env().client(AuthorizeService, token, headers);

    const proxied = await via({ 'x-test-peer-ip': '10.1.2.3' }).authorize({ action: 'read', resource, clientIp: '203.0.113.7' });
    expect(proxied).toMatchObject({ allowed: true, reason: ReasonCode.ALLOWED });
    expect((await env().store.audit.get('default', proxied.auditId))?.clientIp).toBe('203.0.113.7');

    const forwarded = await via({ 'x-test-peer-ip': '192.0.2.1', 'x-forwarded-for': '203.0.113.8' }).authorize({ action: 'read', resource });
    expect(forwarded.allowed).toBe(true);

    const untrusted = await via({ 'x-test-peer-ip': '192.0.2.2' }).authorize({ action: 'read', resource, clientIp: '203.0.113.7' });
    expect(untrusted).toMatchObject({ allowed: false, reason: ReasonCode.IP_NOT_ALLOWED });

    const proxiedOutside = await via({ 'x-test-peer-ip': '10.1.2.3' }).authorize({ action: 'read', resource, clientIp: '198.51.100.1' });
    expect(proxiedOutside.reason).toBe(ReasonCode.IP_NOT_ALLOWED);
  });
});

describe('time windows', () => {
  const env = useInProcess();

  it('allows inside the window in its time zone and denies outside it', async () => {
    const resource = aResource();
    const { token } = await agentReading(env(), resource, {
      timeWindow: { start: '09:00', end: '17:00', timeZone: 'Europe/Berlin', days: [Weekday.MONDAY] },
    });
    const authz = env().client(AuthorizeService, token);
    env().clock.set(new Date('2026-03-02T15:59:00Z')); // Monday 16:59 in Berlin
    expect((await authz.authorize({ action: 'read', resource })).allowed).toBe(true);
    env().clock.set(new Date('2026-03-02T16:00:00Z')); // Monday 17:00 in Berlin: the end is exclusive
    expect((await authz.authorize({ action: 'read', resource })).reason).toBe(ReasonCode.OUTSIDE_TIME_WINDOW);
    env().clock.set(new Date('2026-03-03T10:00:00Z')); // Tuesday 11:00 in Berlin
    expect((await authz.authorize({ action: 'read', resource })).reason).toBe(ReasonCode.OUTSIDE_TIME_WINDOW);
  });
});

describe('AuthorizeBatch', () => {
  const env = useInProcess();

  it('returns one decision per check, in order, for several agents, each with its own durable audit entry', async () => {
    const r1 = aResource();
    const r2 = aResource();
    const a = await agentReading(env(), r1);
    const b = await agentReading(env(), r2);
    const checks = [
      { agentId: a.agent.id, action: 'read', resource: r1 },
      { agentId: b.agent.id, action: 'read', resource: r1 },
      { agentId: b.agent.id, action: 'read', resource: r2 },
      { agentId: 'agt_missing', action: 'read', resource: r2 },
      { agentId: a.agent.id, action: 'write', resource: r1 },
    ];
    const res = await asAdmin(env()).authorizeBatch({ checks });

    expect(res.decisions.map((d) => d.reason)).toEqual([
      ReasonCode.ALLOWED,
      ReasonCode.NO_MATCHING_PERMISSION,
      ReasonCode.ALLOWED,
      ReasonCode.AGENT_NOT_FOUND,
      ReasonCode.NO_MATCHING_PERMISSION,
    ]);
    expect(res.decisions.map((d) => d.allowed)).toEqual([true, false, true, false, false]);
    expect(new Set(res.decisions.map((d) => d.auditId)).size).toBe(5);
    for (const [i, d] of res.decisions.entries()) {
      const entry = await env().store.audit.get('default', d.auditId);
      const check = checks[i];
      // An agent the caller cannot see is not filed as the entry's agent (another owner's log);
      // the id asked for is kept in the message.
      const missing = check?.agentId === 'agt_missing';
      expect(entry).toMatchObject({ agentId: missing ? '' : check?.agentId, action: check?.action, resource: check?.resource });
      if (missing) expect(entry?.message).toContain('agt_missing');
    }
  });

  it('lets an agent check itself with agent_id empty', async () => {
    const resource = aResource();
    const { token } = await agentReading(env(), resource);
    const res = await env()
      .client(AuthorizeService, token)
      .authorizeBatch({ checks: [{ action: 'read', resource }, { action: 'write', resource }] });
    expect(res.decisions.map((d) => d.reason)).toEqual([ReasonCode.ALLOWED, ReasonCode.NO_MATCHING_PERMISSION]);
  });

  it('takes 100 checks', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource);
    const checks = Array.from({ length: 100 }, () => ({ agentId: agent.id, action: 'read', resource }));
    const res = await asAdmin(env()).authorizeBatch({ checks });
    expect(res.decisions).toHaveLength(100);
    expect(res.decisions.every((d) => d.allowed)).toBe(true);
    expect(await decisionsOn(env(), resource)).toBe(100);
  });

  it('refuses 101 checks with InvalidArgument, deciding none', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource);
    const checks = Array.from({ length: 101 }, () => ({ agentId: agent.id, action: 'read', resource }));
    const err = await rejectionOf(asAdmin(env()).authorizeBatch({ checks }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('checks');
    expect(await decisionsOn(env(), resource)).toBe(0);
  });

  it('refuses an empty batch with InvalidArgument', async () => {
    expect(await codeOf(asAdmin(env()).authorizeBatch({ checks: [] }))).toBe(Code.InvalidArgument);
  });

  /** A batch whose second check carries a malformed client_ip (the admin's client_ip is believed). */
  const batchWithBadClientIp = (e: InProcess, agentId: string, resource: string) =>
    asAdmin(e).authorizeBatch({
      checks: [
        { agentId, action: 'read', resource },
        { agentId, action: 'read', resource, clientIp: 'not-an-ip' },
      ],
    });

  it('names the check whose client_ip is malformed', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource);
    const err = await rejectionOf(batchWithBadClientIp(env(), agent.id, resource));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('checks[1].client_ip');
  });

  it('consumes nothing when a later check of the batch has a malformed client_ip', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource, { maxCallsPerHour: 1 });
    const err = await rejectionOf(batchWithBadClientIp(env(), agent.id, resource));
    expect(err.code).toBe(Code.InvalidArgument);
    const next = await asAdmin(env()).authorize({ agentId: agent.id, action: 'read', resource });
    expect(next).toMatchObject({ allowed: true, reason: ReasonCode.ALLOWED });
    expect(await decisionsOn(env(), resource)).toBe(1);
  });

  it('refuses a batch with one malformed check, naming it, and decides none', async () => {
    const resource = aResource();
    const { agent } = await agentReading(env(), resource);
    const err = await rejectionOf(
      asAdmin(env()).authorizeBatch({
        checks: [
          { agentId: agent.id, action: 'read', resource },
          { agentId: agent.id, action: 'read', resource: `${resource}:*` },
        ],
      }),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('checks[1].resource');
    expect(await decisionsOn(env(), resource)).toBe(0);

    const big = await rejectionOf(
      asAdmin(env()).authorizeBatch({ checks: [{ agentId: agent.id, action: 'read', resource, arguments: oversizeArguments() }] }),
    );
    expect(big.code).toBe(Code.InvalidArgument);
    expect(big.rawMessage).toContain('checks[0].arguments');
  });
});

describe('edge cases found in review', () => {
  const env = useInProcess();

  it('refuses an expires_at no Date can hold instead of storing an agent without expiry', async () => {
    const before = await env().client(AgentService, env().adminToken).listAgents({ ownerId: 'usr_far_future' });
    const code = await codeOf(
      env().client(AgentService, env().adminToken).createAgent({ ...aCreateAgentRequest({ ownerId: 'usr_far_future' }), expiresAt: { seconds: 10n ** 15n, nanos: 0 } }),
    );
    expect(code).toBe(Code.InvalidArgument);
    const after = await env().client(AgentService, env().adminToken).listAgents({ ownerId: 'usr_far_future' });
    expect(after.agents).toHaveLength(before.agents.length);
  });

  it('refuses a filter enum value it does not know rather than dropping the filter', async () => {
    const code = await codeOf(env().client(AgentService, env().adminToken).listAgents({ status: 42 as AgentStatus }));
    expect(code).toBe(Code.InvalidArgument);
  });
});
