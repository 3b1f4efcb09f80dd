/**
 * Delegation use cases (docs/ARCHITECTURE.md#delegation): create, list, effective permissions, revoke.
 *
 * Who may do what:
 * - create: the admin, the owner of the from-agent, or the from-agent itself (agent token).
 *   The to-agent must be in the same tenant and, unless the admin delegates, have the same
 *   owner as the from-agent: a user never learns about, or hands permissions to, another
 *   user's agents (an invisible to-agent reads as missing). Cross-owner delegation is the
 *   admin's alone. An agent token may not delegate from any agent but itself.
 * - list and effective permissions: whoever may see the agent (admin, its owner, itself).
 * - revoke: the admin, the owner of the from-agent, or the from-agent itself. The to-agent and
 *   its owner see the delegation but may not revoke it (PermissionDenied).
 *
 * Every change is audited (`delegation.create`, `delegation.revoke`) and clears the agent cache
 * on this replica, so the next decision sees it; other replicas see it within the cache TTL.
 */
import { MAX_DELEGATION_DEPTH } from '../../domain/delegation.js';
import { failedPrecondition, invalidArgument, notFound, permissionDenied } from '../../domain/errors.js';
import { MAX_PERMISSIONS, validatePermissions } from '../../domain/permission.js';
import type { Permission } from '../../domain/types.js';
import type { DelegationRecord } from '../../domain/records.js';
import type { PageResult, Store } from '../../store/store.js';
import { canSeeAgent, requireAuthenticated } from '../access.js';
import { effectiveStatus } from '../../domain/lifecycle.js';
import type { CachedAgent } from '../agents/agent-cache.js';
import { actorOf } from '../audit/audit-entry.js';
import type { AppContext } from '../app-context.js';
import { planDelegation } from './delegation-plan.js';
import { chainStatus, loadDelegatedGrants, readChains, type ChainStatus } from '../agents/grants.js';
import type { Principal } from '../auth/principal.js';
import { validateId, validatePageSize } from '../validation.js';

export interface DelegationView extends Omit<DelegationRecord, 'status'> {
  /** Computed over the whole chain: revoked or expired when anything above it is. */
  readonly status: ChainStatus;
}

export interface CreateDelegationInput {
  readonly fromAgentId: string;
  readonly toAgentId: string;
  readonly permissions: readonly Permission[];
  readonly expiresAt: Date | undefined;
  /** 0 means the default (1). */
  readonly maxDepth: number;
}

export interface ListDelegationsInput {
  /** Empty: the calling agent. */
  readonly agentId: string;
  readonly direction: 'given' | 'received' | 'both';
  readonly includeInactive: boolean;
  readonly pageSize: number;
  readonly pageToken: string;
}

export interface EffectivePermissionView {
  readonly permission: Permission;
  readonly source: 'own' | 'delegated';
  /** Root first; empty for an own permission. */
  readonly delegationIds: readonly string[];
  /** Root holder first, this agent last; just this agent for an own permission. */
  readonly agentChain: readonly string[];
  readonly expiresAt: Date | undefined;
}

const viewOf = (d: DelegationRecord, status: ChainStatus): DelegationView => ({ ...d, status });

export function createDelegationUseCases(ctx: AppContext, store: Pick<Store, 'agents' | 'delegations'>) {
  const { cache, audit, now, newId } = ctx;

  /** The agent `agentId` names, or the calling agent when it is empty; NotFound unless visible. */
  async function visibleAgent(principal: Principal, agentId: string): Promise<CachedAgent> {
    const caller = requireAuthenticated(principal);
    let id = agentId;
    if (id === '') {
      if (caller.kind !== 'agent') throw invalidArgument('agent_id', 'is required unless the caller authenticates with an agent token');
      id = caller.agentId;
    }
    validateId(id, 'agent_id');
    const agent = await cache.getById(caller.tenantId, id);
    if (agent === undefined || !canSeeAgent(caller, agent.record)) throw notFound(`agent ${id} not found`);
    return agent;
  }

  function validateCreate(input: CreateDelegationInput, at: Date): void {
    validateId(input.fromAgentId, 'from_agent_id');
    validateId(input.toAgentId, 'to_agent_id');
    if (input.permissions.length === 0 || input.permissions.length > MAX_PERMISSIONS) {
      throw invalidArgument('permissions', `must hold 1 to ${MAX_PERMISSIONS} permissions`);
    }
    validatePermissions(input.permissions, 'permissions');
    if (!Number.isInteger(input.maxDepth) || input.maxDepth < 0 || input.maxDepth > MAX_DELEGATION_DEPTH) {
      throw invalidArgument('max_depth', `must be from 1 to ${MAX_DELEGATION_DEPTH} (0 means 1)`);
    }
    if (input.expiresAt !== undefined && input.expiresAt.getTime() <= at.getTime()) {
      throw invalidArgument('expires_at', 'must be in the future');
    }
  }

  function audited(principal: Principal, d: DelegationRecord, action: string, message: string) {
    return audit.record({
      tenantId: d.tenantId,
      actor: actorOf(principal),
      action,
      result: 'allowed',
      agentId: d.fromAgentId,
      ownerId: d.ownerId,
      resource: `delegation:${d.id}`,
      message,
      delegationChain: [...d.agentChain, d.toAgentId],
    });
  }

  return {
    async create(principal: Principal, input: CreateDelegationInput): Promise<DelegationView> {
      const caller = requireAuthenticated(principal);
      const at = now();
      validateCreate(input, at);
      if (caller.kind === 'agent' && caller.agentId !== input.fromAgentId) {
        throw permissionDenied('an agent token may delegate only its own permissions (from_agent_id must be the calling agent)');
      }
      // Fresh reads, not the cache: what the parent holds must be current when it is given away.
      const from = await store.agents.get(caller.tenantId, input.fromAgentId);
      if (from === undefined || !canSeeAgent(caller, from)) throw notFound(`agent ${input.fromAgentId} not found`);
      if (input.toAgentId === from.id) throw failedPrecondition(`agent ${from.id} cannot delegate to itself`);
      const to = await store.agents.get(caller.tenantId, input.toAgentId);
      if (to === undefined || (caller.kind !== 'admin' && to.ownerId !== from.ownerId)) {
        throw notFound(`agent ${input.toAgentId} not found`);
      }
      const fromStatus = effectiveStatus(from, at);
      if (fromStatus !== 'active') throw failedPrecondition(`agent ${from.id} is ${fromStatus} and cannot delegate`);
      const toStatus = effectiveStatus(to, at);
      if (toStatus !== 'active') throw failedPrecondition(`agent ${to.id} is ${toStatus} and cannot receive a delegation`);

      const grants = await loadDelegatedGrants(store, from, at);
      const plan = planDelegation(
        { from, toAgentId: to.id, permissions: input.permissions, maxDepth: input.maxDepth, expiresAt: input.expiresAt },
        grants,
      );
      const record: DelegationRecord = {
        id: newId('dlg'),
        tenantId: from.tenantId,
        ownerId: from.ownerId,
        fromAgentId: from.id,
        toAgentId: to.id,
        permissions: plan.permissions,
        depth: plan.depth,
        maxDepth: plan.maxDepth,
        ancestorIds: plan.ancestorIds,
        agentChain: plan.agentChain,
        status: 'active',
        createdAt: at,
        ...(plan.expiresAt === undefined ? {} : { expiresAt: plan.expiresAt }),
      };
      await store.delegations.create(record);
      cache.invalidateAll();
      const capped = plan.expiryCapped ? `; expiry capped at the parent's, ${plan.expiresAt?.toISOString() ?? ''}` : '';
      await audited(
        principal,
        record,
        'delegation.create',
        `delegated ${record.permissions.length} permission(s) to ${to.id} at depth ${record.depth} of at most ${record.maxDepth}${capped}`,
      );
      return viewOf(record, 'active');
    },

    async list(principal: Principal, input: ListDelegationsInput): Promise<PageResult<DelegationView>> {
      const agent = (await visibleAgent(principal, input.agentId)).record;
      const limit = validatePageSize(input.pageSize, 50, 500);
      const at = now();
      const page = await store.delegations.list(
        agent.tenantId,
        { agentId: agent.id, direction: input.direction, onlyActive: !input.includeInactive, now: at },
        { limit, cursor: input.pageToken === '' ? undefined : input.pageToken },
      );
      const { ancestors, agents } = await readChains(store, agent.tenantId, page.items);
      const views = page.items.map((d) => viewOf(d, chainStatus(d, ancestors, agents, at)));
      // The store filters on each record alone; the chain above may have ended since. Such a
      // page may come back shorter than page_size (even empty) with a next_page_token.
      const items = input.includeInactive ? views : views.filter((d) => d.status === 'active');
      return { items, nextCursor: page.nextCursor };
    },

    async effectivePermissions(principal: Principal, agentId: string): Promise<EffectivePermissionView[]> {
      const cached = await visibleAgent(principal, agentId);
      const { record } = cached;
      const own = cached.record.permissions.map(
        (permission): EffectivePermissionView => ({
          permission,
          source: 'own',
          delegationIds: [],
          agentChain: [record.id],
          expiresAt: cached.record.expiresAt,
        }),
      );
      const delegated = cached.delegated.map(
        (g): EffectivePermissionView => ({
          permission: g.permission,
          source: 'delegated',
          delegationIds: g.delegationIds,
          agentChain: g.agentChain,
          expiresAt: g.expiresAt,
        }),
      );
      return [...own, ...delegated];
    },

    async revoke(principal: Principal, delegationId: string): Promise<{ delegation: DelegationView; revokedCount: number }> {
      const caller = requireAuthenticated(principal);
      validateId(delegationId, 'delegation_id');
      const missing = () => notFound(`delegation ${delegationId} not found`);
      const found = await store.delegations.get(caller.tenantId, delegationId);
      if (found === undefined) throw missing();
      const mayRevoke =
        caller.kind === 'admin' ||
        (caller.kind === 'user' && found.ownerId === caller.userId) ||
        (caller.kind === 'agent' && found.fromAgentId === caller.agentId);
      if (!mayRevoke) {
        const to = caller.kind === 'user' ? await store.agents.get(caller.tenantId, found.toAgentId) : undefined;
        const sees =
          (caller.kind === 'agent' && found.toAgentId === caller.agentId) ||
          (caller.kind === 'user' && to !== undefined && to.ownerId === caller.userId);
        if (!sees) throw missing();
        throw permissionDenied('only the admin, the owner of the from-agent or the from-agent itself may revoke a delegation');
      }
      const result = await store.delegations.revoke(caller.tenantId, delegationId, now());
      cache.invalidateAll();
      if (result === undefined) throw missing();
      if (!result.changed && result.revokedCount === 0) throw failedPrecondition(`delegation ${delegationId} is already revoked`);
      const below = result.revokedCount - (result.changed ? 1 : 0);
      await audited(principal, result.delegation, 'delegation.revoke', `delegation revoked with ${below} delegation(s) below it; revoked_count ${result.revokedCount}`);
      return { delegation: viewOf(result.delegation, 'revoked'), revokedCount: result.revokedCount };
    },
  };
}

export type DelegationUseCases = ReturnType<typeof createDelegationUseCases>;
