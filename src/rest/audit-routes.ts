/**
 * `/audit` routes: a page by limit/offset with the exact total, and the export as one JSON
 * array or CSV, streamed a chunk at a time with backpressure (memory stays flat), over the same
 * QueryAudit and ExportAudit use cases.
 */
import type { App } from '../app/app.js';
import { validateAuditFilter, type AuditFilterInput } from '../app/audit/audit-filter.js';
import type { Principal } from '../app/auth/principal.js';
import { invalidArgument, KavachError } from '../domain/errors.js';
import type { AuditResult } from '../domain/types.js';
import type { AuditRecord } from '../domain/records.js';
import { enumValue } from './agent-routes.js';
import { queryOf, writeChunk } from './http-io.js';
import { parseTime } from './json-input.js';
import { ok, type RestCall, type RestRoute } from './route.js';
import { auditEntryToJson } from './views.js';

const RESULTS: readonly AuditResult[] = ['allowed', 'denied', 'rate_limited', 'pending_approval'];
const FILTER_PARAMS = ['agentId', 'userId', 'since', 'until', 'actions', 'result'];
/** Deeper pages are the RPC cursor's job: skipping is linear in the offset. */
export const MAX_OFFSET = 10_000;
const MAX_LIMIT = 1000;

function timeParam(q: Map<string, string>, name: string): Date | undefined {
  const text = q.get(name);
  if (text === undefined) return undefined;
  const date = parseTime(text);
  if (date === undefined) throw invalidArgument(name, 'must be an ISO-8601 time such as 2026-01-31T12:00:00Z');
  return date;
}

function intParam(q: Map<string, string>, name: string, min: number, max: number): number | undefined {
  const text = q.get(name);
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text)) throw invalidArgument(name, 'must be a whole number');
  const n = Number(text);
  if (n < min || n > max) throw invalidArgument(name, `must be from ${min} to ${max}${name === 'offset' ? ' (page deeper with the QueryAudit RPC cursor)' : ''}`);
  return n;
}

/** The query parameter behind each field the use case's filter check names. */
const PARAM_OF_FIELD: Record<string, string> = { 'filter.agent_id': 'agentId', 'filter.owner_id': 'userId', 'filter.actions': 'actions' };

/** The filter, checked by the use case's own rule, with errors naming the query parameter sent. */
function filterOf(q: Map<string, string>): AuditFilterInput {
  const filter = filterInputOf(q);
  try {
    validateAuditFilter(filter);
  } catch (err) {
    const field = err instanceof KavachError ? err.field : undefined;
    const param = field === undefined ? undefined : PARAM_OF_FIELD[field.replace(/\[\d+\]$/, '')];
    if (field === undefined || param === undefined) throw err;
    throw invalidArgument(param, err instanceof Error ? err.message.slice(field.length + 2) : '');
  }
  return filter;
}

function filterInputOf(q: Map<string, string>): AuditFilterInput {
  const actions = q.get('actions');
  return {
    agentId: q.get('agentId') ?? '',
    ownerId: q.get('userId') ?? '',
    actions: actions === undefined || actions === '' ? [] : actions.split(','),
    resourcePrefix: '',
    result: enumValue(q.get('result'), RESULTS, 'result'),
    since: timeParam(q, 'since'),
    until: timeParam(q, 'until'),
  };
}

/** `limit` entries after skipping `offset`, newest first, over the RPC's own pages. */
async function pageByOffset(app: App, principal: Principal, filter: AuditFilterInput, limit: number, offset: number) {
  let token = '';
  let skip = offset;
  while (skip > 0) {
    const page = await app.audit.query(principal, { filter, pageSize: Math.min(skip, MAX_LIMIT), pageToken: token });
    skip -= page.items.length;
    if (page.nextCursor === undefined) return { items: [], total: page.total };
    token = page.nextCursor;
  }
  return app.audit.query(principal, { filter, pageSize: limit, pageToken: token });
}

/** One entry of the JSON export: the same view as a page's, one per line for the chunker. */
const restLine = (entry: AuditRecord): string => `${JSON.stringify(auditEntryToJson(entry))}\n`;

async function exportAudit(app: App, call: RestCall): Promise<{ streamed: number }> {
  const q = queryOf(call.search, ['format', ...FILTER_PARAMS]);
  const format = enumValue(q.get('format') ?? 'json', ['json', 'csv'] as const, 'format');
  const filter = filterOf(q);
  const chunks = app.audit.export(call.principal, filter, format === 'csv' ? 'csv' : restLine, call.signal)[Symbol.asyncIterator]();
  // The first chunk is awaited before the status is sent, so refusals (credential, filter) are
  // still proper errors; after it, a failure can only cut the stream short.
  let next = await chunks.next();
  const { res } = call;
  res.setHeader('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.writeHead(200);
  let first = true;
  try {
    if (format === 'json') await writeChunk(res, '[', call.signal);
    while (next.done !== true) {
      let text: string | Uint8Array = next.value;
      if (format === 'json') {
        // Chunks end on whole lines, and a JSON text never holds a raw line feed.
        const lines = Buffer.from(next.value).toString('utf8').split('\n').filter((l) => l !== '');
        text = (first ? '' : ',') + lines.join(',');
        first = false;
      }
      await writeChunk(res, text, call.signal);
      next = await chunks.next();
    }
    // The use case stops quietly when the signal aborts (shutdown): that is a cut, not the end.
    if (call.signal.aborted) throw call.signal.reason instanceof Error ? call.signal.reason : new Error('export aborted');
    if (format === 'json') await writeChunk(res, ']', call.signal);
    res.end();
  } catch (err) {
    // Headers are gone: the only honest signal left is an unfinished body.
    res.destroy(err instanceof Error ? err : undefined);
    throw err;
  }
  return { streamed: 200 };
}

export function auditRoutes(app: App): RestRoute[] {
  return [
    {
      method: 'GET',
      path: '/audit',
      async handle(call) {
        const q = queryOf(call.search, [...FILTER_PARAMS, 'limit', 'offset']);
        const filter = filterOf(q);
        const limit = intParam(q, 'limit', 1, MAX_LIMIT) ?? 100;
        const offset = intParam(q, 'offset', 0, MAX_OFFSET) ?? 0;
        const page = await pageByOffset(app, call.principal, filter, limit, offset);
        return ok({ entries: page.items.map(auditEntryToJson), total: page.total });
      },
    },
    { method: 'GET', path: '/audit/export', handle: (call) => exportAudit(app, call) },
  ];
}
