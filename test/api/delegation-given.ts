/**
 * Helpers for the delegation API tests: permissions, a family of agents of one owner, a chain of
 * delegations, and decisions by id as the admin.
 */
import { timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { expect } from 'vitest';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { DelegationService } from '../../gen/kavach/v1/delegation_service_pb.js';
import type { Agent, Delegation } from '../../gen/kavach/v1/types_pb.js';
import type { InProcess } from '../support/app.js';
import { aSuffix, anOwnerId, constraints, type ConstraintsInit, type PermissionInit } from '../support/requests.js';
import { createAgent } from './given.js';

export const ms = (ts: Timestamp | undefined): number | undefined => (ts === undefined ? undefined : timestampDate(ts).getTime());

export const perm = (resource: string, actions: string[] = ['read'], c: ConstraintsInit = {}): PermissionInit => ({
  resource,
  actions,
  constraints: constraints(c),
});

/** A fresh service prefix, so no two tests share resources. */
export const svc = () => `mcp:svc${aSuffix()}`;

/** A small world: an owner with `count` agents; the first holds `rootPermissions`, the rest nothing. */
export async function family(env: InProcess, rootPermissions: PermissionInit[], count = 3, extra: { expiresAt?: Date } = {}) {
  const ownerId = anOwnerId();
  const agents: { agent: Agent; token: string }[] = [];
  for (let i = 0; i < count; i++) {
    agents.push(
      await createAgent(env, {
        ownerId,
        permissions: i === 0 ? rootPermissions : [],
        ...(i === 0 && extra.expiresAt !== undefined ? { expiresAt: timestampFromDate(extra.expiresAt) } : {}),
      }),
    );
  }
  return { ownerId, agents: agents.map((a) => a.agent), tokens: agents.map((a) => a.token) };
}

export function delegations(env: InProcess, token = env.adminToken) {
  return env.client(DelegationService, token);
}

export async function delegate(
  env: InProcess,
  from: Agent,
  to: Agent,
  permissions: PermissionInit[],
  extra: { maxDepth?: number; expiresAt?: Date } = {},
  token = env.adminToken,
): Promise<Delegation> {
  const res = await delegations(env, token).createDelegation({
    fromAgentId: from.id,
    toAgentId: to.id,
    permissions,
    maxDepth: extra.maxDepth ?? 0,
    ...(extra.expiresAt === undefined ? {} : { expiresAt: timestampFromDate(extra.expiresAt) }),
  });
  return res.delegation ?? expect.fail('CreateDelegation returned no delegation');
}

/** Authorize by id, as the admin. */
export async function decide(env: InProcess, agent: Agent, resource: string, action = 'read', args: Record<string, string> = {}, peer?: string) {
  const client = env.client(AuthorizeService, env.adminToken, peer === undefined ? {} : { 'x-test-peer-ip': peer });
  return client.authorize({ agentId: agent.id, action, resource, arguments: args });
}

export const allowed = async (env: InProcess, agent: Agent, resource: string, action = 'read') => (await decide(env, agent, resource, action)).allowed;

/** Builds root -> a1 -> ... -> an, each hop delegating `permissions` with `maxDepth`. */
export async function chain(env: InProcess, permissions: PermissionInit[], hops: number, maxDepth: number) {
  const world = await family(env, permissions, hops + 1);
  const links: Delegation[] = [];
  for (let i = 0; i < hops; i++) {
    links.push(await delegate(env, world.agents[i] as Agent, world.agents[i + 1] as Agent, permissions, { maxDepth }));
  }
  return { ...world, links };
}
