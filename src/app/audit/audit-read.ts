/**
 * The audit log's read side: QueryAudit, ExportAudit and TailAudit as use cases. Each narrows the
 * caller's filter to what the caller may see (`audit-filter.ts`) before the store is asked.
 */
import type { AuditRecord } from '../../domain/records.js';
import type { PageResult, Store } from '../../store/store.js';
import { requireAuthenticated } from '../access.js';
import { decodeTailCursor, encodeTailCursor } from './audit-cursor.js';
import { createLineChunker, exportHeader, exportLine, type AuditExportFormat, type AuditLineEncoder } from './audit-export.js';
import { auditEntryMatches, validateAuditFilter, visibleAuditFilter, type AuditFilterInput } from './audit-filter.js';
import type { TailHub } from './audit-tail.js';
import type { Principal } from '../auth/principal.js';
import { validatePageSize } from '../validation.js';

export interface QueryAuditInput {
  readonly filter: AuditFilterInput;
  readonly pageSize: number;
  readonly pageToken: string;
}

export interface TailAuditInput {
  readonly filter: AuditFilterInput;
  /** Empty starts at the present. */
  readonly cursor: string;
  /**
   * Re-checks the stream's credential; throws (unauthenticated) once it was signed out, revoked,
   * rotated or expired. Called about every `heartbeatMs` while the stream is open, since a
   * stream outlives the one authentication its call started with.
   */
  readonly recheck?: () => Promise<void>;
}

/** One TailAudit message: a new entry or, when the stream is idle, a heartbeat. Both carry the resume cursor. */
export type TailEvent =
  | { readonly kind: 'entry'; readonly cursor: string; readonly entry: AuditRecord }
  | { readonly kind: 'heartbeat'; readonly cursor: string };

export interface TailSettings {
  readonly heartbeatMs: number;
  readonly bufferSize: number;
}

/** Entries per store read while exporting: what bounds the export's memory. */
const EXPORT_PAGE = 500;

export function createAuditReadUseCases(store: Pick<Store, 'audit'>, hub: TailHub, tail: TailSettings) {

  return {
    /** Matching entries newest first in log order, with the exact total, paged by the store's cursor. */
    async query(principal: Principal, input: QueryAuditInput): Promise<PageResult<AuditRecord> & { total: number }> {
      const caller = requireAuthenticated(principal);
      const limit = validatePageSize(input.pageSize, 100, 1000);
      const visible = visibleAuditFilter(caller, validateAuditFilter(input.filter));
      if (visible === undefined) return { items: [], nextCursor: undefined, total: 0 };
      const cursor = input.pageToken === '' ? undefined : input.pageToken;
      return store.audit.query(caller.tenantId, visible, { limit, cursor });
    },

    /**
     * The matching entries written before the call, oldest first, encoded as `format`, in chunks
     * of about 64 KiB that end on whole lines. Reads the store a page at a time and waits for
     * each chunk to be taken before reading on, so memory stays flat however much matches.
     */
    async *export(principal: Principal, filter: AuditFilterInput, format: AuditExportFormat | AuditLineEncoder, signal: AbortSignal): AsyncGenerator<Uint8Array> {
      const caller = requireAuthenticated(principal);
      const visible = visibleAuditFilter(caller, validateAuditFilter(filter));
      const chunks = createLineChunker();
      const header = exportHeader(format);
      if (header !== '') chunks.add(header);
      if (visible !== undefined) {
        // The export ends where the log ended when it started, even while entries keep coming.
        const end = await store.audit.headSeq();
        let after = 0;
        while (after < end && !signal.aborted) {
          const page = await store.audit.scan(caller.tenantId, visible, after, EXPORT_PAGE);
          for (const entry of page) {
            if (entry.seq > end) break;
            const chunk = chunks.add(exportLine(entry, format));
            if (chunk !== undefined) yield chunk;
          }
          const last = page[page.length - 1];
          if (page.length < EXPORT_PAGE || last === undefined) break;
          after = last.seq;
        }
      }
      const rest = chunks.flush();
      if (rest !== undefined && !signal.aborted) yield rest;
    },

    /**
     * New matching entries as they are written, each with its cursor; heartbeats with the
     * current cursor when idle for `heartbeatMs`. With no cursor it starts at the present and
     * first sends a heartbeat carrying that position. Resuming with a cursor yields every later
     * matching entry exactly once, in order. Ends when `signal` aborts.
     */
    async *tail(principal: Principal, input: TailAuditInput, signal: AbortSignal): AsyncGenerator<TailEvent> {
      const caller = requireAuthenticated(principal);
      const visible = visibleAuditFilter(caller, validateAuditFilter(input.filter));
      const afterSeq = input.cursor === '' ? undefined : decodeTailCursor(input.cursor);
      const subscription = await hub.subscribe({
        afterSeq,
        match: visible === undefined ? () => false : (entry) => auditEntryMatches(entry, caller.tenantId, visible),
        bufferSize: tail.bufferSize,
      });
      // A cancelled call may leave this generator parked at a yield that nobody resumes; leaving
      // the feed on abort releases the subscription all the same.
      const leave = () => subscription.close();
      signal.addEventListener('abort', leave, { once: true });
      let checkedAt = Date.now();
      try {
        if (afterSeq === undefined) yield { kind: 'heartbeat', cursor: encodeTailCursor(subscription.position) };
        while (!signal.aborted) {
          const stored = await subscription.next(tail.heartbeatMs, signal);
          if (signal.aborted) return;
          if (input.recheck !== undefined && Date.now() - checkedAt >= tail.heartbeatMs) {
            await input.recheck();
            checkedAt = Date.now();
          }
          if (stored === undefined) {
            yield { kind: 'heartbeat', cursor: encodeTailCursor(subscription.position) };
            continue;
          }
          const { seq, ...entry } = stored;
          yield { kind: 'entry', cursor: encodeTailCursor(seq), entry };
        }
      } finally {
        signal.removeEventListener('abort', leave);
        subscription.close();
      }
    },
  };
}

export type AuditReadUseCases = ReturnType<typeof createAuditReadUseCases>;
