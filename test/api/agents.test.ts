/**
 * AgentService in process: the agent lifecycle (docs/ARCHITECTURE.md#agents), its validation (docs/ARCHITECTURE.md#errors) and the
 * secrecy of agent tokens (§2).
 */
import { timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it, vi } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { AgentStatus, AgentType, ReasonCode, type Agent } from '../../gen/kavach/v1/types_pb.js';
import type { InProcess } from '../support/app.js';
import { sha256Hex } from '../support/builders.js';
import {
  AGENT_TOKEN_SHAPE,
  aGlobRule,
  aPermission,
  aResource,
  anOwnerId,
  constraints,
  type PermissionInit,
} from '../support/requests.js';
import {
  HOUR_MS,
  auditCount,
  auditEntries,
  codeOf,
  createAgent,
  expectNoSecretIn,
  later,
  rejectionOf,
  useInProcess,
} from './given.js';

const ms = (ts: Timestamp | undefined): number | undefined => (ts === undefined ? undefined : timestampDate(ts).getTime());

/** A permission granting `read` on exactly `resource`. */
const readOn = (resource: string): PermissionInit => aPermission({ resource, actions: ['read'] });

async function selfCheck(env: InProcess, token: string, resource: string) {
  return env.client(AuthorizeService, token).authorize({ action: 'read', resource });
}

describe('CreateAgent', () => {
  const env = useInProcess();

  it('returns the new agent, as requested, with a token shaped kv_ + 43 base64url characters', async () => {
    const ownerId = anOwnerId();
    const expiresAt = later(env(), 24 * HOUR_MS);
    const permission = aPermission({
      resource: 'mcp:github:*',
      actions: ['read', 'write'],
      constraints: constraints({ maxCallsPerHour: 7, ipAllowlist: ['10.0.0.0/8'], argumentRules: [aGlobRule('path', 'src/**')] }),
    });
    const { agent, token } = await createAgent(env(), {
      ownerId,
      name: 'deploy bot',
      type: AgentType.SERVICE,
      permissions: [permission],
      metadata: { team: 'infra' },
      expiresAt: timestampFromDate(expiresAt),
    });

    expect(token).toMatch(AGENT_TOKEN_SHAPE);
    expect(agent.id).toMatch(/^agt_/);
    expect(agent).toMatchObject({ tenantId: 'default', ownerId, name: 'deploy bot', type: AgentType.SERVICE, status: AgentStatus.ACTIVE });
    expect(agent.metadata).toEqual({ team: 'infra' });
    expect(ms(agent.createdAt)).toBe(env().clock.now().getTime());
    expect(ms(agent.expiresAt)).toBe(expiresAt.getTime());
    expect(agent.revokedAt).toBeUndefined();
    expect(agent.permissions).toHaveLength(1);
    const [stored] = agent.permissions;
    expect(stored?.resource).toBe('mcp:github:*');
    expect(stored?.actions).toEqual(['read', 'write']);
    expect(stored?.constraints?.maxCallsPerHour).toBe(7);
    expect(stored?.constraints?.ipAllowlist).toEqual(['10.0.0.0/8']);
    expect(stored?.constraints?.argumentRules[0]?.rule).toEqual({ case: 'glob', value: 'src/**' });
    // The prefix tells tokens apart but is far too short to use.
    expect(token.startsWith(agent.tokenPrefix)).toBe(true);
    expect(agent.tokenPrefix.length).toBeGreaterThan(3);
    expect(agent.tokenPrefix.length).toBeLessThanOrEqual(12);
  });

  it('gives every agent its own token', async () => {
    const first = await createAgent(env());
    const second = await createAgent(env());
    expect(first.token).not.toBe(second.token);
    expect(first.agent.id).not.toBe(second.agent.id);
  });

  it('stores only the SHA-256 of the token, never the token', async () => {
    const { agent, token } = await createAgent(env());
    const record = await env().store.agents.get('default', agent.id);
    expect(record).toBeDefined();
    expect(record?.tokenHash).toBe(sha256Hex(token));
    expect(record?.tokenHash).not.toBe(token);
    expectNoSecretIn(record, token);
  });

  it('lets the new token authorize the agent at once', async () => {
    const resource = aResource();
    const { token } = await createAgent(env(), { permissions: [readOn(resource)] });
    const res = await selfCheck(env(), token, resource);
    expect(res).toMatchObject({ allowed: true, reason: ReasonCode.ALLOWED });
  });

  it.each([
    ['an unspecified type', { type: AgentType.UNSPECIFIED }, 'type'],
    ['an empty name', { name: '' }, 'name'],
    ['a name of 129 characters', { name: 'n'.repeat(129) }, 'name'],
    ['no owner when the admin creates it', { ownerId: '' }, 'owner_id'],
    ['a metadata value over 512 characters', { metadata: { k: 'v'.repeat(513) } }, 'metadata'],
  ])('refuses %s with InvalidArgument naming the field, storing nothing', async (_what, overrides, field) => {
    const ownerId = anOwnerId();
    const err = await rejectionOf(createAgent(env(), { ownerId, ...overrides }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain(field);
    const list = await env().client(AgentService, env().adminToken).listAgents({ ownerId });
    expect(list.agents).toEqual([]);
    expect(await auditCount(env(), { actions: ['agent.create'] })).toBe(0);
  });

  it('refuses an expires_at that is not in the future', async () => {
    const err = await rejectionOf(createAgent(env(), { expiresAt: timestampFromDate(later(env(), -1)) }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('expires_at');
  });

  const invalidPermissions: Array<[string, PermissionInit[], string]> = [
    ['a resource with an empty segment', [aPermission({ resource: 'mcp::x' })], 'permissions[0].resource'],
    ['a CIDR with a /33 prefix', [aPermission({ constraints: constraints({ ipAllowlist: ['10.0.0.0/33'] }) })], 'permissions[0].constraints.ip_allowlist[0]'],
    ['an allowlist entry that is no IP', [aPermission({ constraints: constraints({ ipAllowlist: ['10.0.0.1', 'example.com'] }) })], 'permissions[0].constraints.ip_allowlist[1]'],
    [
      'an unknown time zone',
      [aPermission({ constraints: constraints({ timeWindow: { start: '09:00', end: '17:00', timeZone: 'Mars/Olympus_Mons' } }) })],
      'permissions[0].constraints.time_window.time_zone',
    ],
    [
      'a time window whose start equals its end',
      [aPermission({ constraints: constraints({ timeWindow: { start: '09:00', end: '09:00' } }) })],
      'permissions[0].constraints.time_window',
    ],
    [
      'a time window start that is not HH:MM',
      [aPermission({ constraints: constraints({ timeWindow: { start: '9am', end: '17:00' } }) })],
      'permissions[0].constraints.time_window.start',
    ],
    ['a glob with a run of three stars', [aPermission({ constraints: constraints({ argumentRules: [aGlobRule('path', 'a***b')] }) })], 'permissions[0].constraints.argument_rules[0].glob'],
    [
      'a glob with 17 wildcards',
      [aPermission({ constraints: constraints({ argumentRules: [aGlobRule('path', '*a'.repeat(17))] }) })],
      'permissions[0].constraints.argument_rules[0].glob',
    ],
    ['a max_calls_per_hour of 0', [aPermission({ constraints: constraints({ maxCallsPerHour: 0 }) })], 'permissions[0].constraints.max_calls_per_hour'],
    ['no actions', [aPermission({ actions: [] })], 'permissions[0].actions'],
    ['a bad second permission', [aPermission(), aPermission({ resource: 'mcp:x:' })], 'permissions[1].resource'],
  ];

  it.each(invalidPermissions)('refuses %s with InvalidArgument naming the field, storing nothing', async (_what, permissions, field) => {
    const ownerId = anOwnerId();
    const err = await rejectionOf(createAgent(env(), { ownerId, permissions }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain(field);
    const list = await env().client(AgentService, env().adminToken).listAgents({ ownerId });
    expect(list.agents).toEqual([]);
    expect(await auditCount(env(), { actions: ['agent.create'] })).toBe(0);
  });
});

describe('the active-agent quota', () => {
  const env = useInProcess({ KAVACH_AGENT_QUOTA: '2' });

  it('refuses an owner one agent more than the quota with ResourceExhausted, without touching other owners', async () => {
    const alice = anOwnerId();
    await createAgent(env(), { ownerId: alice });
    await createAgent(env(), { ownerId: alice });
    expect(await codeOf(createAgent(env(), { ownerId: alice }))).toBe(Code.ResourceExhausted);
    const list = await env().client(AgentService, env().adminToken).listAgents({ ownerId: alice });
    expect(list.agents).toHaveLength(2);
    await expect(createAgent(env(), { ownerId: anOwnerId() })).resolves.toBeDefined();
  });

  it('frees a place when one of the owner’s agents is revoked', async () => {
    const alice = anOwnerId();
    const { agent } = await createAgent(env(), { ownerId: alice });
    await createAgent(env(), { ownerId: alice });
    await env().client(AgentService, env().adminToken).revokeAgent({ agentId: agent.id });
    await expect(createAgent(env(), { ownerId: alice })).resolves.toBeDefined();
  });

  it('frees a place when one of the owner’s agents expires', async () => {
    const alice = anOwnerId();
    await createAgent(env(), { ownerId: alice, expiresAt: timestampFromDate(later(env(), HOUR_MS)) });
    await createAgent(env(), { ownerId: alice });
    expect(await codeOf(createAgent(env(), { ownerId: alice }))).toBe(Code.ResourceExhausted);
    env().clock.advance(2 * HOUR_MS);
    await expect(createAgent(env(), { ownerId: alice })).resolves.toBeDefined();
  });

  it('never lets an expired agent come back by moving its expiry, so the quota cannot be passed', async () => {
    const alice = anOwnerId();
    const { agent: old } = await createAgent(env(), { ownerId: alice, expiresAt: timestampFromDate(later(env(), HOUR_MS)) });
    await createAgent(env(), { ownerId: alice });
    env().clock.advance(2 * HOUR_MS);
    await createAgent(env(), { ownerId: alice }); // takes the place the expired agent left
    const agents = env().client(AgentService, env().adminToken);
    const extend = agents.updateAgent({ agentId: old.id, expiresAt: timestampFromDate(later(env(), HOUR_MS)) });
    expect(await codeOf(extend)).toBe(Code.FailedPrecondition);
    expect(await codeOf(agents.updateAgent({ agentId: old.id, clearExpiresAt: true }))).toBe(Code.FailedPrecondition);
    expect((await agents.getAgent({ agentId: old.id })).agent?.status).toBe(AgentStatus.EXPIRED);
    expect((await agents.listAgents({ ownerId: alice, status: AgentStatus.ACTIVE })).agents).toHaveLength(2);
    // Other fields of an expired agent may still change (a rename for the record keeps it expired).
    expect((await agents.updateAgent({ agentId: old.id, name: 'retired' })).agent?.status).toBe(AgentStatus.EXPIRED);
  });

  it('refuses the revival even when the agent expires between the read and the write', async () => {
    const { agent } = await createAgent(env(), { expiresAt: timestampFromDate(later(env(), HOUR_MS)) });
    env().clock.advance(2 * HOUR_MS);
    // A read that still sees the agent as it was an hour ago, as if it had expired just after.
    const agents = env().store.agents;
    const realGet = agents.get.bind(agents);
    const stale = vi
      .spyOn(agents, 'get')
      .mockImplementation(async (tenantId, id) => {
        const record = await realGet(tenantId, id);
        return record && { ...record, expiresAt: new Date(env().clock.now().getTime() + HOUR_MS) };
      });
    try {
      const client = env().client(AgentService, env().adminToken);
      expect(await codeOf(client.updateAgent({ agentId: agent.id, clearExpiresAt: true }))).toBe(Code.FailedPrecondition);
    } finally {
      stale.mockRestore();
    }
    const stored = await env().store.agents.get('default', agent.id);
    expect(stored?.expiresAt?.getTime()).toBeLessThan(env().clock.now().getTime());
  });

  it('lets an active agent’s expiry move, later or away', async () => {
    const { agent } = await createAgent(env(), { expiresAt: timestampFromDate(later(env(), HOUR_MS)) });
    const agents = env().client(AgentService, env().adminToken);
    const moved = await agents.updateAgent({ agentId: agent.id, expiresAt: timestampFromDate(later(env(), 3 * HOUR_MS)) });
    expect(moved.agent?.status).toBe(AgentStatus.ACTIVE);
    env().clock.advance(2 * HOUR_MS);
    expect((await agents.getAgent({ agentId: agent.id })).agent?.status).toBe(AgentStatus.ACTIVE);
    expect((await agents.updateAgent({ agentId: agent.id, clearExpiresAt: true })).agent?.expiresAt).toBeUndefined();
  });
});

describe('the active-agent quota under concurrency', () => {
  const env = useInProcess({ KAVACH_AGENT_QUOTA: '3' });

  it('lets exactly the quota of concurrent creates for one owner succeed', async () => {
    const ownerId = anOwnerId();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => createAgent(env(), { ownerId })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [ConnectError.from(r.reason).code] : []));
    expect(codes).toEqual(Array(5).fill(Code.ResourceExhausted));
    expect((await env().client(AgentService, env().adminToken).listAgents({ ownerId })).agents).toHaveLength(3);
  });
});

describe('GetAgent', () => {
  const env = useInProcess();

  it('returns the agent as created', async () => {
    const { agent } = await createAgent(env());
    const res = await env().client(AgentService, env().adminToken).getAgent({ agentId: agent.id });
    expect(res.agent).toEqual(agent);
  });

  it('answers NotFound for an id that does not exist', async () => {
    expect(await codeOf(env().client(AgentService, env().adminToken).getAgent({ agentId: 'agt_doesnotexist' }))).toBe(Code.NotFound);
  });

  it('answers InvalidArgument for an empty id', async () => {
    const err = await rejectionOf(env().client(AgentService, env().adminToken).getAgent({ agentId: '' }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('agent_id');
  });
});

describe('agent_id size limit', () => {
  const env = useInProcess();

  it.each(['getAgent', 'updateAgent', 'rotateAgentToken', 'revokeAgent'] as const)(
    '%s refuses an agent_id over 64 characters with InvalidArgument naming agent_id',
    async (method) => {
      const agents = env().client(AgentService, env().adminToken);
      const agentId = `agt_${'a'.repeat(61)}`;
      const call =
        method === 'updateAgent' ? agents.updateAgent({ agentId, name: 'x' }) : agents[method]({ agentId });
      const err = await rejectionOf(call);
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toContain('agent_id');
    },
  );
});

describe('ListAgents', () => {
  const env = useInProcess();

  async function created(overrides: Parameters<typeof createAgent>[1]): Promise<Agent> {
    env().clock.advance(1000);
    return (await createAgent(env(), overrides)).agent;
  }

  const ids = (agents: Agent[]) => agents.map((a) => a.id);

  it('filters by owner, status and type, newest first', async () => {
    const alice = anOwnerId();
    const bob = anOwnerId();
    const a1 = await created({ ownerId: alice, type: AgentType.AUTONOMOUS });
    const a2 = await created({ ownerId: alice, type: AgentType.SERVICE });
    const a3 = await created({ ownerId: alice, type: AgentType.AUTONOMOUS });
    const b1 = await created({ ownerId: bob, type: AgentType.AUTONOMOUS });
    const agents = env().client(AgentService, env().adminToken);
    await agents.revokeAgent({ agentId: a3.id });

    expect(ids((await agents.listAgents({})).agents)).toEqual([b1.id, a3.id, a2.id, a1.id]);
    expect(ids((await agents.listAgents({ ownerId: alice })).agents)).toEqual([a3.id, a2.id, a1.id]);
    expect(ids((await agents.listAgents({ ownerId: bob })).agents)).toEqual([b1.id]);
    expect(ids((await agents.listAgents({ ownerId: alice, status: AgentStatus.ACTIVE })).agents)).toEqual([a2.id, a1.id]);
    expect(ids((await agents.listAgents({ ownerId: alice, status: AgentStatus.REVOKED })).agents)).toEqual([a3.id]);
    expect(ids((await agents.listAgents({ type: AgentType.SERVICE })).agents)).toEqual([a2.id]);
    expect(ids((await agents.listAgents({ ownerId: alice, type: AgentType.AUTONOMOUS })).agents)).toEqual([a3.id, a1.id]);
    expect(ids((await agents.listAgents({ type: AgentType.DELEGATED })).agents)).toEqual([]);
  });

  it('pages by cursor through every agent exactly once', async () => {
    const ownerId = anOwnerId();
    const made: Agent[] = [];
    for (let i = 0; i < 5; i++) made.push(await created({ ownerId }));
    const agents = env().client(AgentService, env().adminToken);

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let pageToken = '';
    do {
      const page = await agents.listAgents({ ownerId, pageSize: 2, pageToken });
      pageSizes.push(page.agents.length);
      seen.push(...ids(page.agents));
      pageToken = page.nextPageToken;
    } while (pageToken !== '' && pageSizes.length < 10);

    expect(pageSizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(ids(made).reverse());
  });

  it('refuses a page size over 500 and a malformed page token with InvalidArgument', async () => {
    const agents = env().client(AgentService, env().adminToken);
    const big = await rejectionOf(agents.listAgents({ pageSize: 501 }));
    expect(big.code).toBe(Code.InvalidArgument);
    expect(big.rawMessage).toContain('page_size');
    const bad = await rejectionOf(agents.listAgents({ pageToken: 'not-a-cursor!' }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toContain('page_token');
  });
});

describe('UpdateAgent', () => {
  const env = useInProcess();
  const agents = () => env().client(AgentService, env().adminToken);

  it('changes the name and leaves every unset field unchanged', async () => {
    const { agent } = await createAgent(env(), { expiresAt: timestampFromDate(later(env(), 24 * HOUR_MS)) });
    env().clock.advance(5000);
    const res = await agents().updateAgent({ agentId: agent.id, name: 'renamed' });

    expect(res.agent?.name).toBe('renamed');
    expect(res.agent?.permissions).toEqual(agent.permissions);
    expect(res.agent?.metadata).toEqual(agent.metadata);
    expect(res.agent?.expiresAt).toEqual(agent.expiresAt);
    expect(res.agent?.type).toBe(agent.type);
    expect(res.agent?.ownerId).toBe(agent.ownerId);
    expect(res.agent?.tokenPrefix).toBe(agent.tokenPrefix);
    expect(res.agent?.createdAt).toEqual(agent.createdAt);
    expect(ms(res.agent?.updatedAt)).toBe(env().clock.now().getTime());
    const read = await agents().getAgent({ agentId: agent.id });
    expect(read.agent).toEqual(res.agent);
  });

  it('replaces the permissions, and the very next Authorize uses the new ones', async () => {
    const before = aResource();
    const after = aResource();
    const { agent, token } = await createAgent(env(), { permissions: [readOn(before)] });
    expect((await selfCheck(env(), token, before)).allowed).toBe(true);

    const res = await agents().updateAgent({ agentId: agent.id, permissions: { permissions: [readOn(after)] } });
    expect(res.agent?.permissions.map((p) => p.resource)).toEqual([after]);
    expect(res.agent?.name).toBe(agent.name);

    const old = await selfCheck(env(), token, before);
    expect(old).toMatchObject({ allowed: false, reason: ReasonCode.NO_MATCHING_PERMISSION });
    expect((await selfCheck(env(), token, after)).allowed).toBe(true);
  });

  it('can replace the permissions with none', async () => {
    const resource = aResource();
    const { agent, token } = await createAgent(env(), { permissions: [readOn(resource)] });
    const res = await agents().updateAgent({ agentId: agent.id, permissions: { permissions: [] } });
    expect(res.agent?.permissions).toEqual([]);
    expect((await selfCheck(env(), token, resource)).reason).toBe(ReasonCode.NO_MATCHING_PERMISSION);
  });

  it('sets, then clears, the expiry', async () => {
    const { agent } = await createAgent(env());
    expect(agent.expiresAt).toBeUndefined();
    const expiry = later(env(), 2 * HOUR_MS);
    const set = await agents().updateAgent({ agentId: agent.id, expiresAt: timestampFromDate(expiry) });
    expect(ms(set.agent?.expiresAt)).toBe(expiry.getTime());
    const cleared = await agents().updateAgent({ agentId: agent.id, clearExpiresAt: true });
    expect(cleared.agent?.expiresAt).toBeUndefined();
    env().clock.advance(3 * HOUR_MS);
    expect((await agents().getAgent({ agentId: agent.id })).agent?.status).toBe(AgentStatus.ACTIVE);
  });

  it('replaces the metadata as a whole', async () => {
    const { agent } = await createAgent(env(), { metadata: { team: 'a', env: 'prod' } });
    const res = await agents().updateAgent({ agentId: agent.id, metadata: { entries: { owner: 'sre' } } });
    expect(res.agent?.metadata).toEqual({ owner: 'sre' });
    const emptied = await agents().updateAgent({ agentId: agent.id, metadata: { entries: {} } });
    expect(emptied.agent?.metadata).toEqual({});
    expect(emptied.agent?.name).toBe(agent.name);
  });

  it('refuses an update that sets nothing with InvalidArgument', async () => {
    const { agent } = await createAgent(env());
    expect(await codeOf(agents().updateAgent({ agentId: agent.id }))).toBe(Code.InvalidArgument);
  });

  it('refuses expires_at together with clear_expires_at, and an expiry in the past', async () => {
    const { agent } = await createAgent(env());
    const both = await rejectionOf(
      agents().updateAgent({ agentId: agent.id, expiresAt: timestampFromDate(later(env(), HOUR_MS)), clearExpiresAt: true }),
    );
    expect(both.code).toBe(Code.InvalidArgument);
    const past = await rejectionOf(agents().updateAgent({ agentId: agent.id, expiresAt: timestampFromDate(later(env(), -HOUR_MS)) }));
    expect(past.code).toBe(Code.InvalidArgument);
    expect(past.rawMessage).toContain('expires_at');
  });

  it('refuses invalid permissions with InvalidArgument naming the field, and changes nothing', async () => {
    const { agent } = await createAgent(env());
    const err = await rejectionOf(
      agents().updateAgent({
        agentId: agent.id,
        name: 'should-not-stick',
        permissions: { permissions: [aPermission({ constraints: constraints({ ipAllowlist: ['300.1.1.1'] }) })] },
      }),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('permissions[0].constraints.ip_allowlist[0]');
    expect((await agents().getAgent({ agentId: agent.id })).agent).toEqual(agent);
  });

  it('refuses to change a revoked agent with FailedPrecondition', async () => {
    const { agent } = await createAgent(env());
    await agents().revokeAgent({ agentId: agent.id });
    expect(await codeOf(agents().updateAgent({ agentId: agent.id, name: 'zombie' }))).toBe(Code.FailedPrecondition);
    expect((await agents().getAgent({ agentId: agent.id })).agent?.name).toBe(agent.name);
  });

  it('answers NotFound for an unknown agent', async () => {
    expect(await codeOf(agents().updateAgent({ agentId: 'agt_nope', name: 'x' }))).toBe(Code.NotFound);
  });
});

describe('RotateAgentToken', () => {
  const env = useInProcess();
  const agents = () => env().client(AgentService, env().adminToken);

  it('issues a new token and the old one stops working at once', async () => {
    const resource = aResource();
    const { agent, token: old } = await createAgent(env(), { permissions: [readOn(resource)] });
    // Use the old token first, so any cache has seen it.
    expect((await selfCheck(env(), old, resource)).allowed).toBe(true);

    const res = await agents().rotateAgentToken({ agentId: agent.id });
    expect(res.token).toMatch(AGENT_TOKEN_SHAPE);
    expect(res.token).not.toBe(old);
    expect(res.token.startsWith(res.agent?.tokenPrefix ?? '?')).toBe(true);
    expect(res.agent?.id).toBe(agent.id);
    expect(res.agent?.permissions).toEqual(agent.permissions);

    expect(await codeOf(selfCheck(env(), old, resource))).toBe(Code.Unauthenticated);
    expect((await selfCheck(env(), res.token, resource)).allowed).toBe(true);
    const record = await env().store.agents.get('default', agent.id);
    expect(record?.tokenHash).toBe(sha256Hex(res.token));
  });

  it('refuses to rotate a revoked agent with FailedPrecondition', async () => {
    const { agent } = await createAgent(env());
    await agents().revokeAgent({ agentId: agent.id });
    expect(await codeOf(agents().rotateAgentToken({ agentId: agent.id }))).toBe(Code.FailedPrecondition);
  });

  it('answers NotFound for an unknown agent', async () => {
    expect(await codeOf(agents().rotateAgentToken({ agentId: 'agt_nope' }))).toBe(Code.NotFound);
  });
});

describe('RevokeAgent', () => {
  const env = useInProcess();
  const agents = () => env().client(AgentService, env().adminToken);

  it('keeps the record as revoked, and the token stops working at once', async () => {
    const resource = aResource();
    const { agent, token } = await createAgent(env(), { permissions: [readOn(resource)] });
    expect((await selfCheck(env(), token, resource)).allowed).toBe(true);
    env().clock.advance(1000);

    const res = await agents().revokeAgent({ agentId: agent.id });
    expect(res.agent?.status).toBe(AgentStatus.REVOKED);
    expect(ms(res.agent?.revokedAt)).toBe(env().clock.now().getTime());

    const read = await agents().getAgent({ agentId: agent.id });
    expect(read.agent?.status).toBe(AgentStatus.REVOKED);
    expect(read.agent?.name).toBe(agent.name);
    expect(read.agent?.permissions).toEqual(agent.permissions);

    expect(await codeOf(selfCheck(env(), token, resource))).toBe(Code.Unauthenticated);
    const byId = await env().client(AuthorizeService, env().adminToken).authorize({ agentId: agent.id, action: 'read', resource });
    expect(byId).toMatchObject({ allowed: false, reason: ReasonCode.AGENT_REVOKED });
  });

  it('refuses to revoke twice with FailedPrecondition', async () => {
    const { agent } = await createAgent(env());
    await agents().revokeAgent({ agentId: agent.id });
    expect(await codeOf(agents().revokeAgent({ agentId: agent.id }))).toBe(Code.FailedPrecondition);
  });

  it('answers NotFound for an unknown agent', async () => {
    expect(await codeOf(agents().revokeAgent({ agentId: 'agt_nope' }))).toBe(Code.NotFound);
  });
});

describe('changes made by another replica', () => {
  const env = useInProcess({ KAVACH_CACHE_TTL_MS: '1000' });

  it('a revocation written by another replica stops the token within KAVACH_CACHE_TTL_MS', async () => {
    const resource = aResource();
    const { agent, token } = await createAgent(env(), { permissions: [readOn(resource)] });
    expect((await selfCheck(env(), token, resource)).allowed).toBe(true);
    // Another replica shares the store but not this replica's cache.
    await env().store.agents.revoke('default', agent.id, env().clock.now());
    env().clock.advance(1000);
    expect(await codeOf(selfCheck(env(), token, resource))).toBe(Code.Unauthenticated);
    const byId = await env().client(AuthorizeService, env().adminToken).authorize({ agentId: agent.id, action: 'read', resource });
    expect(byId.reason).toBe(ReasonCode.AGENT_REVOKED);
  });
});

describe('agent expiry', () => {
  const env = useInProcess();

  it('an agent past its expires_at reads as expired, is denied by id, and its token is rejected', async () => {
    const resource = aResource();
    const ownerId = anOwnerId();
    const { agent, token } = await createAgent(env(), {
      ownerId,
      permissions: [readOn(resource)],
      expiresAt: timestampFromDate(later(env(), HOUR_MS)),
    });
    expect((await selfCheck(env(), token, resource)).allowed).toBe(true);

    env().clock.advance(HOUR_MS + 1);

    const agents = env().client(AgentService, env().adminToken);
    expect((await agents.getAgent({ agentId: agent.id })).agent?.status).toBe(AgentStatus.EXPIRED);
    const expired = await agents.listAgents({ ownerId, status: AgentStatus.EXPIRED });
    expect(expired.agents.map((a) => a.id)).toEqual([agent.id]);
    expect((await agents.listAgents({ ownerId, status: AgentStatus.ACTIVE })).agents).toEqual([]);

    const byId = await env().client(AuthorizeService, env().adminToken).authorize({ agentId: agent.id, action: 'read', resource });
    expect(byId).toMatchObject({ allowed: false, reason: ReasonCode.AGENT_EXPIRED });
    expect(await codeOf(selfCheck(env(), token, resource))).toBe(Code.Unauthenticated);
  });
});

describe('audit of agent changes', () => {
  const env = useInProcess();

  it('writes exactly one entry for each of create, update, rotate and revoke, naming the agent and the actor', async () => {
    const { agent } = await createAgent(env());
    const agents = env().client(AgentService, env().adminToken);
    await agents.updateAgent({ agentId: agent.id, name: 'renamed' });
    await agents.rotateAgentToken({ agentId: agent.id });
    await agents.revokeAgent({ agentId: agent.id });

    const entries = (await auditEntries(env())).filter((e) => e.agentId === agent.id);
    expect(entries.map((e) => e.action).sort()).toEqual(['agent.create', 'agent.revoke', 'agent.rotate', 'agent.update']);
    for (const e of entries) {
      expect(e.actor).toEqual({ kind: 'admin', id: 'admin' });
      expect(e.ownerId).toBe(agent.ownerId);
      expect(e.resource).toBe(`agent:${agent.id}`);
    }
  });
});

describe('agent token secrecy', () => {
  const env = useInProcess();

  it('no response but CreateAgent and RotateAgentToken carries the token', async () => {
    const { agent, token } = await createAgent(env());
    const agents = env().client(AgentService, env().adminToken);
    expectNoSecretIn(await agents.getAgent({ agentId: agent.id }), token);
    expectNoSecretIn(await agents.listAgents({}), token);
    expectNoSecretIn(await agents.listAgents({ ownerId: agent.ownerId }), token);
    expectNoSecretIn(await agents.updateAgent({ agentId: agent.id, name: 'x' }), token);

    const rotated = await agents.rotateAgentToken({ agentId: agent.id });
    expectNoSecretIn(rotated.agent, rotated.token);
    expectNoSecretIn(rotated, token);
    expectNoSecretIn(await agents.getAgent({ agentId: agent.id }), rotated.token);
    expectNoSecretIn(await agents.listAgents({}), rotated.token);

    const revoked = await agents.revokeAgent({ agentId: agent.id });
    expectNoSecretIn(revoked, token);
    expectNoSecretIn(revoked, rotated.token);
  });

  it('an agent reading itself never sees its token', async () => {
    const { agent, token } = await createAgent(env());
    const self = env().client(AgentService, token);
    const read = await self.getAgent({ agentId: agent.id });
    expect(read.agent?.id).toBe(agent.id);
    expectNoSecretIn(read, token);
    expectNoSecretIn(await self.listAgents({}), token);
  });

  it('the audit log never holds a token, not even one sent as an argument or rejected', async () => {
    const resource = aResource();
    const { agent, token } = await createAgent(env(), { permissions: [readOn(resource)] });
    const authz = env().client(AuthorizeService, token);
    await authz.authorize({ action: 'read', resource, arguments: { token, note: 'hi' } });
    await authz.authorize({ action: 'write', resource });
    const rotated = await env().client(AgentService, env().adminToken).rotateAgentToken({ agentId: agent.id });
    expect(await codeOf(authz.authorize({ action: 'read', resource }))).toBe(Code.Unauthenticated);
    await env().client(AuthorizeService, rotated.token).authorize({ action: 'read', resource });
    await env().client(AgentService, env().adminToken).revokeAgent({ agentId: agent.id });
    expect(await codeOf(env().client(AuthorizeService, rotated.token).authorize({ action: 'read', resource }))).toBe(Code.Unauthenticated);

    // Rejections are written just after they are answered.
    await vi.waitFor(async () => expect((await auditEntries(env())).length).toBeGreaterThanOrEqual(8));
    const entries = await auditEntries(env());
    expectNoSecretIn(entries, token);
    expectNoSecretIn(entries, rotated.token);
  });
});
