/** `kavach approvals list|approve|deny|watch`. */
import { toJson } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { ApprovalSchema, ApprovalStatus, AuditEntrySchema, AuditResult } from '../client.js';
import type { Io } from '../context.js';
import { paint, renderStreamItem, type Json } from '../output.js';
import { parseEnum, parsePositiveInt } from '../input.js';
import { APPROVAL_COLUMNS, approvalRow, time } from './format.js';
import { action, allPages } from './common.js';

export function approvalsCommand(program: Command, io: Io): void {
  const approvals = program.command('approvals').description('list, approve, deny and watch approval requests');

  approvals
    .command('list')
    .description('list approvals (every page; pending ones first come newest first)')
    .option('--agent <agentId>', 'only this agent’s')
    .option('--status <status>', 'pending, approved, denied, expired or consumed')
    .option('--limit <n>', 'at most this many')
    .action(
      action(io, async (ctx, o) => {
        const status = o.status === undefined ? ApprovalStatus.UNSPECIFIED : parseEnum(ApprovalStatus, o.status as string, '--status');
        const limit = o.limit === undefined ? Infinity : parsePositiveInt(o.limit as string, '--limit');
        const client = await ctx.client();
        const list = await allPages(async (pageToken) => {
          const res = await client.authorize.listApprovals({ agentId: (o.agent as string | undefined) ?? '', status, pageToken });
          return { items: res.approvals, next: res.nextPageToken };
        }, limit);
        ctx.list({ approvals: list.map((a) => toJson(ApprovalSchema, a)) }, list.map(approvalRow), APPROVAL_COLUMNS);
      }),
    );

  for (const verb of ['approve', 'deny'] as const) {
    approvals
      .command(verb)
      .description(verb === 'approve' ? 'allow exactly one identical call of the pending request' : 'refuse the pending request')
      .argument('<approvalId>')
      .option('--reason <text>', 'a note kept with the decision')
      .action(
        action(io, async (ctx, o, approvalId: string) => {
          const client = await ctx.client();
          const request = { approvalId, reason: (o.reason as string | undefined) ?? '' };
          const res = verb === 'approve' ? await client.authorize.approveRequest(request) : await client.authorize.denyRequest(request);
          const approval = res.approval ?? (undefined as never);
          ctx.record({ approval: toJson(ApprovalSchema, approval) }, {
            id: approval.id,
            status: (ApprovalStatus[approval.status] ?? '').toLowerCase(),
            agent: approval.agentId,
            action: approval.action,
            resource: approval.resource,
            decided: time(approval.decidedAt),
          });
        }),
      );
  }

  approvals
    .command('watch')
    .description('print each new approval request as it is made (Ctrl-C to stop)')
    .option('--agent <agentId>', 'only this agent’s')
    .action(
      action(io, async (ctx, o) => {
        const client = await ctx.client();
        // Asking again while a request is pending names the same approval: show it once.
        const shown = new Set<string>();
        for await (const { entry } of client.tailAudit({
          filter: { agentId: (o.agent as string | undefined) ?? '', result: AuditResult.PENDING_APPROVAL },
          signal: io.signal,
          onConnect: () => ctx.note('watching for approval requests (Ctrl-C to stop)'),
          onReconnect: (error, delay) => ctx.note(`connection lost (${error.codeName}); reconnecting in ${delay} ms`),
          onGap: () => ctx.note('history was lost to retention; continuing from the present'),
        })) {
          if (entry.approvalId !== '' && shown.has(entry.approvalId)) continue;
          shown.add(entry.approvalId);
          if (ctx.format === 'table') {
            ctx.write(`${paint(ctx.term, 'cyan', 'approval')} ${entry.approvalId}  ${paint(ctx.term, 'bold', entry.action)} ${entry.resource}  agent ${entry.agentId}  ${time(entry.time)}\n`);
          } else {
            ctx.write(renderStreamItem(ctx.format, toJson(AuditEntrySchema, entry) as Json));
          }
        }
      }),
    );
}
