/** Sessions on the embedded engine. */
import type { SessionRecord } from '../../domain/records.js';
import type { SessionStore } from '../store.js';
import { createGuard, ms, msOrNull, type Db } from './sqlite.js';

interface SessionRow {
  tenant_id: string;
  id: string;
  user_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  idle_expires_at: number;
  last_used_at: number;
  ended_at: number | null;
}

function fromRow(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    tokenHash: row.token_hash,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    idleExpiresAt: new Date(row.idle_expires_at),
    lastUsedAt: new Date(row.last_used_at),
    ...(row.ended_at === null ? {} : { endedAt: new Date(row.ended_at) }),
  };
}

/** Builds the session store over an open, migrated database. */
export function createSessionStore(db: Db): SessionStore {
  const guard = createGuard(db);
  const insert = db.prepare<[SessionRow]>(
    `INSERT INTO sessions (tenant_id, id, user_id, token_hash, created_at, expires_at,
       idle_expires_at, last_used_at, ended_at)
     VALUES (@tenant_id, @id, @user_id, @token_hash, @created_at, @expires_at,
       @idle_expires_at, @last_used_at, @ended_at)`,
  );
  // The bearer lookup knows only the token, so it is the one query without a tenant.
  const byTokenHash = db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE token_hash = ?');
  const byId = db.prepare<[string, string], SessionRow>('SELECT * FROM sessions WHERE tenant_id = ? AND id = ?');
  // "ended_at IS NULL" in each write is what makes an ended session stay ended.
  const touch = db.prepare<[number, number, string, string]>(
    `UPDATE sessions SET last_used_at = ?, idle_expires_at = ?
     WHERE tenant_id = ? AND id = ? AND ended_at IS NULL`,
  );
  const end = db.prepare<[number, string, string]>(
    'UPDATE sessions SET ended_at = ? WHERE tenant_id = ? AND id = ? AND ended_at IS NULL',
  );
  const endAll = db.prepare<[number, string, string]>(
    'UPDATE sessions SET ended_at = ? WHERE tenant_id = ? AND user_id = ? AND ended_at IS NULL',
  );

  return {
    create: (session) =>
      guard(() => {
        insert.run({
          tenant_id: session.tenantId,
          id: session.id,
          user_id: session.userId,
          token_hash: session.tokenHash,
          created_at: ms(session.createdAt),
          expires_at: ms(session.expiresAt),
          idle_expires_at: ms(session.idleExpiresAt),
          last_used_at: ms(session.lastUsedAt),
          ended_at: msOrNull(session.endedAt),
        });
      }, 'a session with this id or token'),
    findByTokenHash: (tokenHash) =>
      guard(() => {
        const row = byTokenHash.get(tokenHash);
        return row === undefined ? undefined : fromRow(row);
      }),
    get: (tenantId, id) =>
      guard(() => {
        const row = byId.get(tenantId, id);
        return row === undefined ? undefined : fromRow(row);
      }),
    touch: (tenantId, id, lastUsedAt, idleExpiresAt) =>
      guard(() => touch.run(ms(lastUsedAt), ms(idleExpiresAt), tenantId, id).changes > 0),
    end: (tenantId, id, at) => guard(() => end.run(ms(at), tenantId, id).changes > 0),
    endAllForUser: (tenantId, userId, at) => guard(() => endAll.run(ms(at), tenantId, userId).changes),
  };
}
