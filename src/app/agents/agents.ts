/**
 * Agent lifecycle use cases: create, read, list, update, rotate, revoke (docs/ARCHITECTURE.md#agents).
 * Every change is audited; tokens are returned only by create and rotate, and stored only as hashes.
 */
import { failedPrecondition, invalidArgument, notFound, permissionDenied, resourceExhausted } from '../../domain/errors.js';
import { validatePermissions } from '../../domain/permission.js';
import type { AgentStatus, AgentType, Permission } from '../../domain/types.js';
import type { AgentRecord } from '../../domain/records.js';
import { effectiveStatus } from '../../domain/lifecycle.js';
import type { AgentPatch, AgentStatusFilter, PageResult, Store } from '../../store/store.js';
import { actorOf } from '../audit/audit-entry.js';
import { canManageAgent, canSeeAgent, requireAuthenticated, requireHuman } from '../access.js';
import type { AppContext } from '../app-context.js';
import type { Principal } from '../auth/principal.js';
import { AGENT_TOKEN_PREFIX, newToken, sha256Hex, tokenPrefixOf } from '../auth/secrets.js';
import { validateId, validateMetadata, validateName, validateOwnerId, validatePageSize } from '../validation.js';

export interface AgentView extends Omit<AgentRecord, 'tokenHash' | 'status'> {
  readonly status: AgentStatus;
}

export interface CreateAgentInput {
  readonly ownerId: string;
  readonly name: string;
  readonly type: AgentType | undefined;
  readonly permissions: readonly Permission[];
  readonly expiresAt: Date | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface UpdateAgentInput {
  readonly agentId: string;
  readonly name?: string | undefined;
  readonly permissions?: readonly Permission[] | undefined;
  readonly expiresAt?: Date | undefined;
  readonly clearExpiresAt: boolean;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

export interface ListAgentsInput {
  readonly ownerId: string;
  readonly status: AgentStatusFilter | undefined;
  readonly type: AgentType | undefined;
  readonly pageSize: number;
  readonly pageToken: string;
}

export function viewOf(agent: AgentRecord, now: Date): AgentView {
  const { tokenHash: _secret, ...rest } = agent;
  return { ...rest, status: effectiveStatus(agent, now) };
}

function validateExpiry(expiresAt: Date | undefined, now: Date, field: string): void {
  if (expiresAt !== undefined && expiresAt.getTime() <= now.getTime()) {
    throw invalidArgument(field, 'must be in the future');
  }
}

export interface AgentSettings {
  /** KAVACH_AGENT_QUOTA: active agents per owner. */
  readonly agentQuota: number;
}

export function createAgentUseCases(ctx: AppContext, store: Pick<Store, 'agents' | 'users'>, settings: AgentSettings) {
  const { cache, audit, now, newId } = ctx;

  async function loadVisible(principal: Principal, agentId: string): Promise<AgentRecord> {
    validateId(agentId, 'agent_id');
    const agent = await store.agents.get(principal.tenantId, agentId);
    if (agent === undefined || !canSeeAgent(principal, agent)) throw notFound(`agent ${agentId} not found`);
    return agent;
  }

  async function loadManaged(principal: Principal, agentId: string, what: string): Promise<AgentRecord> {
    const agent = await loadVisible(principal, agentId);
    if (!canManageAgent(principal, agent)) throw permissionDenied(`an agent token may not ${what}`);
    return agent;
  }

  function changed(principal: Principal, agent: AgentRecord, action: string, message: string) {
    return audit.record({
      tenantId: agent.tenantId,
      actor: actorOf(principal),
      action,
      result: 'allowed',
      agentId: agent.id,
      ownerId: agent.ownerId,
      resource: `agent:${agent.id}`,
      message,
    });
  }

  return {
    async create(principal: Principal, input: CreateAgentInput): Promise<{ agent: AgentView; token: string }> {
      const caller = requireHuman(principal, 'create agents');
      const at = now();
      let ownerId = input.ownerId;
      if (caller.kind === 'user') {
        if (ownerId !== '' && ownerId !== caller.userId) throw permissionDenied('users may only create agents they own');
        ownerId = caller.userId;
      } else if (ownerId === '') {
        throw invalidArgument('owner_id', 'is required when the admin creates an agent');
      }
      validateOwnerId(ownerId, 'owner_id');
      validateName(input.name, 'name');
      if (input.type === undefined) throw invalidArgument('type', 'must be autonomous, delegated or service');
      validatePermissions(input.permissions, 'permissions');
      validateExpiry(input.expiresAt, at, 'expires_at');
      validateMetadata(input.metadata, 'metadata');
      // Last, after the checks that cost no read. The admin names the owner: it must be a user of
      // the tenant the agent is created in, or the agent would belong to nobody (a user of another
      // tenant can never see or manage it).
      if (caller.kind === 'admin' && (await store.users.get(caller.tenantId, ownerId)) === undefined) {
        throw invalidArgument(
          'owner_id',
          `names no user of tenant "${caller.tenantId}": the owner must be an existing user of the tenant the agent is created in (sign the user up first, or name the tenant with the kavach-tenant header)`,
        );
      }
      const token = newToken(AGENT_TOKEN_PREFIX);
      const record: AgentRecord = {
        id: newId('agt'),
        tenantId: caller.tenantId,
        ownerId,
        name: input.name,
        type: input.type,
        status: 'active',
        permissions: input.permissions,
        metadata: input.metadata,
        tokenHash: sha256Hex(token),
        tokenPrefix: tokenPrefixOf(token),
        createdAt: at,
        updatedAt: at,
        expiresAt: input.expiresAt,
      };
      const created = await store.agents.create(record, settings.agentQuota, at);
      if (!created) {
        throw resourceExhausted(`owner ${ownerId} already has ${settings.agentQuota} active agents (the quota)`);
      }
      await changed(principal, record, 'agent.create', `agent "${record.name}" created`);
      return { agent: viewOf(record, at), token };
    },

    async get(principal: Principal, agentId: string): Promise<AgentView> {
      requireAuthenticated(principal);
      return viewOf(await loadVisible(principal, agentId), now());
    },

    async list(principal: Principal, input: ListAgentsInput): Promise<PageResult<AgentView>> {
      const caller = requireAuthenticated(principal);
      const limit = validatePageSize(input.pageSize, 50, 500);
      const at = now();
      if (caller.kind === 'agent') {
        // An agent sees exactly itself, if it matches the filters.
        const self = await store.agents.get(caller.tenantId, caller.agentId);
        const keep =
          self !== undefined &&
          (input.ownerId === '' || input.ownerId === self.ownerId) &&
          (input.status === undefined || effectiveStatus(self, at) === input.status) &&
          (input.type === undefined || input.type === self.type) &&
          input.pageToken === '';
        return { items: keep ? [viewOf(self, at)] : [], nextCursor: undefined };
      }
      let ownerId: string | undefined = input.ownerId === '' ? undefined : input.ownerId;
      if (caller.kind === 'user') {
        if (ownerId !== undefined && ownerId !== caller.userId) return { items: [], nextCursor: undefined };
        ownerId = caller.userId;
      }
      const page = await store.agents.list(
        caller.tenantId,
        { ownerId, status: input.status, type: input.type, now: at },
        { limit, cursor: input.pageToken === '' ? undefined : input.pageToken },
      );
      return { items: page.items.map((a) => viewOf(a, at)), nextCursor: page.nextCursor };
    },

    async update(principal: Principal, input: UpdateAgentInput): Promise<AgentView> {
      const at = now();
      const current = await loadManaged(principal, input.agentId, 'update agents');
      if (input.name !== undefined) validateName(input.name, 'name');
      if (input.permissions !== undefined) validatePermissions(input.permissions, 'permissions.permissions');
      if (input.expiresAt !== undefined && input.clearExpiresAt) {
        throw invalidArgument('clear_expires_at', 'must not be combined with expires_at');
      }
      validateExpiry(input.expiresAt, at, 'expires_at');
      // Expiry is final, as for rotation: moving an expired agent's expiry would bring it back
      // to active without passing the owner's active-agent quota that a new agent must pass.
      // Checked here for a clear answer, and again by the store in the write itself (below).
      const movesExpiry = input.expiresAt !== undefined || input.clearExpiresAt;
      const expired = () => failedPrecondition(`agent ${input.agentId} has expired and its expiry cannot change; create a new agent`);
      if (movesExpiry && effectiveStatus(current, at) === 'expired') throw expired();
      if (input.metadata !== undefined) validateMetadata(input.metadata, 'metadata.entries');
      const patch: AgentPatch = {
        name: input.name,
        permissions: input.permissions,
        expiresAt: input.clearExpiresAt ? null : input.expiresAt,
        metadata: input.metadata,
        updatedAt: at,
        ...(movesExpiry ? { unlessExpiredAt: at } : {}),
      };
      const updated = await store.agents.update(current.tenantId, current.id, patch);
      if (updated === undefined) throw notFound(`agent ${input.agentId} not found`);
      if (updated.status === 'revoked') throw failedPrecondition(`agent ${input.agentId} is revoked and cannot change`);
      // It expired between the read above and the write: the store left it unchanged.
      if (movesExpiry && effectiveStatus(updated, at) === 'expired') throw expired();
      // Its expiry and permissions bound what flows through delegations from it: every cached
      // agent below it may be stale, so the whole cache goes.
      cache.invalidateAll();
      await changed(principal, updated, 'agent.update', describePatch(input));
      return viewOf(updated, at);
    },

    async rotate(principal: Principal, agentId: string): Promise<{ agent: AgentView; token: string }> {
      const at = now();
      const current = await loadManaged(principal, agentId, 'rotate tokens');
      if (effectiveStatus(current, at) === 'expired') throw failedPrecondition(`agent ${agentId} has expired`);
      const token = newToken(AGENT_TOKEN_PREFIX);
      const rotated = await store.agents.rotateToken(current.tenantId, current.id, sha256Hex(token), tokenPrefixOf(token), at);
      if (rotated === undefined) throw notFound(`agent ${agentId} not found`);
      if (rotated.status === 'revoked') throw failedPrecondition(`agent ${agentId} is revoked`);
      cache.invalidate(rotated.tenantId, rotated.id);
      await changed(principal, rotated, 'agent.rotate', 'token rotated; the previous token no longer works');
      return { agent: viewOf(rotated, at), token };
    },

    async revoke(principal: Principal, agentId: string): Promise<AgentView> {
      const at = now();
      const current = await loadManaged(principal, agentId, 'revoke agents');
      const result = await store.agents.revoke(current.tenantId, current.id, at);
      if (result === undefined) throw notFound(`agent ${agentId} not found`);
      // Revoking an agent cuts off every delegation that flows from it (computed at load), so
      // every cached agent that may hold one must be reloaded.
      cache.invalidateAll();
      if (!result.changed) throw failedPrecondition(`agent ${agentId} is already revoked`);
      await changed(principal, result.agent, 'agent.revoke', 'agent revoked; its token no longer works');
      return viewOf(result.agent, at);
    },
  };
}

function describePatch(input: UpdateAgentInput): string {
  const fields: string[] = [];
  if (input.name !== undefined) fields.push('name');
  if (input.permissions !== undefined) fields.push('permissions');
  if (input.expiresAt !== undefined || input.clearExpiresAt) fields.push('expires_at');
  if (input.metadata !== undefined) fields.push('metadata');
  return fields.length === 0 ? 'no fields changed' : `changed ${fields.join(', ')}`;
}

export type AgentUseCases = ReturnType<typeof createAgentUseCases>;
