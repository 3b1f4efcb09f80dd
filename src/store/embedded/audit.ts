/** The audit log on the embedded engine: append-only rows, filtered and counted in SQL. */
import type { Actor, Arguments, AuditResult, ReasonCode } from '../../domain/types.js';
import { decodeCursor, pageOf } from '../cursor.js';
import type { AuditFilter, AuditRecord, AuditStore, Page } from '../store.js';
import { clampLimit, createGuard, fromJson, ms, pageClause, statementCache, type Db } from './sqlite.js';

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

function toRow(e: AuditRecord): AuditRow {
  return {
    tenant_id: e.tenantId,
    id: e.id,
    time: ms(e.time),
    actor: JSON.stringify(e.actor),
    agent_id: e.agentId,
    owner_id: e.ownerId,
    action: e.action,
    resource: e.resource,
    arguments: JSON.stringify(e.arguments),
    result: e.result,
    reason: e.reason,
    message: e.message,
    client_ip: e.clientIp,
    delegation_chain: JSON.stringify(e.delegationChain),
    duration_us: e.durationUs,
    approval_id: e.approvalId,
  };
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
  const insert = db.prepare<[AuditRow]>(
    `INSERT INTO audit (tenant_id, id, time, actor, agent_id, owner_id, action, resource,
       arguments, result, reason, message, client_ip, delegation_chain, duration_us, approval_id)
     VALUES (@tenant_id, @id, @time, @actor, @agent_id, @owner_id, @action, @resource,
       @arguments, @result, @reason, @message, @client_ip, @delegation_chain, @duration_us, @approval_id)`,
  );
  const byId = db.prepare<[string, string], AuditRow>('SELECT * FROM audit WHERE tenant_id = ? AND id = ?');

  // One transaction for the whole batch is the group commit: one fsync for every entry, and a
  // duplicate id rolls back the batch so nothing is half-written.
  const appendTx = db.transaction((entries: readonly AuditRecord[]) => {
    for (const entry of entries) insert.run(toRow(entry));
  });

  // A read transaction, so `total` and the page see the same snapshot of a log being appended to.
  const snapshotTx = db.transaction((read: () => unknown) => read());
  const snapshot = <T>(read: () => T): T => snapshotTx(read) as T;

  return {
    append: (entries) =>
      guard(() => {
        if (entries.length > 0) appendTx.immediate(entries);
      }, 'an audit entry with this id'),
    get: (tenantId, id) =>
      guard(() => {
        const row = byId.get(tenantId, id);
        return row === undefined ? undefined : fromRow(row);
      }),
    query: (tenantId, filter, page) => guard(() => query(tenantId, filter, page)),
  };

  function query(tenantId: string, filter: AuditFilter, page: Page) {
    const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const limit = clampLimit(page.limit);
    const { sql, params } = whereOf(tenantId, filter);
    const pageParams: Record<string, unknown> = { ...params, take: limit + 1 };
    if (cursor !== undefined) {
      pageParams.cursorT = cursor.t;
      pageParams.cursorId = cursor.id;
    }
    const count = cached<[Record<string, unknown>], number>(`SELECT COUNT(*) FROM audit WHERE ${sql}`).pluck();
    const select = cached<[Record<string, unknown>], AuditRow>(
      `SELECT * FROM audit WHERE ${sql}${pageClause('time', cursor !== undefined)}`,
    );
    const { total, rows } = snapshot(() => ({ total: count.get(params) ?? 0, rows: select.all(pageParams) }));
    return { ...pageOf(rows.map(fromRow), limit, (e) => ({ t: ms(e.time), id: e.id })), total };
  }
}
