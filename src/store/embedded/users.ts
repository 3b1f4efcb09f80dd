/** Users on the embedded engine. */
import type { UserRecord } from '../../domain/records.js';
import type { UserStore } from '../store.js';
import { createGuard, ms, type Db } from './sqlite.js';

interface UserRow {
  tenant_id: string;
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: number;
}

function fromRow(row: UserRow): UserRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    createdAt: new Date(row.created_at),
  };
}

/** Builds the user store over an open, migrated database. */
export function createUserStore(db: Db): UserStore {
  const guard = createGuard(db);
  const insert = db.prepare<[UserRow]>(
    `INSERT INTO users (tenant_id, id, email, name, password_hash, created_at)
     VALUES (@tenant_id, @id, @email, @name, @password_hash, @created_at)`,
  );
  const byEmail = db.prepare<[string, string], UserRow>('SELECT * FROM users WHERE tenant_id = ? AND email = ?');
  const byId = db.prepare<[string, string], UserRow>('SELECT * FROM users WHERE tenant_id = ? AND id = ?');
  const setHash = db.prepare<[string, string, string]>(
    'UPDATE users SET password_hash = ? WHERE tenant_id = ? AND id = ?',
  );

  return {
    create: (user) =>
      guard(() => {
        insert.run({
          tenant_id: user.tenantId,
          id: user.id,
          email: user.email,
          name: user.name,
          password_hash: user.passwordHash,
          created_at: ms(user.createdAt),
        });
      }, 'a user with this email or id'),
    getByEmail: (tenantId, email) =>
      guard(() => {
        const row = byEmail.get(tenantId, email);
        return row === undefined ? undefined : fromRow(row);
      }),
    get: (tenantId, id) =>
      guard(() => {
        const row = byId.get(tenantId, id);
        return row === undefined ? undefined : fromRow(row);
      }),
    setPasswordHash: (tenantId, id, passwordHash) =>
      guard(() => setHash.run(passwordHash, tenantId, id).changes > 0),
  };
}
