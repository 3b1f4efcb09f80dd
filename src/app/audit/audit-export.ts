/**
 * The encodings of ExportAudit, and the chunking that streams them in bounded memory.
 *
 * - `jsonl`: one JSON object per line (LF), in the proto3 JSON form of `kavach.v1.AuditEntry`
 *   (camelCase names, enum value names, RFC 3339 times), so each line parses as an AuditEntry.
 * - `csv`: RFC 4180 with a header row and CRLF line ends; enums as their lower-case words,
 *   `arguments` as JSON and `delegation_chain` as space-separated ids. See `csv.ts` for quoting
 *   and formula escaping.
 */
import type { ActorKind } from '../../domain/types.js';
import type { AuditRecord } from '../../domain/records.js';
import { csvRow } from './csv.js';

export type AuditExportFormat = 'jsonl' | 'csv';

/**
 * A caller's own encoding of one entry as one line, line end included (the REST surface's view):
 * it streams through the same reads and chunking instead of re-parsing JSON lines.
 */
export type AuditLineEncoder = (entry: AuditRecord) => string;

/** Chunks aim at this size and always end on a whole line (a longer line is a chunk of its own). */
export const EXPORT_CHUNK_BYTES = 64 * 1024;

const CSV_COLUMNS = [
  'id',
  'tenant_id',
  'time',
  'actor_kind',
  'actor_id',
  'agent_id',
  'owner_id',
  'action',
  'resource',
  'arguments',
  'result',
  'reason',
  'message',
  'client_ip',
  'delegation_chain',
  'duration_us',
  'approval_id',
] as const;

const ACTOR_KIND_NAMES: Record<ActorKind, string> = {
  anonymous: 'ACTOR_KIND_UNSPECIFIED',
  admin: 'ACTOR_KIND_ADMIN',
  user: 'ACTOR_KIND_USER',
  agent: 'ACTOR_KIND_AGENT',
  system: 'ACTOR_KIND_SYSTEM',
};

/** What comes before the first entry: the CSV header row; nothing for JSON lines. */
export function exportHeader(format: AuditExportFormat | AuditLineEncoder): string {
  return format === 'csv' ? csvRow(CSV_COLUMNS) : '';
}

/** One entry as one line of `format`, line end included. */
export function exportLine(entry: AuditRecord, format: AuditExportFormat | AuditLineEncoder): string {
  if (typeof format === 'function') return format(entry);
  return format === 'csv' ? csvLine(entry) : jsonLine(entry);
}

function jsonLine(e: AuditRecord): string {
  return `${JSON.stringify({
    id: e.id,
    tenantId: e.tenantId,
    time: e.time.toISOString(),
    actor: { kind: ACTOR_KIND_NAMES[e.actor.kind], id: e.actor.id },
    agentId: e.agentId,
    ownerId: e.ownerId,
    action: e.action,
    resource: e.resource,
    arguments: e.arguments,
    result: `AUDIT_RESULT_${e.result.toUpperCase()}`,
    reason: e.reason === '' ? 'REASON_CODE_UNSPECIFIED' : `REASON_CODE_${e.reason}`,
    message: e.message,
    clientIp: e.clientIp,
    delegationChain: e.delegationChain,
    // uint64 is a decimal string in proto3 JSON.
    durationUs: String(e.durationUs),
    approvalId: e.approvalId,
  })}\n`;
}

function csvLine(e: AuditRecord): string {
  return csvRow([
    e.id,
    e.tenantId,
    e.time.toISOString(),
    e.actor.kind,
    e.actor.id,
    e.agentId,
    e.ownerId,
    e.action,
    e.resource,
    JSON.stringify(e.arguments),
    e.result,
    e.reason,
    e.message,
    e.clientIp,
    e.delegationChain.join(' '),
    String(e.durationUs),
    e.approvalId,
  ]);
}

/**
 * Collects whole lines into chunks of about `maxBytes`. `add` returns a full chunk when the
 * line does not fit beside what is buffered; `flush` returns the rest.
 */
export function createLineChunker(maxBytes = EXPORT_CHUNK_BYTES): {
  add(line: string): Uint8Array | undefined;
  flush(): Uint8Array | undefined;
} {
  let lines: string[] = [];
  let bytes = 0;
  const take = (): Uint8Array | undefined => {
    if (lines.length === 0) return undefined;
    const chunk = Buffer.from(lines.join(''), 'utf8');
    lines = [];
    bytes = 0;
    return chunk;
  };
  return {
    add(line) {
      const size = Buffer.byteLength(line, 'utf8');
      const full = bytes > 0 && bytes + size > maxBytes ? take() : undefined;
      if (size > 0) {
        lines.push(line);
        bytes += size;
      }
      return full;
    },
    flush: take,
  };
}
