/** Delegations on the embedded engine. */
import type { Permission } from '../../domain/types.js';
import { decodeCursor, pageOf } from '../cursor.js';
import { clampLimit, uniqueIds } from '../limits.js';
import type { DelegationRecord } from '../../domain/records.js';
import type { DelegationFilter, DelegationStore, Page, PageResult } from '../store.js';
import { createGuard, fromJson, ms, msOrNull, pageClause, statementCache, type Db } from './sqlite.js';

interface DelegationRow {
  tenant_id: string;
  id: string;
  owner_id: string;
  from_agent_id: string;
  to_agent_id: string;
  permissions: string;
  depth: number;
  max_depth: number;
  ancestor_ids: string;
  agent_chain: string;
  status: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

function toRow(d: DelegationRecord): DelegationRow {
  return {
    tenant_id: d.tenantId,
    id: d.id,
    owner_id: d.ownerId,
    from_agent_id: d.fromAgentId,
    to_agent_id: d.toAgentId,
    permissions: JSON.stringify(d.permissions),
    depth: d.depth,
    max_depth: d.maxDepth,
    ancestor_ids: JSON.stringify(d.ancestorIds),
    agent_chain: JSON.stringify(d.agentChain),
    status: d.status,
    created_at: ms(d.createdAt),
    expires_at: msOrNull(d.expiresAt),
    revoked_at: msOrNull(d.revokedAt),
  };
}

function fromRow(row: DelegationRow): DelegationRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    ownerId: row.owner_id,
    fromAgentId: row.from_agent_id,
    toAgentId: row.to_agent_id,
    permissions: fromJson<Permission[]>(row.permissions),
    depth: row.depth,
    maxDepth: row.max_depth,
    ancestorIds: fromJson<string[]>(row.ancestor_ids),
    agentChain: fromJson<string[]>(row.agent_chain),
    status: row.status === 'revoked' ? 'revoked' : 'active',
    createdAt: new Date(row.created_at),
    ...(row.expires_at === null ? {} : { expiresAt: new Date(row.expires_at) }),
    ...(row.revoked_at === null ? {} : { revokedAt: new Date(row.revoked_at) }),
  };
}

const ACTIVE_SQL = "status = 'active' AND (expires_at IS NULL OR expires_at > @now)";

const DIRECTION_SQL: Record<DelegationFilter['direction'], string> = {
  given: 'from_agent_id = @agentId',
  received: 'to_agent_id = @agentId',
  both: '(from_agent_id = @agentId OR to_agent_id = @agentId)',
};

/** Builds the delegation store over an open, migrated database. */
export function createDelegationStore(db: Db): DelegationStore {
  const guard = createGuard(db);
  const cached = statementCache(db);
  const insert = db.prepare<[DelegationRow]>(
    `INSERT INTO delegations (tenant_id, id, owner_id, from_agent_id, to_agent_id, permissions, depth,
       max_depth, ancestor_ids, agent_chain, status, created_at, expires_at, revoked_at)
     VALUES (@tenant_id, @id, @owner_id, @from_agent_id, @to_agent_id, @permissions, @depth,
       @max_depth, @ancestor_ids, @agent_chain, @status, @created_at, @expires_at, @revoked_at)`,
  );
  const insertAncestor = db.prepare<[string, string, string]>(
    'INSERT INTO delegation_ancestors (tenant_id, ancestor_id, delegation_id) VALUES (?, ?, ?)',
  );
  const byId = db.prepare<[string, string], DelegationRow>('SELECT * FROM delegations WHERE tenant_id = ? AND id = ?');
  // The id list travels as one JSON array, so any number of ids is one prepared statement.
  const byIds = db.prepare<[string, string], DelegationRow>(
    'SELECT * FROM delegations WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))',
  );
  const activeTo = db.prepare<[Record<string, unknown>], DelegationRow>(
    `SELECT * FROM delegations WHERE tenant_id = @tenantId AND to_agent_id = @agentId AND ${ACTIVE_SQL}
     ORDER BY created_at DESC, id DESC LIMIT @take`,
  );
  const revokeOne = db.prepare<[number, string, string]>(
    "UPDATE delegations SET status = 'revoked', revoked_at = ? WHERE tenant_id = ? AND id = ? AND status = 'active'",
  );
  const revokeBelow = db.prepare<[number, string, string, string]>(
    `UPDATE delegations SET status = 'revoked', revoked_at = ?
     WHERE tenant_id = ? AND status = 'active' AND id IN
       (SELECT delegation_id FROM delegation_ancestors WHERE tenant_id = ? AND ancestor_id = ?)`,
  );

  const createTx = db.transaction((d: DelegationRecord) => {
    insert.run(toRow(d));
    for (const ancestor of new Set(d.ancestorIds)) insertAncestor.run(d.tenantId, ancestor, d.id);
  });

  // One transaction: the delegation and its descendants change together or not at all.
  const revokeTx = db.transaction((tenantId: string, id: string, at: number) => {
    if (byId.get(tenantId, id) === undefined) return undefined;
    const changed = revokeOne.run(at, tenantId, id).changes === 1;
    const below = revokeBelow.run(at, tenantId, tenantId, id).changes;
    const row = byId.get(tenantId, id);
    if (row === undefined) return undefined;
    return { delegation: fromRow(row), changed, revokedCount: (changed ? 1 : 0) + below };
  });

  return {
    create: (d) => guard(() => createTx.immediate(d), 'a delegation with this id'),
    get: (tenantId, id) =>
      guard(() => {
        const row = byId.get(tenantId, id);
        return row === undefined ? undefined : fromRow(row);
      }),
    getMany: (tenantId, ids) =>
      guard(() => {
        const unique = uniqueIds(ids);
        if (unique.length === 0) return [];
        return byIds.all(tenantId, JSON.stringify(unique)).map(fromRow);
      }),
    listActiveTo: (tenantId, toAgentId, now, limit) =>
      guard(() => activeTo.all({ tenantId, agentId: toAgentId, now: ms(now), take: clampLimit(limit) }).map(fromRow)),
    list: (tenantId, filter, page) => guard(() => list(tenantId, filter, page)),
    revoke: (tenantId, id, at) => guard(() => revokeTx.immediate(tenantId, id, ms(at))),
  };

  function list(tenantId: string, filter: DelegationFilter, page: Page): PageResult<DelegationRecord> {
    const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const limit = clampLimit(page.limit);
    const where = ['tenant_id = @tenantId', DIRECTION_SQL[filter.direction]];
    const params: Record<string, unknown> = { tenantId, agentId: filter.agentId, take: limit + 1 };
    if (filter.onlyActive) {
      where.push(ACTIVE_SQL);
      params.now = ms(filter.now);
    }
    if (cursor !== undefined) {
      params.cursorT = cursor.t;
      params.cursorId = cursor.id;
    }
    const sql = `SELECT * FROM delegations WHERE ${where.join(' AND ')}${pageClause('created_at', cursor !== undefined)}`;
    const rows = cached<[Record<string, unknown>], DelegationRow>(sql).all(params).map(fromRow);
    return pageOf(rows, limit, (d) => ({ t: ms(d.createdAt), id: d.id }));
  }
}
