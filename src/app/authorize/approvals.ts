/**
 * Human approvals: owners (or the admin) list and decide them; agents never may. Pending
 * approvals past their deadline are expired by a periodic sweep, which audits them as decided
 * by the system; reads compute the status at read time, so a late sweep never lets one through.
 */
import { failedPrecondition, invalidArgument, notFound } from '../../domain/errors.js';
import type { ApprovalStatus } from '../../domain/types.js';
import type { ApprovalRecord } from '../../domain/records.js';
import type { PageResult, Store } from '../../store/store.js';
import { actorOf } from '../audit/audit-entry.js';
import { canManageAgent, requireHuman } from '../access.js';
import type { AppContext } from '../app-context.js';
import type { Principal } from '../auth/principal.js';
import { validateId, validatePageSize } from '../validation.js';

export interface ListApprovalsInput {
  readonly agentId: string;
  readonly status: ApprovalStatus | undefined;
  readonly pageSize: number;
  readonly pageToken: string;
}

/** The status a reader sees: a pending or approved record past its deadline reads as expired. */
export function approvalStatusAt(approval: ApprovalRecord, now: Date): ApprovalStatus {
  const open = approval.status === 'pending' || approval.status === 'approved';
  return open && approval.expiresAt.getTime() <= now.getTime() ? 'expired' : approval.status;
}

export interface ApprovalSettings {
  /** KAVACH_APPROVAL_TTL_SECONDS: how long a pending approval waits, and an approved one stays usable. */
  readonly approvalTtlSeconds: number;
}

export function createApprovalUseCases(ctx: AppContext, store: Pick<Store, 'approvals'>, settings: ApprovalSettings) {
  const { audit, now } = ctx;

  async function decide(principal: Principal, approvalId: string, status: 'approved' | 'denied', reason: string) {
    const caller = requireHuman(principal, 'decide approvals');
    validateId(approvalId, 'approval_id');
    if (reason.length > 512) throw invalidArgument('reason', 'must be at most 512 characters');
    const existing = await store.approvals.get(caller.tenantId, approvalId);
    if (existing === undefined || !canManageAgent(caller, existing)) throw notFound(`approval ${approvalId} not found`);
    const at = now();
    const result = await store.approvals.decide(caller.tenantId, approvalId, {
      status,
      by: actorOf(caller),
      at,
      reason,
      useBy: new Date(at.getTime() + settings.approvalTtlSeconds * 1000),
    });
    if (result === undefined) throw notFound(`approval ${approvalId} not found`);
    if (!result.changed) {
      throw failedPrecondition(`approval ${approvalId} is ${approvalStatusAt(result.approval, at)}, not pending`);
    }
    await audit.record({
      tenantId: caller.tenantId,
      actor: actorOf(caller),
      action: 'approval.decide',
      result: status === 'approved' ? 'allowed' : 'denied',
      agentId: result.approval.agentId,
      ownerId: result.approval.ownerId,
      resource: result.approval.resource,
      approvalId,
      message: `approval ${status} for ${result.approval.action} on ${result.approval.resource}`,
    });
    return { ...result.approval, status: approvalStatusAt(result.approval, at) };
  }

  return {
    async list(principal: Principal, input: ListApprovalsInput): Promise<PageResult<ApprovalRecord>> {
      const caller = requireHuman(principal, 'list approvals');
      const limit = validatePageSize(input.pageSize, 50, 500);
      if (input.agentId !== '') validateId(input.agentId, 'agent_id');
      const at = now();
      const page = await store.approvals.list(
        caller.tenantId,
        {
          ownerId: caller.kind === 'user' ? caller.userId : undefined,
          agentId: input.agentId === '' ? undefined : input.agentId,
          status: input.status,
          now: at,
        },
        { limit, cursor: input.pageToken === '' ? undefined : input.pageToken },
      );
      return { items: page.items.map((a) => ({ ...a, status: approvalStatusAt(a, at) })), nextCursor: page.nextCursor };
    },

    approve: (principal: Principal, approvalId: string, reason: string) => decide(principal, approvalId, 'approved', reason),
    deny: (principal: Principal, approvalId: string, reason: string) => decide(principal, approvalId, 'denied', reason),

    /** Expires overdue pending approvals and audits each as decided by the system. Returns how many. */
    async expireOverdue(): Promise<number> {
      const at = now();
      const expired = await store.approvals.expirePending(at, 500);
      await Promise.all(
        expired.map((a) =>
          audit.record({
            tenantId: a.tenantId,
            actor: { kind: 'system', id: 'system' },
            action: 'approval.decide',
            result: 'denied',
            agentId: a.agentId,
            ownerId: a.ownerId,
            resource: a.resource,
            approvalId: a.id,
            message: `approval expired undecided for ${a.action} on ${a.resource}`,
          }),
        ),
      );
      return expired.length;
    },
  };
}

export type ApprovalUseCases = ReturnType<typeof createApprovalUseCases>;
