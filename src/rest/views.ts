/**
 * Domain views as the SDK's JSON (REST.md "Shapes"): camelCase, ISO-8601 times, bare objects.
 * Kavach's extra fields ride along beside the SDK's; the SDK ignores keys it does not know.
 */
import type { AgentView } from '../app/agents/agents.js';
import type { SessionView, UserView } from '../app/auth/auth.js';
import type { Decision } from '../app/authorize/authorize.js';
import type { DelegationView, EffectivePermissionView } from '../app/delegations/delegations.js';
import type { AuditRecord } from '../domain/records.js';
import type { JsonObject } from './json-input.js';
import { permissionToJson } from './permissions.js';

const iso = (d: Date | undefined): string | null => (d === undefined ? null : d.toISOString());

/** `token` is the secret on create and rotate only, else '' (the SDK requires the key). */
export function agentToJson(a: AgentView, token = ''): JsonObject {
  return {
    id: a.id,
    ownerId: a.ownerId,
    name: a.name,
    type: a.type,
    token,
    tokenPrefix: a.tokenPrefix,
    permissions: a.permissions.map(permissionToJson),
    status: a.status,
    expiresAt: iso(a.expiresAt),
    revokedAt: iso(a.revokedAt),
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
    tenantId: a.tenantId,
    metadata: { ...a.metadata },
  };
}

export function delegationToJson(d: DelegationView): JsonObject {
  return {
    id: d.id,
    fromAgent: d.fromAgentId,
    toAgent: d.toAgentId,
    permissions: d.permissions.map(permissionToJson),
    expiresAt: iso(d.expiresAt),
    depth: d.depth,
    maxDepth: d.maxDepth,
    status: d.status,
    ownerId: d.ownerId,
    tenantId: d.tenantId,
    createdAt: d.createdAt.toISOString(),
    revokedAt: iso(d.revokedAt),
  };
}

/** An effective permission is a Permission to the SDK; where it came from rides beside it. */
export function effectivePermissionToJson(p: EffectivePermissionView): JsonObject {
  return {
    ...permissionToJson(p.permission),
    source: p.source,
    delegationIds: [...p.delegationIds],
    agentChain: [...p.agentChain],
    expiresAt: iso(p.expiresAt),
  };
}

export function auditEntryToJson(e: AuditRecord): JsonObject {
  return {
    id: e.id,
    agentId: e.agentId,
    userId: e.ownerId,
    action: e.action,
    resource: e.resource,
    parameters: e.arguments,
    result: e.result,
    durationMs: Math.round(e.durationUs / 1000),
    durationUs: e.durationUs,
    timestamp: e.time.toISOString(),
    ...(e.reason === '' ? {} : { reason: e.reason }),
    message: e.message,
    actor: { kind: e.actor.kind, id: e.actor.id },
    clientIp: e.clientIp,
    delegationChain: [...e.delegationChain],
    approvalId: e.approvalId,
    tenantId: e.tenantId,
  };
}

export function userToJson(u: UserView): JsonObject {
  return { id: u.id, email: u.email, createdAt: u.createdAt.toISOString(), ...(u.name === '' ? {} : { name: u.name }), tenantId: u.tenantId };
}

/** The session `token` is set on sign-up and sign-in only, else ''. */
export function sessionToJson(s: SessionView, token = ''): JsonObject {
  return {
    id: s.id,
    userId: s.userId,
    token,
    expiresAt: s.expiresAt.toISOString(),
    createdAt: s.createdAt.toISOString(),
    idleExpiresAt: s.idleExpiresAt.toISOString(),
    lastUsedAt: s.lastUsedAt.toISOString(),
    tenantId: s.tenantId,
  };
}

/** A denial is a 200 with `allowed: false` (REST.md); `reason` is Kavach's reason code. */
export function decisionToJson(d: Decision): JsonObject {
  return {
    allowed: d.allowed,
    auditId: d.auditId,
    reason: d.reason,
    message: d.message,
    ...(d.approvalId === '' ? {} : { approvalId: d.approvalId }),
    ...(d.retryAfterSeconds > 0 ? { retryAfterSeconds: d.retryAfterSeconds } : {}),
  };
}
