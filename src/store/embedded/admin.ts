/** The global admin credential on the embedded engine: one row, no tenant (it spans them all). */
import type { AdminStore } from '../store.js';
import { createGuard, type Db } from './sqlite.js';

/** Builds the admin store over an open, migrated database. */
export function createAdminStore(db: Db): AdminStore {
  const guard = createGuard(db);
  const select = db.prepare<[], { token_hash: string }>('SELECT token_hash FROM admin WHERE id = 1');
  // ON CONFLICT DO NOTHING makes "first writer wins" a single atomic statement.
  const insert = db.prepare<[string]>('INSERT INTO admin (id, token_hash) VALUES (1, ?) ON CONFLICT (id) DO NOTHING');

  return {
    getAdminTokenHash: () => guard(() => select.get()?.token_hash),
    setAdminTokenHashIfAbsent: (hash) => guard(() => insert.run(hash).changes === 1),
  };
}
