/** Approvals on the embedded engine. */
import type { Actor, ApprovalStatus, Arguments } from '../../domain/types.js';
import { decodeCursor, pageOf } from '../cursor.js';
import { clampLimit } from '../limits.js';
import type { ApprovalRecord } from '../../domain/records.js';
import type { ApprovalFilter, ApprovalStore, Page, PageResult } from '../store.js';
import { createGuard, fromJson, ms, msOrNull, pageClause, statementCache, type Db } from './sqlite.js';

interface ApprovalRow {
  tenant_id: string;
  id: string;
  agent_id: string;
  owner_id: string;
  action: string;
  resource: string;
  arguments: string;
  request_hash: string;
  status: string;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  decided_by: string | null;
  reason: string | null;
}

function toRow(a: ApprovalRecord): ApprovalRow {
  return {
    tenant_id: a.tenantId,
    id: a.id,
    agent_id: a.agentId,
    owner_id: a.ownerId,
    action: a.action,
    resource: a.resource,
    arguments: JSON.stringify(a.arguments),
    request_hash: a.requestHash,
    status: a.status,
    created_at: ms(a.createdAt),
    expires_at: ms(a.expiresAt),
    decided_at: msOrNull(a.decidedAt),
    decided_by: a.decidedBy === undefined ? null : JSON.stringify(a.decidedBy),
    reason: a.reason ?? null,
  };
}

/** Maps a row; with `now`, a pending or approved row past its deadline reads as `expired`. */
function fromRow(row: ApprovalRow, now?: number): ApprovalRecord {
  const stored = row.status as ApprovalStatus;
  const lapsed = now !== undefined && (stored === 'pending' || stored === 'approved') && row.expires_at <= now;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    agentId: row.agent_id,
    ownerId: row.owner_id,
    action: row.action,
    resource: row.resource,
    arguments: fromJson<Arguments>(row.arguments),
    requestHash: row.request_hash,
    status: lapsed ? 'expired' : stored,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    ...(row.decided_at === null ? {} : { decidedAt: new Date(row.decided_at) }),
    ...(row.decided_by === null ? {} : { decidedBy: fromJson<Actor>(row.decided_by) }),
    ...(row.reason === null ? {} : { reason: row.reason }),
  };
}

/** The status filter as computed at `@now`, matching what `fromRow(row, now)` returns. */
const STATUS_SQL: Record<ApprovalStatus, string> = {
  pending: "status = 'pending' AND expires_at > @now",
  approved: "status = 'approved' AND expires_at > @now",
  expired: "(status = 'expired' OR (status IN ('pending', 'approved') AND expires_at <= @now))",
  denied: "status = 'denied'",
  consumed: "status = 'consumed'",
};

/** Who decides an approval that lapsed while pending. */
const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'system' };

/** Builds the approval store over an open, migrated database. */
export function createApprovalStore(db: Db): ApprovalStore {
  const guard = createGuard(db);
  const cached = statementCache(db);
  const insert = db.prepare<[ApprovalRow]>(
    `INSERT INTO approvals (tenant_id, id, agent_id, owner_id, action, resource, arguments,
       request_hash, status, created_at, expires_at, decided_at, decided_by, reason)
     VALUES (@tenant_id, @id, @agent_id, @owner_id, @action, @resource, @arguments,
       @request_hash, @status, @created_at, @expires_at, @decided_at, @decided_by, @reason)`,
  );
  const byId = db.prepare<[string, string], ApprovalRow>('SELECT * FROM approvals WHERE tenant_id = ? AND id = ?');
  const forRequest = (status: 'pending' | 'approved') =>
    db.prepare<[string, string, string, number], ApprovalRow>(
      `SELECT * FROM approvals WHERE tenant_id = ? AND agent_id = ? AND request_hash = ?
         AND status = '${status}' AND expires_at > ? ORDER BY created_at DESC, id DESC LIMIT 1`,
    );
  const findPending = forRequest('pending');
  const findApproved = forRequest('approved');
  // The WHERE clause is the whole check: only one caller's UPDATE can match an approved row.
  const consume = db.prepare<[string, string, number]>(
    `UPDATE approvals SET status = 'consumed'
     WHERE tenant_id = ? AND id = ? AND status = 'approved' AND expires_at > ?`,
  );
  const decide = db.prepare<[Record<string, unknown>]>(
    `UPDATE approvals SET status = @status, decided_at = @at, decided_by = @by, reason = @reason,
       expires_at = CASE WHEN @status = 'approved' THEN @useBy ELSE expires_at END
     WHERE tenant_id = @tenantId AND id = @id AND status = 'pending' AND expires_at > @at`,
  );
  // Crosses tenants on purpose: the expiry sweep is a system job. The partial index on
  // pending rows keeps it from scanning decided history.
  const expire = db.prepare<[number, string, number, number], ApprovalRow>(
    `UPDATE approvals SET status = 'expired', decided_at = ?, decided_by = ?
     WHERE rowid IN (SELECT rowid FROM approvals WHERE status = 'pending' AND expires_at <= ?
                     ORDER BY expires_at LIMIT ?)
     RETURNING *`,
  );

  // IMMEDIATE: the look-up and the insert happen under the write lock, so concurrent callers
  // (in any process) end up sharing one pending approval.
  const getOrCreate = db.transaction((candidate: ApprovalRecord, now: number) => {
    const existing = findPending.get(candidate.tenantId, candidate.agentId, candidate.requestHash, now);
    if (existing !== undefined) return { approval: fromRow(existing), created: false };
    const row = toRow(candidate);
    insert.run(row);
    return { approval: fromRow(row), created: true };
  });

  // The conditional UPDATE decides the race; the transaction makes the record read back the
  // one this call wrote, not a later change by another process.
  const decideTx = db.transaction(
    (tenantId: string, id: string, decision: Parameters<ApprovalStore['decide']>[2]) => {
      const changed =
        decide.run({
          tenantId,
          id,
          status: decision.status,
          at: ms(decision.at),
          by: JSON.stringify(decision.by),
          reason: decision.reason,
          useBy: ms(decision.useBy),
        }).changes === 1;
      const row = byId.get(tenantId, id);
      return row === undefined ? undefined : { approval: fromRow(row), changed };
    },
  );

  return {
    getOrCreatePending: (candidate, now) =>
      guard(() => getOrCreate.immediate(candidate, ms(now)), 'an approval with this id'),
    findApproved: (tenantId, agentId, requestHash, now) =>
      guard(() => {
        const row = findApproved.get(tenantId, agentId, requestHash, ms(now));
        return row === undefined ? undefined : fromRow(row);
      }),
    consume: (tenantId, id, now) => guard(() => consume.run(tenantId, id, ms(now)).changes === 1),
    get: (tenantId, id) =>
      guard(() => {
        const row = byId.get(tenantId, id);
        return row === undefined ? undefined : fromRow(row);
      }),
    list: (tenantId, filter, page) => guard(() => list(tenantId, filter, page)),
    decide: (tenantId, id, decision) => guard(() => decideTx.immediate(tenantId, id, decision)),
    expirePending: (now, limit) =>
      guard(() => {
        const at = ms(now);
        const rows = expire.all(at, JSON.stringify(SYSTEM_ACTOR), at, Math.max(0, Math.trunc(limit)));
        // RETURNING order is unspecified; hand back oldest deadline first, deterministically.
        rows.sort((a, b) => a.expires_at - b.expires_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        return rows.map((row) => fromRow(row));
      }),
  };

  function list(tenantId: string, filter: ApprovalFilter, page: Page): PageResult<ApprovalRecord> {
    const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const limit = clampLimit(page.limit);
    const now = ms(filter.now);
    const where = ['tenant_id = @tenantId'];
    const params: Record<string, unknown> = { tenantId, now, take: limit + 1 };
    if (filter.ownerId !== undefined) {
      where.push('owner_id = @ownerId');
      params.ownerId = filter.ownerId;
    }
    if (filter.agentId !== undefined) {
      where.push('agent_id = @agentId');
      params.agentId = filter.agentId;
    }
    if (filter.status !== undefined) where.push(STATUS_SQL[filter.status]);
    if (cursor !== undefined) {
      params.cursorT = cursor.t;
      params.cursorId = cursor.id;
    }
    const sql = `SELECT * FROM approvals WHERE ${where.join(' AND ')}${pageClause('created_at', cursor !== undefined)}`;
    const rows = cached<[Record<string, unknown>], ApprovalRow>(sql)
      .all(params)
      .map((row) => fromRow(row, now));
    return pageOf(rows, limit, (a) => ({ t: ms(a.createdAt), id: a.id }));
  }
}
