/**
 * Opens the embedded engine: one SQLite file (or `:memory:`) through better-sqlite3, migrated
 * to the current schema, with one store object per aggregate over the shared connection.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { storeUnavailable } from '../errors.js';
import type { Store } from '../store.js';
import { createAdminStore } from './admin.js';
import { createAgentStore } from './agents.js';
import { createApprovalStore } from './approvals.js';
import { createAuditStore } from './audit.js';
import { createDelegationStore } from './delegations.js';
import { Database } from './driver.js';
import { migrate } from './migrations.js';
import { createRateLimitStore, sweepExpiredSlots } from './rate-limits.js';
import { createSessionStore } from './sessions.js';
import { createGuard, translateError, type Db } from './sqlite.js';
import { createThrottleStore } from './throttles.js';
import { createUserStore } from './users.js';

export interface EmbeddedStoreOptions {
  /** A file path (its directory is created when missing), or `:memory:` for a private database. */
  readonly path: string;
  /** Clock for housekeeping at open (forgetting rate-limit slots whose window has ended). */
  readonly now?: () => Date;
  /**
   * `full` (the default) syncs the WAL on every commit, so a committed write, and so every
   * returned `audit_id`, survives power loss and OS crash as well as a process crash. `normal`
   * survives a process crash only (the last commits may roll back on power loss) and saves
   * one fsync per commit. Audit appends are batched, so `full` costs one fsync per batch.
   */
  readonly synchronous?: 'full' | 'normal';
  /** How long a write waits for another process's lock before failing as unavailable. */
  readonly busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Opens (creating and migrating when needed) the embedded store. Throws unavailable when the file cannot be opened. */
export function openEmbeddedStore(options: EmbeddedStoreOptions): Store {
  const memory = options.path === ':memory:';
  if (!memory && options.path !== '') mkdirSync(dirname(resolve(options.path)), { recursive: true });
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;

  let db: Db;
  try {
    db = new Database(options.path, { timeout: busyTimeoutMs });
  } catch (err) {
    throw translateError(err);
  }
  try {
    configure(db, memory, options.synchronous ?? 'full', busyTimeoutMs);
    migrate(db);
    sweepExpiredSlots(db, (options.now ?? (() => new Date()))());
  } catch (err) {
    db.close();
    throw translateError(err);
  }
  return assemble(db);
}

function configure(db: Db, memory: boolean, synchronous: 'full' | 'normal', busyTimeoutMs: number): void {
  // A waiting writer retries for this long instead of failing at once with SQLITE_BUSY.
  db.pragma(`busy_timeout = ${String(Math.max(0, Math.trunc(busyTimeoutMs)))}`);
  if (!memory) {
    // WAL: readers never block the writer and a commit is one sequential append. An
    // in-memory database has no WAL (it reports 'memory'), so it is left alone.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (typeof mode !== 'string' || mode.toLowerCase() !== 'wal') {
      throw storeUnavailable(new Error(`could not switch ${db.name} to WAL mode (got ${String(mode)})`));
    }
  }
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
}

function assemble(db: Db): Store {
  const guard = createGuard(db);
  const ping = db.prepare('SELECT 1');
  return {
    engine: 'embedded',
    admin: createAdminStore(db),
    users: createUserStore(db),
    sessions: createSessionStore(db),
    agents: createAgentStore(db),
    rateLimits: createRateLimitStore(db),
    approvals: createApprovalStore(db),
    audit: createAuditStore(db),
    throttles: createThrottleStore(db),
    delegations: createDelegationStore(db),
    ping: () =>
      guard(() => {
        ping.get();
      }),
    close: () => {
      // Idempotent: a second close is a no-op; every other call after it fails in the guard.
      if (!db.open) return Promise.resolve();
      try {
        // Lets SQLite refresh planner statistics it found missing while this connection ran.
        db.pragma('optimize');
      } catch {
        // Best effort only: closing must not fail because statistics could not be written.
      }
      db.close();
      return Promise.resolve();
    },
  };
}
