/**
 * AuditService handlers: convert the request, call one use case, convert each result. The two
 * streams pass `ctx.signal` down, so a cancelled call (or a server shutting down) ends them.
 */
import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import {
  ExportFormat,
  HeartbeatSchema,
  TailAuditResponseSchema,
  type AuditService,
  type TailAuditResponse,
} from '../../gen/kavach/v1/audit_service_pb.js';
import { AuditEntrySchema, type AuditEntry, type AuditFilter as PbAuditFilter } from '../../gen/kavach/v1/types_pb.js';
import type { App } from '../app/app.js';
import type { AuditExportFormat } from '../app/audit/audit-export.js';
import { EMPTY_AUDIT_FILTER, type AuditFilterInput } from '../app/audit/audit-filter.js';
import type { TailEvent } from '../app/audit/audit-read.js';
import { invalidArgument } from '../domain/errors.js';
import type { AuditRecord } from '../domain/records.js';
import { principalOf, recheckOf } from './context-keys.js';
import { actorToProto, argumentsToProto, auditResultFromProto, auditResultToProto, filterEnum, reasonToProto, toDate, toTimestamp } from './mapping.js';

export function auditEntryToProto(e: AuditRecord): AuditEntry {
  return create(AuditEntrySchema, {
    id: e.id,
    tenantId: e.tenantId,
    time: toTimestamp(e.time),
    actor: actorToProto(e.actor),
    agentId: e.agentId,
    ownerId: e.ownerId,
    action: e.action,
    resource: e.resource,
    arguments: argumentsToProto(e.arguments),
    result: auditResultToProto(e.result),
    reason: reasonToProto(e.reason),
    message: e.message,
    clientIp: e.clientIp,
    delegationChain: [...e.delegationChain],
    durationUs: BigInt(e.durationUs),
    approvalId: e.approvalId,
  });
}

export function auditFilterFromProto(f: PbAuditFilter | undefined): AuditFilterInput {
  if (f === undefined) return EMPTY_AUDIT_FILTER;
  return {
    agentId: f.agentId,
    ownerId: f.ownerId,
    actions: f.actions,
    resourcePrefix: f.resourcePrefix,
    result: filterEnum(f.result, auditResultFromProto, 'filter.result'),
    since: toDate(f.since, 'filter.since'),
    until: toDate(f.until, 'filter.until'),
  };
}

function exportFormatFromProto(format: ExportFormat): AuditExportFormat {
  switch (format) {
    case ExportFormat.UNSPECIFIED:
    case ExportFormat.JSONL:
      return 'jsonl';
    case ExportFormat.CSV:
      return 'csv';
    default:
      throw invalidArgument('format', 'must be EXPORT_FORMAT_JSONL or EXPORT_FORMAT_CSV');
  }
}

function tailEventToProto(event: TailEvent): TailAuditResponse {
  return create(TailAuditResponseSchema, {
    cursor: event.cursor,
    event:
      event.kind === 'entry'
        ? { case: 'entry', value: auditEntryToProto(event.entry) }
        : { case: 'heartbeat', value: create(HeartbeatSchema) },
  });
}


export function auditServiceImpl(app: App): ServiceImpl<typeof AuditService> {
  return {
    async queryAudit(req, ctx) {
      const page = await app.audit.query(principalOf(ctx), {
        filter: auditFilterFromProto(req.filter),
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { entries: page.items.map(auditEntryToProto), total: BigInt(page.total), nextPageToken: page.nextCursor ?? '' };
    },
    async *exportAudit(req, ctx) {
      const format = exportFormatFromProto(req.format);
      for await (const data of app.audit.export(principalOf(ctx), auditFilterFromProto(req.filter), format, ctx.signal)) {
        yield { data };
      }
    },
    async *tailAudit(req, ctx) {
      // The stream outlives its credential's check at the start: it re-checks it periodically.
      const events = app.audit.tail(
        principalOf(ctx),
        { filter: auditFilterFromProto(req.filter), cursor: req.cursor, recheck: recheckOf(ctx) },
        ctx.signal,
      );
      for await (const event of events) yield tailEventToProto(event);
    },
  };
}
