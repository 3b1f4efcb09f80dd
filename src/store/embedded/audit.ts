/**
 * The audit log on the embedded engine: append-only rows, filtered and counted in SQL. Each row
 * gets the next global `seq` inside the append transaction; SQLite serialises writers (even
 * across processes sharing the file), so seqs are gap-free and readers see whole batches.
 */
import type { Actor, Arguments, AuditResult, ReasonCode } from '../../domain/types.js';
import { decodeSeqCursor, seqPageOf } from '../cursor.js';
import { clampLimit, seqOf } from '../limits.js';
import type { AuditRecord, StoredAuditRecord } from '../../domain/records.js';
import type { AuditFilter, AuditStore, Page } from '../store.js';
import { createGuard, fromJson, ms, statementCache, type Db } from './sqlite.js';

interface AuditRow {
  tenant_id: string;
  id: string;
  time: number;
  actor: string;
  agent_id: string;
  owner_id: string;
  action: string;
  resource: string;
  arguments: string;
  result: string;
  reason: string;
  message: string;
  client_ip: string;
  delegation_chain: string;
  duration_us: number;
  approval_id: string;
}

type StoredRow = AuditRow & { seq: number };

/** The insert's positional parameters, in the order of its column list. */
type InsertParams = [
  tenantId: string,
  id: string,
  seq: number,
  time: number,
  actor: string,
  agentId: string,
  ownerId: string,
  action: string,
  resource: string,
  args: string,
  result: string,
  reason: string,
  message: string,
  clientIp: string,
  delegationChain: string,
  durationUs: number,
  approvalId: string,
];

/** JSON text of an argument map; most decisions carry none, and those share one constant. */
function argumentsJson(args: Arguments): string {
  for (const _ in args) return JSON.stringify(args);
  return '{}';
}

/** JSON text of a delegation chain; an undelegated decision (the common case) has an empty one. */
function chainJson(chain: readonly string[]): string {
  return chain.length === 0 ? '[]' : JSON.stringify(chain);
}

function fromRow(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    time: new Date(row.time),
    actor: fromJson<Actor>(row.actor),
    agentId: row.agent_id,
    ownerId: row.owner_id,
    action: row.action,
    resource: row.resource,
    arguments: fromJson<Arguments>(row.arguments),
    result: row.result as AuditResult,
    reason: row.reason as ReasonCode | '',
    message: row.message,
    clientIp: row.client_ip,
    delegationChain: fromJson<string[]>(row.delegation_chain),
    durationUs: row.duration_us,
    approvalId: row.approval_id,
  };
}

function fromStoredRow(row: StoredRow): StoredAuditRecord {
  return { ...fromRow(row), seq: row.seq };
}

/**
 * The WHERE clause and its parameters for a filter. Only which filters are set changes the
 * text, so the statement cache holds at most one statement per combination.
 */
function whereOf(tenantId: string, filter: AuditFilter): { sql: string; params: Record<string, unknown> } {
  const where = ['tenant_id = @tenantId'];
  const params: Record<string, unknown> = { tenantId };
  if (filter.agentId !== undefined) {
    where.push('agent_id = @agentId');
    params.agentId = filter.agentId;
  }
  if (filter.ownerId !== undefined) {
    where.push('owner_id = @ownerId');
    params.ownerId = filter.ownerId;
  }
  if (filter.actions !== undefined && filter.actions.length > 0) {
    // One JSON parameter instead of one placeholder per action keeps the SQL text fixed.
    where.push('action IN (SELECT value FROM json_each(@actions))');
    params.actions = JSON.stringify(filter.actions);
  }
  if (filter.resourcePrefix !== undefined && filter.resourcePrefix !== '') {
    // substr compares literally (LIKE would treat % and _ in the prefix as wildcards). SQLite
    // counts characters (code points), so the length is taken in code points, not UTF-16 units.
    // No index serves this filter on purpose (see migration 4): the other filters narrow the rows.
    where.push('substr(resource, 1, @prefixLength) = @prefix');
    params.prefix = filter.resourcePrefix;
    params.prefixLength = [...filter.resourcePrefix].length;
  }
  if (filter.result !== undefined) {
    where.push('result = @result');
    params.result = filter.result;
  }
  if (filter.since !== undefined) {
    where.push('time >= @since');
    params.since = ms(filter.since);
  }
  if (filter.until !== undefined) {
    where.push('time < @until');
    params.until = ms(filter.until);
  }
  return { sql: where.join(' AND '), params };
}

/** Builds the audit store over an open, migrated database. */
export function createAuditStore(db: Db): AuditStore {
  const guard = createGuard(db);
  const cached = statementCache(db);
  // Positional parameters passed as arguments: binding by name from an object costs several
  // times more per row, and the append is the hottest write in the server.
  const insert = db.prepare<InsertParams>(
    `INSERT INTO audit (tenant_id, id, seq, time, actor, agent_id, owner_id, action, resource,
       arguments, result, reason, message, client_ip, delegation_chain, duration_us, approval_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const byId = db.prepare<[string, string], AuditRow>('SELECT * FROM audit WHERE tenant_id = ? AND id = ?');
  const head = db.prepare<[], number>('SELECT COALESCE(MAX(seq), 0) FROM audit').pluck();
  const oldest = db.prepare<[], number | null>('SELECT MIN(seq) FROM audit').pluck();
  const after = db.prepare<[number, number], StoredRow>('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?');
  const firstTimes = db.prepare<[number], { seq: number; time: number }>(
    'SELECT seq, time FROM audit ORDER BY seq LIMIT ?',
  );
  const deleteThrough = db.prepare<[number]>('DELETE FROM audit WHERE seq <= ?');

  // One transaction for the whole batch is the group commit: one fsync for every entry, and a
  // duplicate id rolls back the batch so nothing is half-written. The max is read inside the
  // write lock (IMMEDIATE), so no other writer can take the same seqs.
  const appendTx = db.transaction((entries: readonly AuditRecord[]): StoredAuditRecord[] => {
    let seq = head.get() ?? 0;
    return entries.map((e) => {
      seq += 1;
      insert.run(
        e.tenantId,
        e.id,
        seq,
        ms(e.time),
        JSON.stringify(e.actor),
        e.agentId,
        e.ownerId,
        e.action,
        e.resource,
        argumentsJson(e.arguments),
        e.result,
        e.reason,
        e.message,
        e.clientIp,
        chainJson(e.delegationChain),
        e.durationUs,
        e.approvalId,
      );
      return { ...e, seq };
    });
  });

  // Retention: the oldest rows in seq order while they are older than the cutoff, never the
  // newest row (its seq is the next append's base), so what remains stays one seq range.
  const deleteTx = db.transaction((cutoff: number, limit: number): number => {
    const newest = head.get() ?? 0;
    let through = 0;
    let count = 0;
    for (const row of firstTimes.all(limit)) {
      if (row.time >= cutoff || row.seq >= newest) break;
      through = row.seq;
      count += 1;
    }
    if (count > 0) deleteThrough.run(through);
    return count;
  });

  // A read transaction, so `total` and the page see the same snapshot of a log being appended to.
  const snapshotTx = db.transaction((read: () => unknown) => read());
  const snapshot = <T>(read: () => T): T => snapshotTx(read) as T;

  return {
    append: (entries) =>
      guard(() => (entries.length > 0 ? appendTx.immediate(entries) : []), 'an audit entry with this id'),
    get: (tenantId, id) =>
      guard(() => {
        const row = byId.get(tenantId, id);
        return row === undefined ? undefined : fromRow(row);
      }),
    query: (tenantId, filter, page) => guard(() => query(tenantId, filter, page)),
    readAfter: (afterSeq, limit) => guard(() => after.all(seqOf(afterSeq), clampLimit(limit)).map(fromStoredRow)),
    headSeq: () => guard(() => head.get() ?? 0),
    oldestSeq: () => guard(() => oldest.get() ?? undefined),
    scan: (tenantId, filter, afterSeq, limit) => guard(() => scan(tenantId, filter, afterSeq, limit)),
    deleteOlderThan: (time, limit) =>
      guard(() => deleteTx.immediate(ms(time), clampLimit(limit, 10_000))),
  };

  function scan(tenantId: string, filter: AuditFilter, afterSeq: number, limit: number): StoredAuditRecord[] {
    const { sql, params } = whereOf(tenantId, filter);
    const select = cached<[Record<string, unknown>], StoredRow>(
      `SELECT * FROM audit WHERE ${sql} AND seq > @afterSeq ORDER BY seq LIMIT @take`,
    );
    return select.all({ ...params, afterSeq: seqOf(afterSeq), take: clampLimit(limit) }).map(fromStoredRow);
  }

  function query(tenantId: string, filter: AuditFilter, page: Page) {
    const cursorSeq = page.cursor === undefined ? undefined : decodeSeqCursor(page.cursor);
    const limit = clampLimit(page.limit);
    const { sql, params } = whereOf(tenantId, filter);
    const pageParams: Record<string, unknown> = { ...params, take: limit + 1 };
    if (cursorSeq !== undefined) pageParams.cursorSeq = cursorSeq;
    const count = cached<[Record<string, unknown>], number>(`SELECT COUNT(*) FROM audit WHERE ${sql}`).pluck();
    const select = cached<[Record<string, unknown>], StoredRow>(
      `SELECT * FROM audit WHERE ${sql}${cursorSeq === undefined ? '' : ' AND seq < @cursorSeq'} ORDER BY seq DESC LIMIT @take`,
    );
    const { total, rows } = snapshot(() => ({ total: count.get(params) ?? 0, rows: select.all(pageParams) }));
    const paged = seqPageOf(rows, limit, (row) => row.seq);
    return { items: paged.items.map(fromRow), nextCursor: paged.nextCursor, total };
  }
}
