/**
 * Builds audit records with every field present, so call sites name only what they know.
 */
import type { Actor, Arguments, AuditResult, ReasonCode } from '../../domain/types.js';
import type { AuditRecord } from '../../domain/records.js';
import type { Principal } from '../auth/principal.js';

export interface AuditFields {
  readonly tenantId: string;
  readonly actor: Actor;
  readonly action: string;
  readonly result: AuditResult;
  readonly agentId?: string;
  readonly ownerId?: string;
  readonly resource?: string;
  readonly arguments?: Arguments;
  readonly reason?: ReasonCode | '';
  readonly message?: string;
  readonly clientIp?: string;
  readonly delegationChain?: readonly string[];
  readonly durationUs?: number;
  readonly approvalId?: string;
}

export function auditRecord(id: string, time: Date, fields: AuditFields): AuditRecord {
  return {
    id,
    time,
    tenantId: fields.tenantId,
    actor: fields.actor,
    agentId: fields.agentId ?? '',
    ownerId: fields.ownerId ?? '',
    action: fields.action,
    resource: fields.resource ?? '',
    arguments: fields.arguments ?? {},
    result: fields.result,
    reason: fields.reason ?? '',
    message: fields.message ?? '',
    clientIp: fields.clientIp ?? '',
    delegationChain: fields.delegationChain ?? [],
    durationUs: Math.max(0, Math.round(fields.durationUs ?? 0)),
    approvalId: fields.approvalId ?? '',
  };
}

/** The audit actor for a principal. */
export function actorOf(principal: Principal): Actor {
  switch (principal.kind) {
    case 'admin':
      return { kind: 'admin', id: 'admin' };
    case 'user':
      return { kind: 'user', id: principal.userId };
    case 'agent':
      return { kind: 'agent', id: principal.agentId };
    case 'anonymous':
      return { kind: 'anonymous', id: '' };
  }
}
