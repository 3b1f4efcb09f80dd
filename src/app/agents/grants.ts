/**
 * An agent's delegated permissions, computed from the store in a fixed number of reads
 * (docs/ARCHITECTURE.md#delegation): the active delegations to the agent, their ancestor delegations by id, and the
 * agents on their chains by id. Three reads whatever the chain depth, because every delegation
 * is stored with its ancestry.
 *
 * A delegation is effective only while every delegation on its chain (itself and its ancestors)
 * is stored active and unexpired and every agent that gave along it (the root holder down to
 * the from-agent) is active and unexpired. So revoking or expiring any of them cuts off
 * everything below at once, with nothing to rewrite. Each delegated permission is also checked
 * again against the root holder's current own permissions and re-merged with them, so narrowing
 * the root agent's permissions narrows (or cuts off) what flows from it.
 */
import { coverEach, earliest } from '../../domain/delegation.js';
import type { Permission } from '../../domain/types.js';
import type { AgentRecord, DelegationRecord } from '../../domain/records.js';
import type { AgentStore, DelegationStore } from '../../store/store.js';
import { effectiveStatus } from '../../domain/lifecycle.js';

/** Most delegations to one agent that its effective permissions take into account. */
export const MAX_RECEIVED_DELEGATIONS = 1000;

export type ChainStatus = 'active' | 'revoked' | 'expired';

/** One delegated permission an agent holds, with where it came from. */
export interface DelegatedGrant {
  /** The permission with every inherited constraint merged in. */
  readonly permission: Permission;
  /** The delegation to this agent that carries it. */
  readonly delegation: DelegationRecord;
  /** The delegations it came through, root first, ending with `delegation.id`. */
  readonly delegationIds: readonly string[];
  /** The agents it came through, the root holder first and this agent last. */
  readonly agentChain: readonly string[];
  /** When it stops applying: the earliest expiry of any delegation or giving agent on the chain. */
  readonly expiresAt: Date | undefined;
}

export interface GrantSources {
  readonly agents: AgentStore;
  readonly delegations: DelegationStore;
}

const storedLive = (d: DelegationRecord, now: Date): boolean =>
  d.status === 'active' && (d.expiresAt === undefined || d.expiresAt.getTime() > now.getTime());

/**
 * The status of `d` as the whole chain sees it at `now`: `revoked` when it, an ancestor or a
 * giving agent is revoked (or missing), else `expired` when any of them has expired, else
 * `active`. `ancestors` and `agents` must hold the records named by its chain.
 */
export function chainStatus(
  d: DelegationRecord,
  ancestors: ReadonlyMap<string, DelegationRecord>,
  agents: ReadonlyMap<string, AgentRecord>,
  now: Date,
): ChainStatus {
  let expired = false;
  for (const id of [...d.ancestorIds, d.id]) {
    const link = id === d.id ? d : ancestors.get(id);
    if (link === undefined || link.status === 'revoked') return 'revoked';
    if (!storedLive(link, now)) expired = true;
  }
  for (const id of d.agentChain) {
    const agent = agents.get(id);
    const status = agent === undefined ? 'revoked' : effectiveStatus(agent, now);
    if (status === 'revoked') return 'revoked';
    if (status === 'expired') expired = true;
  }
  return expired ? 'expired' : 'active';
}

/** Reads the ancestors and giving agents of `delegations` (two reads, skipped when not needed). */
export async function readChains(
  sources: GrantSources,
  tenantId: string,
  delegations: readonly DelegationRecord[],
): Promise<{ ancestors: Map<string, DelegationRecord>; agents: Map<string, AgentRecord> }> {
  const ancestorIds = [...new Set(delegations.flatMap((d) => d.ancestorIds))];
  const agentIds = [...new Set(delegations.flatMap((d) => d.agentChain))];
  const [ancestorList, agentList] = await Promise.all([
    ancestorIds.length === 0 ? [] : sources.delegations.getMany(tenantId, ancestorIds),
    agentIds.length === 0 ? [] : sources.agents.getMany(tenantId, agentIds),
  ]);
  return {
    ancestors: new Map(ancestorList.map((d) => [d.id, d])),
    agents: new Map(agentList.map((a) => [a.id, a])),
  };
}

/** The permissions delegated to `agent` that are effective at `now`, newest delegation first. */
export async function loadDelegatedGrants(sources: GrantSources, agent: AgentRecord, now: Date): Promise<DelegatedGrant[]> {
  const received = await sources.delegations.listActiveTo(agent.tenantId, agent.id, now, MAX_RECEIVED_DELEGATIONS);
  if (received.length === 0) return [];
  const { ancestors, agents } = await readChains(sources, agent.tenantId, received);
  const grants: DelegatedGrant[] = [];
  for (const d of received) {
    if (chainStatus(d, ancestors, agents, now) !== 'active') continue;
    const root = agents.get(d.agentChain[0] ?? '');
    if (root === undefined) continue;
    const expiresAt = earliest(
      ...[...d.ancestorIds.map((id) => ancestors.get(id)), d].map((link) => link?.expiresAt),
      ...d.agentChain.map((id) => agents.get(id)?.expiresAt),
    );
    const delegationIds = [...d.ancestorIds, d.id];
    const agentChain = [...d.agentChain, agent.id];
    for (const current of coverEach(root.permissions, d.permissions, root.id)) {
      if (current.ok) grants.push({ permission: current.permission, delegation: d, delegationIds, agentChain, expiresAt });
    }
  }
  return grants;
}
