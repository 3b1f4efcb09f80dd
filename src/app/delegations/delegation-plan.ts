/**
 * Where a new delegation draws its permissions from (docs/ARCHITECTURE.md#delegation). A delegation hangs off
 * exactly one grant of the from-agent: its own permissions (the delegation is a first hop) or
 * one delegation it received (the delegation extends that chain). That keeps every delegation
 * on a single chain, stored with it, so one revoke or expiry upstream cuts off all of it.
 *
 * Grants are tried in a fixed order: own permissions, then received delegations, shallowest
 * first, newest first among equals. The first grant that covers every requested permission,
 * would not form a cycle and stays within the chain's depth limit is used.
 */
import { coverAll, depthLimit, earliest } from '../../domain/delegation.js';
import { failedPrecondition, permissionDenied } from '../../domain/errors.js';
import type { Permission } from '../../domain/types.js';
import type { AgentRecord } from '../../domain/records.js';
import type { DelegatedGrant } from '../agents/grants.js';

/** One grant of the from-agent that a delegation may hang off. */
interface Source {
  readonly permissions: readonly Permission[];
  /** Depth of the grant: 0 for own permissions. */
  readonly depth: number;
  /** The grant's depth limit; undefined for own permissions. */
  readonly maxDepth: number | undefined;
  /** When the grant ends (own permissions: never; the agent's expiry is applied separately). */
  readonly expiresAt: Date | undefined;
  /** The delegations above the new one, root first. */
  readonly ancestorIds: readonly string[];
  /** The agents that gave above the from-agent, root first (empty for own permissions). */
  readonly giversAbove: readonly string[];
}

/** What the new delegation will be, once a grant covers it. */
export interface DelegationPlan {
  readonly permissions: readonly Permission[];
  readonly depth: number;
  readonly maxDepth: number;
  readonly ancestorIds: readonly string[];
  /** The giving agents, root holder first, the from-agent last. */
  readonly agentChain: readonly string[];
  /** The requested expiry capped at the from-agent's and the grant's. */
  readonly expiresAt: Date | undefined;
  /** True when the requested expiry was later than allowed (or unset while the parent ends). */
  readonly expiryCapped: boolean;
}

export interface DelegationRequest {
  readonly from: AgentRecord;
  readonly toAgentId: string;
  readonly permissions: readonly Permission[];
  /** 0 means the default. */
  readonly maxDepth: number;
  readonly expiresAt: Date | undefined;
}

function sourcesOf(from: AgentRecord, grants: readonly DelegatedGrant[]): Source[] {
  const byDelegation = new Map<string, DelegatedGrant[]>();
  for (const g of grants) byDelegation.set(g.delegation.id, [...(byDelegation.get(g.delegation.id) ?? []), g]);
  const received = [...byDelegation.values()]
    .map((list) => list as [DelegatedGrant, ...DelegatedGrant[]])
    .sort(([a], [b]) => a.delegation.depth - b.delegation.depth || b.delegation.createdAt.getTime() - a.delegation.createdAt.getTime() || (a.delegation.id < b.delegation.id ? -1 : 1))
    .map(([first, ...rest]): Source => {
      const d = first.delegation;
      return {
        permissions: [first, ...rest].map((g) => g.permission),
        depth: d.depth,
        maxDepth: d.maxDepth,
        expiresAt: first.expiresAt,
        ancestorIds: [...d.ancestorIds, d.id],
        giversAbove: d.agentChain,
      };
    });
  const own: Source = { permissions: from.permissions, depth: 0, maxDepth: undefined, expiresAt: undefined, ancestorIds: [], giversAbove: [] };
  return [own, ...received];
}

/**
 * Plans a delegation from `request.from`, which holds its own permissions and `grants`. Throws
 * permission_denied naming the first permission no grant covers (and why), and
 * failed_precondition when every covering grant would form a cycle or break the depth limit.
 * Self-delegation is the caller's check, made before anything is read.
 */
export function planDelegation(request: DelegationRequest, grants: readonly DelegatedGrant[]): DelegationPlan {
  const { from, toAgentId } = request;
  const sources = sourcesOf(from, grants);
  let refusal: string | undefined;
  for (const source of sources) {
    const covered = coverAll(source.permissions, request.permissions, from.id);
    if (!covered.ok) continue;
    if (source.giversAbove.includes(toAgentId)) {
      refusal ??= `agent ${toAgentId} is already on the delegation chain above ${from.id} (${[...source.giversAbove, from.id].join(' -> ')}); delegating back would form a cycle`;
      continue;
    }
    const depth = source.depth + 1;
    const limit = depthLimit(request.maxDepth, source.maxDepth);
    if (depth > limit) {
      refusal ??=
        source.maxDepth !== undefined && source.maxDepth < depth
          ? `this delegation would be hop ${depth}, past the chain's depth limit of ${source.maxDepth}`
          : `this delegation would be hop ${depth}, past its own max_depth of ${limit}; max_depth counts hops from the root holder, so set it to at least ${depth}`;
      continue;
    }
    const cap = earliest(from.expiresAt, source.expiresAt);
    const expiresAt = earliest(request.expiresAt, cap);
    return {
      permissions: covered.permissions,
      depth,
      maxDepth: limit,
      ancestorIds: source.ancestorIds,
      agentChain: [...source.giversAbove, from.id],
      expiresAt,
      expiryCapped: cap !== undefined && expiresAt === cap && request.expiresAt?.getTime() !== cap.getTime(),
    };
  }
  if (refusal !== undefined) throw failedPrecondition(refusal);
  const everything = sources.flatMap((s) => s.permissions);
  const anyGrant = coverAll(everything, request.permissions, from.id);
  if (!anyGrant.ok) throw permissionDenied(`permissions[${anyGrant.index}]: ${anyGrant.problem}`);
  throw permissionDenied(
    `permissions: ${from.id} holds these permissions through different grants (its own permissions and ` +
      'received delegations); one delegation draws all its permissions from one grant, so split it into several',
  );
}
