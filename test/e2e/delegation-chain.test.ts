/**
 * Delegation over the network: a three-level chain root -> upper -> lower -> leaf, built and
 * used over gRPC (connect-node's HTTP/2 gRPC transport). The leaf is allowed through the chain
 * by its own token; when the middle link (upper -> lower) is revoked, the leaf is denied on the
 * very next call, with no waiting.
 */
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { DelegationService } from '../../gen/kavach/v1/delegation_service_pb.js';
import { AgentType, PermissionSource, ReasonCode } from '../../gen/kavach/v1/types_pb.js';
import { startServer, type RunningServer } from '../support/server.js';
import { signUpOwner } from '../support/owners.js';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv.close();
});

describe('a three-level delegation chain over gRPC', () => {
  it('allows the leaf through the chain, and denies it on the very next call once the middle link is revoked', async () => {
    const transport = createGrpcTransport({ baseUrl: srv.url });
    const admin = { headers: { authorization: `Bearer ${srv.adminToken}` } };
    const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    const agents = createClient(AgentService, transport);
    const delegations = createClient(DelegationService, transport);
    const authz = createClient(AuthorizeService, transport);

    const ownerId = await signUpOwner(transport, srv.adminToken);
    const make = (name: string, permissions: { resource: string; actions: string[] }[]) =>
      agents.createAgent({ ownerId, name, type: AgentType.AUTONOMOUS, permissions }, admin);
    const root = await make('root', [{ resource: 'mcp:github:*', actions: ['read', 'write'] }]);
    const upper = await make('upper', []);
    const lower = await make('lower', []);
    const leaf = await make('leaf', []);
    const request = { action: 'read', resource: 'mcp:github:repos:kavach' };
    const hop = (from: typeof root, to: typeof root, resource: string) =>
      delegations.createDelegation(
        { fromAgentId: from.agent?.id ?? '', toAgentId: to.agent?.id ?? '', permissions: [{ resource, actions: ['read'] }], maxDepth: 3 },
        as(from.token),
      );

    // Each agent delegates by itself, with its own token, a slice no wider than what it holds.
    await hop(root, upper, 'mcp:github:repos:*');
    const middle = await hop(upper, lower, 'mcp:github:repos:*');
    const last = await hop(lower, leaf, 'mcp:github:repos:kavach');
    expect(last.delegation?.depth).toBe(3);

    const before = await authz.authorize(request, as(leaf.token));
    expect(before.allowed).toBe(true);
    expect(before.reason).toBe(ReasonCode.ALLOWED);
    // The leaf holds only what was delegated: a write, or another repo, is not covered.
    expect((await authz.authorize({ action: 'write', resource: request.resource }, as(leaf.token))).allowed).toBe(false);
    expect((await authz.authorize({ action: 'read', resource: 'mcp:github:repos:other' }, as(leaf.token))).allowed).toBe(false);

    const effective = await delegations.getEffectivePermissions({ agentId: leaf.agent?.id ?? '' }, admin);
    const delegated = effective.permissions.filter((p) => p.source === PermissionSource.DELEGATED);
    expect(delegated).toHaveLength(1);
    expect(delegated[0]?.agentChain).toEqual([root.agent?.id, upper.agent?.id, lower.agent?.id, leaf.agent?.id]);
    expect(delegated[0]?.delegationIds).toContain(last.delegation?.id);

    // The leaf may not revoke a link above it; the owner (here the admin) may.
    await expect(delegations.revokeDelegation({ delegationId: middle.delegation?.id ?? '' }, as(leaf.token))).rejects.toSatisfy(
      (e: unknown) => [Code.PermissionDenied, Code.NotFound].includes(ConnectError.from(e).code),
    );
    const revoked = await delegations.revokeDelegation({ delegationId: middle.delegation?.id ?? '' }, admin);
    expect(revoked.revokedCount).toBe(2);

    const after = await authz.authorize(request, as(leaf.token));
    expect(after.allowed).toBe(false);
    expect(after.reason).toBe(ReasonCode.NO_MATCHING_PERMISSION);
    const byId = await authz.authorize({ ...request, agentId: leaf.agent?.id ?? '' }, admin);
    expect(byId.allowed).toBe(false);
  });
});
