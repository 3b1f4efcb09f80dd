/**
 * Audit helpers over AuditService. `tailAudit` follows the live log and, when the connection
 * drops (server restart, proxy timeout, a reader too slow for the server's buffer), reconnects
 * with the last cursor it saw, so every entry arrives exactly once. `exportAudit` turns the
 * export's byte chunks into whole rows.
 */
import { create, fromJsonString, type MessageInitShape } from '@bufbuild/protobuf';
import { Code, type Client } from '@connectrpc/connect';
import type { AuditService} from './gen/kavach/v1/audit_service_pb.js';
import { ExportFormat } from './gen/kavach/v1/audit_service_pb.js';
import { AuditEntrySchema, AuditFilterSchema, type AuditEntry } from './gen/kavach/v1/types_pb.js';
import type { KavachError} from './errors.js';
import { toKavachError } from './errors.js';
import { backoffDelay, sleep, type RetryOptions } from './interceptors.js';

export type AuditFilterInit = MessageInitShape<typeof AuditFilterSchema>;

export interface TailOptions {
  readonly filter?: AuditFilterInit;
  /** Resume after this cursor (from a previous TailItem); empty starts at the present. */
  readonly cursor?: string;
  /** Stops the tail: the iterator then simply ends. */
  readonly signal?: AbortSignal;
  /** Backoff between reconnects (default 100 ms doubling to 5 s, with jitter). */
  readonly reconnect?: RetryOptions;
  /** Called before each reconnect, with the error that ended the stream. */
  readonly onReconnect?: (error: KavachError, delayMs: number) => void;
  /** Called once a stream is established (after each reconnect too). */
  readonly onConnect?: () => void;
  /**
   * Called when the cursor is older than the retained history (OutOfRange): entries were lost.
   * The tail then goes on from the present. Without it, the tail throws instead.
   */
  readonly onGap?: (error: KavachError) => void;
}

export interface TailItem {
  readonly entry: AuditEntry;
  /** Pass as `cursor` to resume after this entry (e.g. after a process restart). */
  readonly cursor: string;
}

/** Errors that reconnecting cannot fix. */
const FATAL = new Set([Code.Unauthenticated, Code.PermissionDenied, Code.InvalidArgument, Code.Unimplemented, Code.NotFound]);

export async function* tailAudit(audit: Client<typeof AuditService>, options: TailOptions): AsyncGenerator<TailItem, void, undefined> {
  const filter = create(AuditFilterSchema, options.filter ?? {});
  const reconnect = { initialDelayMs: 100, maxDelayMs: 5000, ...options.reconnect };
  let cursor = options.cursor ?? '';
  let failures = 0;
  // The server resumes exactly after a cursor; this guards the promise on the client side too,
  // should a proxy or a buggy replica replay an entry.
  const recent = new Set<string>();
  const remember = (id: string) => {
    recent.add(id);
    if (recent.size > 4096) recent.delete(recent.values().next().value as string);
  };

  while (!options.signal?.aborted) {
    try {
      let announced = false;
      for await (const res of audit.tailAudit({ filter, cursor }, { signal: options.signal })) {
        if (!announced) {
          announced = true;
          failures = 0;
          options.onConnect?.();
        }
        if (res.event.case === 'entry' && !recent.has(res.event.value.id)) {
          remember(res.event.value.id);
          yield { entry: res.event.value, cursor: res.cursor };
        }
        // Only after the entry was taken: a resume must not skip one that was never yielded.
        if (res.cursor !== '') cursor = res.cursor;
      }
      // The server ended the stream without an error (a graceful shutdown): follow on, after a
      // pause if it ended before saying anything, so a server that keeps doing so is not hammered.
      if (!announced) await sleep(backoffDelay(failures++, reconnect), options.signal).catch(() => undefined);
    } catch (err) {
      if (options.signal?.aborted) return;
      const error = toKavachError(err);
      if (FATAL.has(error.code)) throw error;
      if (error.code === Code.OutOfRange) {
        if (options.onGap === undefined) throw error;
        options.onGap(error);
        cursor = '';
        continue;
      }
      const delay = backoffDelay(failures++, reconnect);
      options.onReconnect?.(error, delay);
      try {
        await sleep(delay, options.signal);
      } catch {
        return;
      }
    }
  }
}

export interface ExportOptions {
  readonly filter?: AuditFilterInit;
  /** "jsonl" (default): one AuditEntry in proto3 JSON per row; "csv": a header row, then one record per entry. */
  readonly format?: 'jsonl' | 'csv';
  readonly signal?: AbortSignal;
  /** Called after each chunk with the bytes received so far (for progress displays). */
  readonly onProgress?: (bytes: number) => void;
}

/**
 * Splits text into rows at line ends outside double quotes (a CSV cell may hold a line break).
 * Returns the complete rows and the unfinished rest.
 */
export function splitRows(text: string, csv: boolean): { rows: string[]; rest: string } {
  const rows: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (csv && c === '"') quoted = !quoted;
    else if (c === '\n' && !quoted) {
      rows.push(text.slice(start, i > start && text[i - 1] === '\r' ? i - 1 : i));
      start = i + 1;
    }
  }
  return { rows, rest: text.slice(start) };
}

export async function* exportAudit(audit: Client<typeof AuditService>, options: ExportOptions): AsyncGenerator<string, void, undefined> {
  const csv = options.format === 'csv';
  const format = csv ? ExportFormat.CSV : ExportFormat.JSONL;
  const decoder = new TextDecoder();
  let rest = '';
  let bytes = 0;
  for await (const chunk of audit.exportAudit({ filter: options.filter ?? {}, format }, { signal: options.signal })) {
    bytes += chunk.data.byteLength;
    const split = splitRows(rest + decoder.decode(chunk.data, { stream: true }), csv);
    rest = split.rest;
    yield* split.rows;
    options.onProgress?.(bytes);
  }
  rest += decoder.decode();
  if (rest !== '') yield rest;
}

export async function* exportAuditEntries(
  audit: Client<typeof AuditService>,
  options: Omit<ExportOptions, 'format'>,
): AsyncGenerator<AuditEntry, void, undefined> {
  for await (const row of exportAudit(audit, { ...options, format: 'jsonl' })) yield fromJsonString(AuditEntrySchema, row);
}
