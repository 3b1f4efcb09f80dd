/**
 * The multi-replica ring: two or three real servers on one MongoDB database (FerretDB in CI).
 * What matters once there are replicas: state created on one is usable on another, revocation
 * and rotation reach every replica within the cache TTL, and limits are counted once for all.
 */
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AgentType, ReasonCode } from '../../gen/kavach/v1/types_pb.js';
import { describeMongo } from '../support/mongo-context.js';
import { freshDatabaseName } from '../support/mongo-server.js';
import { aSignUpRequest } from '../support/requests.js';
import { admin, as, eventually, replicaClients, startReplicas, type Replica, type ReplicaClients } from '../support/replicas.js';

const CACHE_TTL_MS = 300;
const clients = replicaClients;
type Clients = ReplicaClients;

async function codeOf(p: Promise<unknown>): Promise<Code | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return ConnectError.from(e).code;
  }
}

describeMongo('several replicas on one database', (mongo) => {
  let replicas: Replica[] = [];
  let a: Clients;
  let b: Clients;
  let c: Clients;

  beforeEach(async () => {
    replicas = await startReplicas(3, mongo.uri, freshDatabaseName('replicas'), { KAVACH_CACHE_TTL_MS: String(CACHE_TTL_MS) });
    [a, b, c] = replicas.map(clients) as [Clients, Clients, Clients];
  });
  afterEach(async () => {
    await Promise.all(replicas.map((r) => r.close()));
  });

  async function createAgent(on: Clients, permissions: Parameters<Client<typeof AgentService>['createAgent']>[0]['permissions']) {
    // The owner must be a user of the tenant: the admin signs one up first.
    const owner = await on.auth.signUp(aSignUpRequest(), admin);
    return on.agents.createAgent({ ownerId: owner.user?.id ?? '', name: 'replicated', type: AgentType.AUTONOMOUS, permissions }, admin);
  }

  it('an agent created on replica A is usable on replica B', async () => {
    const { agent, token } = await createAgent(a, [{ resource: 'mcp:github:*', actions: ['read'] }]);
    const byToken = await b.authz.authorize({ action: 'read', resource: 'mcp:github:repos' }, as(token));
    expect(byToken.allowed).toBe(true);
    const byId = await c.authz.authorize({ agentId: agent?.id ?? '', action: 'read', resource: 'mcp:github:repos' }, admin);
    expect(byId.allowed).toBe(true);
    expect((await b.agents.getAgent({ agentId: agent?.id ?? '' }, admin)).agent?.name).toBe('replicated');
  });

  it('a token revoked on A is rejected at once on A and within the cache TTL on B', async () => {
    const { agent, token } = await createAgent(a, [{ resource: 'mcp:*', actions: ['read'] }]);
    const request = { action: 'read', resource: 'mcp:x' };
    // Warm B's cache, so that B has something to be stale about.
    expect((await b.authz.authorize(request, as(token))).allowed).toBe(true);
    await a.agents.revokeAgent({ agentId: agent?.id ?? '' }, admin);
    expect(await codeOf(a.authz.authorize(request, as(token)))).toBe(Code.Unauthenticated);
    const rejectedOnB = await eventually(async () => (await codeOf(b.authz.authorize(request, as(token)))) === Code.Unauthenticated);
    expect(rejectedOnB).toBe(true);
    const byId = await b.authz.authorize({ ...request, agentId: agent?.id ?? '' }, admin);
    expect(byId.reason).toBe(ReasonCode.AGENT_REVOKED);
  });

  it('a token rotated on A stops working on B within the cache TTL, and the new one works there', async () => {
    const { agent, token: oldToken } = await createAgent(a, [{ resource: 'mcp:*', actions: ['read'] }]);
    const request = { action: 'read', resource: 'mcp:x' };
    expect((await b.authz.authorize(request, as(oldToken))).allowed).toBe(true);
    const { token: newToken } = await a.agents.rotateAgentToken({ agentId: agent?.id ?? '' }, admin);
    expect(await codeOf(a.authz.authorize(request, as(oldToken)))).toBe(Code.Unauthenticated);
    expect(await eventually(async () => (await codeOf(b.authz.authorize(request, as(oldToken)))) === Code.Unauthenticated)).toBe(true);
    expect((await b.authz.authorize(request, as(newToken))).allowed).toBe(true);
  });

  it('a rate limit of N calls per hour allows exactly N across all replicas under concurrent load', async () => {
    const limit = 10;
    const { token } = await createAgent(a, [{ resource: 'mcp:github:*', actions: ['read'], constraints: { maxCallsPerHour: limit } }]);
    const all = [a, b, c];
    const calls = Array.from({ length: 36 }, (_, i) =>
      (all[i % 3] as Clients).authz.authorize({ action: 'read', resource: 'mcp:github:repos' }, as(token)),
    );
    const decisions = await Promise.all(calls);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(limit);
    const limited = decisions.filter((d) => !d.allowed);
    expect(limited.every((d) => d.reason === ReasonCode.RATE_LIMITED && d.retryAfterSeconds >= 1)).toBe(true);
  });

  it('sign-in throttling counts failures made on every replica', async () => {
    const email = `throttle-${Date.now()}@example.com`;
    await a.auth.signUp({ email, password: 'a long and unusual passphrase 7', name: '' });
    const all = [a, b, c];
    const codes: (Code | 'ok')[] = [];
    // Spread wrong passwords over the replicas, one at a time, until one is throttled.
    for (let i = 0; i < 12; i++) {
      codes.push(await codeOf((all[i % 3] as Clients).auth.signIn({ email, password: `wrong password ${i}` })));
      if (codes.at(-1) === Code.ResourceExhausted) break;
    }
    // Five failures are free for an email wherever they happen; the next attempt is throttled,
    // even though no single replica saw more than two of them.
    expect(codes.slice(0, 5).every((code) => code === Code.Unauthenticated)).toBe(true);
    expect(codes).toContain(Code.ResourceExhausted);
    expect(codes.indexOf(Code.ResourceExhausted)).toBeLessThanOrEqual(6);
  });

  it('a delegation chain revoked on A denies the leaf at once on A and within the cache TTL on B', async () => {
    const root = await createAgent(a, [{ resource: 'mcp:github:*', actions: ['read'] }]);
    const upper = await createAgent(a, []);
    const lower = await createAgent(a, []);
    const leaf = await createAgent(a, []);
    const hop = (from: typeof root, to: typeof root, resource: string) =>
      a.delegations.createDelegation(
        { fromAgentId: from.agent?.id ?? '', toAgentId: to.agent?.id ?? '', permissions: [{ resource, actions: ['read'] }], maxDepth: 3 },
        admin,
      );
    await hop(root, upper, 'mcp:github:repos:*');
    const middle = await hop(upper, lower, 'mcp:github:repos:*');
    await hop(lower, leaf, 'mcp:github:repos:*');
    const request = { action: 'read', resource: 'mcp:github:repos:kavach' };
    // Created on A, used on B and C.
    expect((await b.authz.authorize(request, as(leaf.token))).allowed).toBe(true);
    expect((await c.authz.authorize(request, as(leaf.token))).allowed).toBe(true);

    await a.delegations.revokeDelegation({ delegationId: middle.delegation?.id ?? '' }, admin);
    expect((await a.authz.authorize(request, as(leaf.token))).allowed).toBe(false);
    expect(await eventually(async () => !(await b.authz.authorize(request, as(leaf.token))).allowed)).toBe(true);
  });
});
