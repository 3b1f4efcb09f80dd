/** Agents on the embedded engine. */
import type { AgentType, Permission, StoredAgentStatus } from '../../domain/types.js';
import { decodeCursor, pageOf } from '../cursor.js';
import { clampLimit, uniqueIds } from '../limits.js';
import type { AgentRecord } from '../../domain/records.js';
import type { AgentFilter, AgentStore, Page } from '../store.js';
import { createGuard, fromJson, ms, msOrNull, pageClause, statementCache, type Db } from './sqlite.js';

interface AgentRow {
  tenant_id: string;
  id: string;
  owner_id: string;
  name: string;
  type: string;
  status: string;
  permissions: string;
  metadata: string;
  token_hash: string;
  token_prefix: string;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

function toRow(agent: AgentRecord): AgentRow {
  return {
    tenant_id: agent.tenantId,
    id: agent.id,
    owner_id: agent.ownerId,
    name: agent.name,
    type: agent.type,
    status: agent.status,
    permissions: JSON.stringify(agent.permissions),
    metadata: JSON.stringify(agent.metadata),
    token_hash: agent.tokenHash,
    token_prefix: agent.tokenPrefix,
    created_at: ms(agent.createdAt),
    updated_at: ms(agent.updatedAt),
    expires_at: msOrNull(agent.expiresAt),
    revoked_at: msOrNull(agent.revokedAt),
  };
}

function fromRow(row: AgentRow): AgentRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    ownerId: row.owner_id,
    name: row.name,
    type: row.type as AgentType,
    status: row.status as StoredAgentStatus,
    permissions: fromJson<Permission[]>(row.permissions),
    metadata: fromJson<Record<string, string>>(row.metadata),
    tokenHash: row.token_hash,
    tokenPrefix: row.token_prefix,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    ...(row.expires_at === null ? {} : { expiresAt: new Date(row.expires_at) }),
    ...(row.revoked_at === null ? {} : { revokedAt: new Date(row.revoked_at) }),
  };
}

/** The SQL condition for each status filter, evaluated at `@now` (expired is never stored). */
const STATUS_SQL: Record<NonNullable<AgentFilter['status']>, string> = {
  active: "status = 'active' AND (expires_at IS NULL OR expires_at > @now)",
  expired: "status = 'active' AND expires_at <= @now",
  revoked: "status = 'revoked'",
};

const CONFLICT = 'an agent with this id or token';

/** Builds the agent store over an open, migrated database. */
export function createAgentStore(db: Db): AgentStore {
  const guard = createGuard(db);
  const cached = statementCache(db);
  const insert = db.prepare<[AgentRow]>(
    `INSERT INTO agents (tenant_id, id, owner_id, name, type, status, permissions, metadata,
       token_hash, token_prefix, created_at, updated_at, expires_at, revoked_at)
     VALUES (@tenant_id, @id, @owner_id, @name, @type, @status, @permissions, @metadata,
       @token_hash, @token_prefix, @created_at, @updated_at, @expires_at, @revoked_at)`,
  );
  const countActive = db
    .prepare<[string, string, number], number>(
      `SELECT COUNT(*) FROM agents WHERE tenant_id = ? AND owner_id = ? AND status = 'active'
         AND (expires_at IS NULL OR expires_at > ?)`,
    )
    .pluck();
  const byId = db.prepare<[string, string], AgentRow>('SELECT * FROM agents WHERE tenant_id = ? AND id = ?');
  // The id list travels as one JSON array, so any number of ids is one prepared statement.
  const byIds = db.prepare<[string, string], AgentRow>(
    'SELECT * FROM agents WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))',
  );
  // The bearer lookup knows only the token, so it is one of the queries without a tenant.
  const byTokenHash = db.prepare<[string], AgentRow>('SELECT * FROM agents WHERE token_hash = ?');
  // COALESCE keeps a column when the patch leaves it undefined (bound as NULL); expiry needs a
  // separate flag because null is a meaningful value there ("clear it").
  const patch = db.prepare<[Record<string, unknown>]>(
    `UPDATE agents SET
       name = COALESCE(@name, name),
       permissions = COALESCE(@permissions, permissions),
       metadata = COALESCE(@metadata, metadata),
       expires_at = CASE WHEN @setExpiry = 1 THEN @expiresAt ELSE expires_at END,
       updated_at = @updatedAt
     WHERE tenant_id = @tenantId AND id = @id AND status = 'active'
       AND (@unlessExpiredAt IS NULL OR expires_at IS NULL OR expires_at > @unlessExpiredAt)`,
  );
  const rotate = db.prepare<[string, string, number, string, string]>(
    `UPDATE agents SET token_hash = ?, token_prefix = ?, updated_at = ?
     WHERE tenant_id = ? AND id = ? AND status = 'active'`,
  );
  const revoke = db.prepare<[number, string, string]>(
    "UPDATE agents SET status = 'revoked', revoked_at = ? WHERE tenant_id = ? AND id = ? AND status = 'active'",
  );

  // IMMEDIATE takes the write lock before counting, so two processes cannot both see room
  // for the last agent under the quota.
  const createTx = db.transaction((agent: AgentRecord, quota: number, now: Date): boolean => {
    if ((countActive.get(agent.tenantId, agent.ownerId, ms(now)) ?? 0) >= quota) return false;
    insert.run(toRow(agent));
    return true;
  });

  /** Runs a conditional write on a stored-active agent and reads the result back. */
  const writeThenRead = db.transaction(
    (tenantId: string, id: string, write: () => number): { agent: AgentRecord; changed: boolean } | undefined => {
      const changed = write() > 0;
      const row = byId.get(tenantId, id);
      return row === undefined ? undefined : { agent: fromRow(row), changed };
    },
  );

  return {
    create: (agent, quota, now) => guard(() => createTx.immediate(agent, quota, now), CONFLICT),
    get: (tenantId, id) =>
      guard(() => {
        const row = byId.get(tenantId, id);
        return row === undefined ? undefined : fromRow(row);
      }),
    getMany: (tenantId, ids) =>
      guard(() => {
        const unique = uniqueIds(ids);
        return unique.length === 0 ? [] : byIds.all(tenantId, JSON.stringify(unique)).map(fromRow);
      }),
    findByTokenHash: (tokenHash) =>
      guard(() => {
        const row = byTokenHash.get(tokenHash);
        return row === undefined ? undefined : fromRow(row);
      }),
    list: (tenantId, filter, page) => guard(() => list(tenantId, filter, page)),
    update: (tenantId, id, p) =>
      guard(() => {
        const params = {
          tenantId,
          id,
          name: p.name ?? null,
          permissions: p.permissions === undefined ? null : JSON.stringify(p.permissions),
          metadata: p.metadata === undefined ? null : JSON.stringify(p.metadata),
          setExpiry: p.expiresAt === undefined ? 0 : 1,
          expiresAt: p.expiresAt === undefined || p.expiresAt === null ? null : ms(p.expiresAt),
          updatedAt: ms(p.updatedAt),
          unlessExpiredAt: p.unlessExpiredAt === undefined ? null : ms(p.unlessExpiredAt),
        };
        return writeThenRead.immediate(tenantId, id, () => patch.run(params).changes)?.agent;
      }),
    rotateToken: (tenantId, id, tokenHash, tokenPrefix, at) =>
      guard(
        () =>
          writeThenRead.immediate(tenantId, id, () => rotate.run(tokenHash, tokenPrefix, ms(at), tenantId, id).changes)
            ?.agent,
        CONFLICT,
      ),
    revoke: (tenantId, id, at) =>
      guard(() => writeThenRead.immediate(tenantId, id, () => revoke.run(ms(at), tenantId, id).changes)),
  };

  function list(tenantId: string, filter: AgentFilter, page: Page) {
    const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const limit = clampLimit(page.limit);
    const where = ['tenant_id = @tenantId'];
    const params: Record<string, unknown> = { tenantId, take: limit + 1 };
    if (filter.ownerId !== undefined) {
      where.push('owner_id = @ownerId');
      params.ownerId = filter.ownerId;
    }
    if (filter.type !== undefined) {
      where.push('type = @type');
      params.type = filter.type;
    }
    if (filter.status !== undefined) {
      where.push(STATUS_SQL[filter.status]);
      params.now = ms(filter.now);
    }
    if (cursor !== undefined) {
      params.cursorT = cursor.t;
      params.cursorId = cursor.id;
    }
    const sql = `SELECT * FROM agents WHERE ${where.join(' AND ')}${pageClause('created_at', cursor !== undefined)}`;
    const rows = cached<[Record<string, unknown>], AgentRow>(sql).all(params).map(fromRow);
    return pageOf(rows, limit, (a) => ({ t: ms(a.createdAt), id: a.id }));
  }
}
