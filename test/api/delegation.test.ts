/**
 * DelegationService.CreateDelegation in process (docs/ARCHITECTURE.md#delegation): what may be
 * delegated, what the child inherits, depth, cycles and expiry. Cascading revocation, the token
 * path, the audit chain, callers and listing are in delegation-chain.test.ts.
 */
import { Code } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { DelegationStatus, ReasonCode, type Agent } from '../../gen/kavach/v1/types_pb.js';
import { aGlobRule, anAllowedValuesRule, type PermissionInit } from '../support/requests.js';
import { allowed, chain, decide, delegate, family, ms, perm, svc } from './delegation-given.js';
import { HOUR_MS, MINUTE_MS, codeOf, createAgent, rejectionOf, useInProcess } from './given.js';

describe('what may be delegated: one held permission must cover each delegated one', () => {
  const env = useInProcess();

  it.each<[string, (s: string) => PermissionInit[], (s: string) => PermissionInit, { probe: string } | RegExp]>([
    ['the same permission', (s) => [perm(`${s}:*`)], (s) => perm(`${s}:*`), { probe: 'x' }],
    ['a narrower literal resource', (s) => [perm(`${s}:*`)], (s) => perm(`${s}:repos`), { probe: '' }],
    ['a narrower deeper pattern', (s) => [perm(`${s}:*`)], (s) => perm(`${s}:repos:*`), { probe: 'repos:x' }],
    ['a subset of actions', (s) => [perm(`${s}:*`, ['read', 'write'])], (s) => perm(`${s}:*`, ['read']), { probe: 'x' }],
    ['any action under a parent holding *', (s) => [perm(`${s}:*`, ['*'])], (s) => perm(`${s}:*`, ['read', 'delete']), { probe: 'x' }],
    ['a pattern covered by a middle * of the parent', (s) => [perm(`${s}:*:repos`)], (s) => perm(`${s}:acme:repos`), { probe: '' }],
    [
      'a mid-pattern * the parent does not cover',
      (s) => [perm(`${s}:acme:*`)],
      (s) => perm(`${s}:*:repos`),
      /^permissions\[0\]: resource mcp:svc[0-9a-f]+:\*:repos is not covered by any permission of agt_/,
    ],
    ['a wider pattern', (s) => [perm(`${s}:acme:*`)], (s) => perm(`${s}:*`), /resource mcp:svc[0-9a-f]+:\* is not covered by any permission of agt_/],
    ['a sibling resource', (s) => [perm(`${s}:acme:*`)], (s) => perm(`${s}:other:*`), /is not covered by any permission/],
    ['a resource the parent holds only literally, as a pattern', (s) => [perm(`${s}:repos`)], (s) => perm(`${s}:*`), /is not covered/],
    ['an action the parent lacks', (s) => [perm(`${s}:*`, ['read'])], (s) => perm(`${s}:*`, ['read', 'write']), /action write on .* is not granted by any permission of agt_/],
    ['* actions from a parent with named actions', (s) => [perm(`${s}:*`, ['read', 'write'])], (s) => perm(`${s}:*`, ['*']), /not granted by any permission/],
    [
      'an IP range outside the parent allowlist',
      (s) => [perm(`${s}:*`, ['read'], { ipAllowlist: ['10.0.0.0/8'] })],
      (s) => perm(`${s}:*`, ['read'], { ipAllowlist: ['192.168.0.0/16'] }),
      /ip_allowlist entry 192\.168\.0\.0\/16 is not inside the parent's allowlist/,
    ],
    [
      'a different time window',
      (s) => [perm(`${s}:*`, ['read'], { timeWindow: { start: '09:00', end: '17:00', days: [], timeZone: 'UTC' } })],
      (s) => perm(`${s}:*`, ['read'], { timeWindow: { start: '08:00', end: '17:00', days: [], timeZone: 'UTC' } }),
      /time_window 08:00-17:00 UTC differs from the parent's 09:00-17:00 UTC; when both set a time window they must be equal/,
    ],
    [
      'a different rule on an argument the parent restricts',
      (s) => [perm(`${s}:*`, ['read'], { argumentRules: [aGlobRule('path', 'src/**')] })],
      (s) => perm(`${s}:*`, ['read'], { argumentRules: [aGlobRule('path', '**')] }),
      /argument rule on "path" differs from the parent's rule/,
    ],
  ])('%s', async (_name, parentPerms, childPerm, expected) => {
    const s = svc();
    const { agents } = await family(env(), parentPerms(s), 2);
    const [from, to] = agents as [Agent, Agent];
    const call = delegate(env(), from, to, [childPerm(s)]);
    if (expected instanceof RegExp) {
      const error = await rejectionOf(call);
      expect(error.code).toBe(Code.PermissionDenied);
      expect(error.rawMessage).toMatch(expected);
      expect(error.rawMessage).toContain(from.id);
      expect(await allowed(env(), to, `${s}:repos`)).toBe(false);
    } else {
      const d = await call;
      expect(d).toMatchObject({ fromAgentId: from.id, toAgentId: to.id, depth: 1, status: DelegationStatus.ACTIVE });
      const child = childPerm(s);
      const resource = expected.probe === '' ? child.resource ?? '' : `${s}:${expected.probe}`;
      expect(await allowed(env(), to, resource)).toBe(true);
    }
  });

  it('names the index of the permission that failed', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:a:*`)], 2);
    const error = await rejectionOf(delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:a:x`), perm(`${s}:b:x`)]));
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rawMessage).toBe(`permissions[1]: resource ${s}:b:x is not covered by any permission of ${agents[0]?.id ?? ''}`);
  });

  it('refuses to mix the parent own permissions and a received delegation in one delegation', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:a:*`)], 3);
    const [root, mid, leaf] = agents as [Agent, Agent, Agent];
    await delegate(env(), root, mid, [perm(`${s}:a:*`)], { maxDepth: 2 });
    await env().client(AgentService, env().adminToken).updateAgent({ agentId: mid.id, permissions: { permissions: [perm(`${s}:b:*`)] } });
    const error = await rejectionOf(delegate(env(), mid, leaf, [perm(`${s}:a:x`), perm(`${s}:b:x`)], { maxDepth: 2 }));
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rawMessage).toMatch(/through different grants/);
    // Each on its own is fine.
    await delegate(env(), mid, leaf, [perm(`${s}:a:x`)], { maxDepth: 2 });
    await delegate(env(), mid, leaf, [perm(`${s}:b:x`)], { maxDepth: 2 });
    expect(await allowed(env(), leaf, `${s}:a:x`)).toBe(true);
    expect(await allowed(env(), leaf, `${s}:b:x`)).toBe(true);
  });

  it('refuses malformed requests as InvalidArgument naming the field', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`)], 2);
    const [from, to] = agents as [Agent, Agent];
    const cases: [Promise<unknown>, string][] = [
      [delegate(env(), from, to, []), 'permissions'],
      [delegate(env(), from, to, [perm('mcp::x')]), 'permissions[0].resource'],
      [delegate(env(), from, to, [perm(`${s}:*`)], { maxDepth: 11 }), 'max_depth'],
      [delegate(env(), from, to, [perm(`${s}:*`)], { expiresAt: new Date(env().clock.now().getTime() - 1) }), 'expires_at'],
    ];
    for (const [call, field] of cases) {
      const error = await rejectionOf(call);
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage.startsWith(`${field}:`)).toBe(true);
    }
  });
});

describe('what the child inherits: the parent constraints still apply', () => {
  const env = useInProcess();

  it("makes the child's calls need an approval when the parent's do", async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`, ['write'], { requireApproval: true })], 2);
    const d = await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:repos`, ['write'])]);
    expect(d.permissions[0]?.constraints?.requireApproval).toBe(true);
    const res = await decide(env(), agents[1] as Agent, `${s}:repos`, 'write');
    expect(res).toMatchObject({ allowed: false, reason: ReasonCode.APPROVAL_REQUIRED });
    expect(res.approvalId).toMatch(/^apr_/);
  });

  it("checks the parent's IP allowlist on the child's calls", async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`, ['read'], { ipAllowlist: ['10.0.0.0/8'] })], 2);
    await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:*`)]);
    expect((await decide(env(), agents[1] as Agent, `${s}:x`, 'read', {}, '192.168.1.1')).reason).toBe(ReasonCode.IP_NOT_ALLOWED);
    // The admin may name the checked IP (docs/ARCHITECTURE.md#constraints), so this decides on 10.1.2.3.
    const inside = await env().client(AuthorizeService, env().adminToken).authorize({ agentId: agents[1]?.id ?? '', action: 'read', resource: `${s}:x`, clientIp: '10.1.2.3' });
    expect(inside.allowed).toBe(true);
  });

  it("applies the smaller hourly limit, counted for the acting agent alone", async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`, ['read'], { maxCallsPerHour: 2 })], 2);
    const [parent, child] = agents as [Agent, Agent];
    await delegate(env(), parent, child, [perm(`${s}:*`, ['read'], { maxCallsPerHour: 50 })]);
    expect(await allowed(env(), child, `${s}:x`)).toBe(true);
    expect(await allowed(env(), child, `${s}:x`)).toBe(true);
    const third = await decide(env(), child, `${s}:x`);
    expect(third).toMatchObject({ allowed: false, reason: ReasonCode.RATE_LIMITED });
    // The parent's own counter is untouched by the child's calls.
    expect(await allowed(env(), parent, `${s}:x`)).toBe(true);
  });

  it("keeps the child inside the parent's time window", async () => {
    const s = svc();
    // The fake clock starts at 12:00 UTC.
    const { agents } = await family(env(), [perm(`${s}:*`, ['read'], { timeWindow: { start: '13:00', end: '14:00', days: [], timeZone: 'UTC' } })], 2);
    await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:*`)]);
    expect((await decide(env(), agents[1] as Agent, `${s}:x`)).reason).toBe(ReasonCode.OUTSIDE_TIME_WINDOW);
    env().clock.advance(90 * MINUTE_MS);
    expect(await allowed(env(), agents[1] as Agent, `${s}:x`)).toBe(true);
  });

  it("adds the child's argument rules to the parent's", async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`, ['read'], { argumentRules: [anAllowedValuesRule('branch', ['main', 'dev'])] })], 2);
    const child = agents[1] as Agent;
    await delegate(env(), agents[0] as Agent, child, [perm(`${s}:*`, ['read'], { argumentRules: [aGlobRule('path', 'src/**')] })]);
    expect((await decide(env(), child, `${s}:x`, 'read', { branch: 'main', path: 'src/a/b' })).allowed).toBe(true);
    expect((await decide(env(), child, `${s}:x`, 'read', { branch: 'prod', path: 'src/a' })).reason).toBe(ReasonCode.ARGUMENT_REJECTED);
    expect((await decide(env(), child, `${s}:x`, 'read', { branch: 'main', path: 'docs/a' })).reason).toBe(ReasonCode.ARGUMENT_REJECTED);
  });

  it('narrows with the root: removing the root permission cuts off what was delegated from it', async () => {
    const s = svc();
    const { links, agents } = await chain(env(), [perm(`${s}:*`)], 2, 2);
    expect(links).toHaveLength(2);
    const leaf = agents[2] as Agent;
    expect(await allowed(env(), leaf, `${s}:x`)).toBe(true);
    await env().client(AgentService, env().adminToken).updateAgent({ agentId: agents[0]?.id ?? '', permissions: { permissions: [perm(`${s}:other`)] } });
    expect(await allowed(env(), leaf, `${s}:x`)).toBe(false);
  });
});

describe('depth', () => {
  const env = useInProcess();

  it('allows a chain exactly at the max_depth limit and refuses one hop past it', async () => {
    const s = svc();
    const { agents, links } = await chain(env(), [perm(`${s}:*`)], 2, 2);
    expect(links.map((d) => [d.depth, d.maxDepth])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(await allowed(env(), agents[2] as Agent, `${s}:x`)).toBe(true);
    const extra = (await createAgent(env(), { ownerId: agents[0]?.ownerId ?? '', permissions: [] })).agent;
    const error = await rejectionOf(delegate(env(), agents[2] as Agent, extra, [perm(`${s}:*`)], { maxDepth: 3 }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toMatch(/hop 3, past the chain's depth limit of 2/);
  });

  it('lets a first-hop delegation with the default max_depth go no further', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`)], 3);
    await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:*`)]);
    expect(await codeOf(delegate(env(), agents[1] as Agent, agents[2] as Agent, [perm(`${s}:*`)], { maxDepth: 5 }))).toBe(Code.FailedPrecondition);
  });

  it('takes the smallest max_depth along the chain and shows it on the delegation', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`)], 4);
    await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:*`)], { maxDepth: 5 });
    const second = await delegate(env(), agents[1] as Agent, agents[2] as Agent, [perm(`${s}:*`)], { maxDepth: 2 });
    expect(second).toMatchObject({ depth: 2, maxDepth: 2 });
    const error = await rejectionOf(delegate(env(), agents[2] as Agent, agents[3] as Agent, [perm(`${s}:*`)], { maxDepth: 9 }));
    expect(error.code).toBe(Code.FailedPrecondition);
  });

  it('asks for a larger max_depth when a later hop names too small a one', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`)], 3);
    await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:*`)], { maxDepth: 3 });
    const error = await rejectionOf(delegate(env(), agents[1] as Agent, agents[2] as Agent, [perm(`${s}:*`)]));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toMatch(/set it to at least 2/);
  });
});

describe('no self-delegation and no cycles', () => {
  const env = useInProcess();

  it('refuses delegating to the same agent', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`)], 1);
    const error = await rejectionOf(delegate(env(), agents[0] as Agent, agents[0] as Agent, [perm(`${s}:*`)]));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toMatch(/cannot delegate to itself/);
  });

  it('refuses delegating back to an agent already on the chain', async () => {
    const s = svc();
    const { agents } = await chain(env(), [perm(`${s}:*`)], 2, 5);
    const [root, , leaf] = agents as [Agent, Agent, Agent];
    const error = await rejectionOf(delegate(env(), leaf, root, [perm(`${s}:*`)], { maxDepth: 5 }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toMatch(/already on the delegation chain.*cycle/);
    const toMiddle = await rejectionOf(delegate(env(), leaf, agents[1] as Agent, [perm(`${s}:*`)], { maxDepth: 5 }));
    expect(toMiddle.code).toBe(Code.FailedPrecondition);
  });
});

describe('expiry', () => {
  const env = useInProcess();

  it("caps a child's expiry at its parent delegation's, and keeps an earlier one", async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`)], 3);
    const now = env().clock.now().getTime();
    const parent = await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:*`)], { maxDepth: 3, expiresAt: new Date(now + HOUR_MS) });
    const capped = await delegate(env(), agents[1] as Agent, agents[2] as Agent, [perm(`${s}:*`)], { maxDepth: 3, expiresAt: new Date(now + 5 * HOUR_MS) });
    expect(ms(capped.expiresAt)).toBe(ms(parent.expiresAt));
    const unset = await delegate(env(), agents[1] as Agent, agents[2] as Agent, [perm(`${s}:a`)], { maxDepth: 3 });
    expect(ms(unset.expiresAt)).toBe(now + HOUR_MS);
    const earlier = await delegate(env(), agents[1] as Agent, agents[2] as Agent, [perm(`${s}:b`)], { maxDepth: 3, expiresAt: new Date(now + MINUTE_MS) });
    expect(ms(earlier.expiresAt)).toBe(now + MINUTE_MS);
  });

  it("caps a delegation's expiry at the from-agent's", async () => {
    const s = svc();
    const agentExpiry = new Date(env().clock.now().getTime() + 2 * HOUR_MS);
    const { agents } = await family(env(), [perm(`${s}:*`)], 2, { expiresAt: agentExpiry });
    const d = await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:*`)], { expiresAt: new Date(agentExpiry.getTime() + HOUR_MS) });
    expect(ms(d.expiresAt)).toBe(agentExpiry.getTime());
  });

  it('stops granting when the delegation expires', async () => {
    const s = svc();
    const { agents } = await family(env(), [perm(`${s}:*`)], 2);
    await delegate(env(), agents[0] as Agent, agents[1] as Agent, [perm(`${s}:*`)], { expiresAt: new Date(env().clock.now().getTime() + HOUR_MS) });
    expect(await allowed(env(), agents[1] as Agent, `${s}:x`)).toBe(true);
    env().clock.advance(HOUR_MS);
    expect((await decide(env(), agents[1] as Agent, `${s}:x`)).reason).toBe(ReasonCode.NO_MATCHING_PERMISSION);
  });
});
