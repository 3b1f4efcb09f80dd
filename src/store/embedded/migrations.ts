/**
 * Versioned schema of the embedded engine. `PRAGMA user_version` records the last version
 * applied; each migration runs in its own transaction with the version bump, so a crash
 * mid-upgrade leaves the file at the previous version, never half-migrated.
 *
 * Rules: append only. Never edit a migration that has shipped; add a new version instead.
 * Times are INTEGER milliseconds since the epoch; structured values are JSON TEXT. Tables are
 * STRICT so a wrongly typed bind fails loudly instead of being stored as something else.
 */
import type { Db } from './sqlite.js';

export interface Migration {
  readonly version: number;
  /** One or more SQL statements. */
  readonly up: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
      -- The single, global admin credential: at most one row (id is always 1).
      CREATE TABLE admin (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        token_hash TEXT NOT NULL
      ) STRICT;

      CREATE TABLE users (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        email TEXT NOT NULL,
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      ) STRICT;
      CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, email);

      CREATE TABLE sessions (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        idle_expires_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        ended_at INTEGER,
        PRIMARY KEY (tenant_id, id)
      ) STRICT;
      -- Token hashes are unique across tenants: the bearer lookup does not know the tenant.
      CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
      -- Sign-out everywhere only touches live sessions.
      CREATE INDEX sessions_tenant_user_live ON sessions (tenant_id, user_id) WHERE ended_at IS NULL;

      CREATE TABLE agents (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
        permissions TEXT NOT NULL,
        metadata TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        token_prefix TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        PRIMARY KEY (tenant_id, id)
      ) STRICT;
      CREATE UNIQUE INDEX agents_token_hash ON agents (token_hash);
      CREATE INDEX agents_tenant_created ON agents (tenant_id, created_at, id);
      CREATE INDEX agents_tenant_owner_created ON agents (tenant_id, owner_id, created_at, id);
      -- The quota count at create: one owner's active agents, by expiry.
      CREATE INDEX agents_tenant_owner_status ON agents (tenant_id, owner_id, status, expires_at);

      -- Sliding-window slots. Keys are chosen by the caller (agent and permission) and the
      -- contract names no tenant, so this table has none. 'until' (at + window) lets a sweep
      -- forget slots of keys that are never acquired again.
      CREATE TABLE rate_slots (
        key TEXT NOT NULL,
        slot_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        until INTEGER NOT NULL,
        PRIMARY KEY (key, slot_id)
      ) STRICT;
      CREATE INDEX rate_slots_key_at ON rate_slots (key, at);
      CREATE INDEX rate_slots_until ON rate_slots (until);

      CREATE TABLE approvals (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        action TEXT NOT NULL,
        resource TEXT NOT NULL,
        arguments TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'consumed')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        decided_at INTEGER,
        decided_by TEXT,
        reason TEXT,
        PRIMARY KEY (tenant_id, id)
      ) STRICT;
      -- The pending/approved look-up per request; created_at, id serve its newest-first order.
      CREATE INDEX approvals_request ON approvals (tenant_id, agent_id, request_hash, status, created_at, id);
      CREATE INDEX approvals_tenant_created ON approvals (tenant_id, created_at, id);
      CREATE INDEX approvals_tenant_owner_created ON approvals (tenant_id, owner_id, created_at, id);
      CREATE INDEX approvals_tenant_agent_created ON approvals (tenant_id, agent_id, created_at, id);
      -- The expiry sweep crosses tenants and only looks at pending rows.
      CREATE INDEX approvals_pending_expiry ON approvals (expires_at) WHERE status = 'pending';

      CREATE TABLE audit (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        time INTEGER NOT NULL,
        actor TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        action TEXT NOT NULL,
        resource TEXT NOT NULL,
        arguments TEXT NOT NULL,
        result TEXT NOT NULL,
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        client_ip TEXT NOT NULL,
        delegation_chain TEXT NOT NULL,
        duration_us INTEGER NOT NULL,
        approval_id TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      ) STRICT;
      -- Every filter leads with the tenant and ends with the page order (time, id).
      CREATE INDEX audit_tenant_time ON audit (tenant_id, time, id);
      CREATE INDEX audit_tenant_agent_time ON audit (tenant_id, agent_id, time, id);
      CREATE INDEX audit_tenant_owner_time ON audit (tenant_id, owner_id, time, id);
      CREATE INDEX audit_tenant_action_time ON audit (tenant_id, action, time, id);

      -- Sign-in throttling by caller-chosen key (email or client IP); no tenant in the contract.
      CREATE TABLE throttles (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        blocked_until INTEGER,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    up: `
      -- The audit log's global sequence number (the tail's cursor and the export's order).
      -- Rows written before this version get 1..n in insertion (rowid) order.
      ALTER TABLE audit ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
      UPDATE audit SET seq = numbered.n
        FROM (SELECT rowid AS r, ROW_NUMBER() OVER (ORDER BY rowid) AS n FROM audit) AS numbered
        WHERE audit.rowid = numbered.r;
      -- Tail reads, the head and oldest seq, and retention (which deletes in seq order).
      CREATE UNIQUE INDEX audit_seq ON audit (seq);
      -- Export pages by seq: without a filter (admin), by agent (agent callers), by owner (users).
      CREATE INDEX audit_tenant_seq ON audit (tenant_id, seq);
      CREATE INDEX audit_tenant_agent_seq ON audit (tenant_id, agent_id, seq);
      CREATE INDEX audit_tenant_owner_seq ON audit (tenant_id, owner_id, seq);
      -- The remaining query filters: result, and resource prefix (as a range on resource).
      CREATE INDEX audit_tenant_result_time ON audit (tenant_id, result, time, id);
      CREATE INDEX audit_tenant_resource ON audit (tenant_id, resource);
    `,
  },
  {
    version: 3,
    up: `
      -- Delegations carry their ancestry (ancestor ids and giving agents, root first, as JSON
      -- arrays), so a chain is read by id in one query and never walked.
      CREATE TABLE delegations (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        from_agent_id TEXT NOT NULL,
        to_agent_id TEXT NOT NULL,
        permissions TEXT NOT NULL,
        depth INTEGER NOT NULL,
        max_depth INTEGER NOT NULL,
        ancestor_ids TEXT NOT NULL,
        agent_chain TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        PRIMARY KEY (tenant_id, id)
      ) STRICT;
      CREATE INDEX delegations_tenant_to_created ON delegations (tenant_id, to_agent_id, created_at, id);
      CREATE INDEX delegations_tenant_from_created ON delegations (tenant_id, from_agent_id, created_at, id);
      -- One row per (delegation, ancestor): the cascading revoke finds every descendant by index.
      CREATE TABLE delegation_ancestors (
        tenant_id TEXT NOT NULL,
        ancestor_id TEXT NOT NULL,
        delegation_id TEXT NOT NULL,
        PRIMARY KEY (tenant_id, ancestor_id, delegation_id)
      ) STRICT;
    `,
  },
  {
    version: 4,
    up: `
      -- The audit append is the hottest write in the server, and its cost is the number of
      -- index entries each row adds and the pages each batch dirties. So: seq becomes the rowid
      -- (the table itself is then in append order, and the separate seq index goes); QueryAudit
      -- pages by seq like export and tail, so the five (time, id)-ordered indexes become four
      -- seq-ordered ones; the index on resource goes (its keys are scattered: a batch of 100
      -- rows touched ~100 pages), and resource prefixes are checked per row within what the
      -- other filters select. Every index left grows at the right edge of its key's range, as
      -- ids start with their creation time.
      CREATE TABLE audit_v4 (
        seq INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        time INTEGER NOT NULL,
        actor TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        action TEXT NOT NULL,
        resource TEXT NOT NULL,
        arguments TEXT NOT NULL,
        result TEXT NOT NULL,
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        client_ip TEXT NOT NULL,
        delegation_chain TEXT NOT NULL,
        duration_us INTEGER NOT NULL,
        approval_id TEXT NOT NULL
      ) STRICT;
      INSERT INTO audit_v4 (seq, tenant_id, id, time, actor, agent_id, owner_id, action, resource,
          arguments, result, reason, message, client_ip, delegation_chain, duration_us, approval_id)
        SELECT seq, tenant_id, id, time, actor, agent_id, owner_id, action, resource,
          arguments, result, reason, message, client_ip, delegation_chain, duration_us, approval_id
        FROM audit ORDER BY seq;
      DROP TABLE audit;
      ALTER TABLE audit_v4 RENAME TO audit;
      CREATE UNIQUE INDEX audit_tenant_id ON audit (tenant_id, id);
      -- Time ranges (the usual audit question: what happened since ...).
      CREATE INDEX audit_tenant_time ON audit (tenant_id, time);
      -- Query, export and scan by seq: without a filter (admin), by agent (agents), by owner
      -- (users), and by action or result, so that counting a selective filter's exact total
      -- reads its matches, not the tenant (SQLite runs it on the server's only thread).
      CREATE INDEX audit_tenant_seq ON audit (tenant_id, seq);
      CREATE INDEX audit_tenant_agent_seq ON audit (tenant_id, agent_id, seq);
      CREATE INDEX audit_tenant_owner_seq ON audit (tenant_id, owner_id, seq);
      CREATE INDEX audit_tenant_action_seq ON audit (tenant_id, action, seq);
      CREATE INDEX audit_tenant_result_seq ON audit (tenant_id, result, seq);
    `,
  },
];

/** The schema version this build writes. */
export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/**
 * Brings the file up to `LATEST_VERSION`. A no-op on an up-to-date file. Refuses a file written
 * by a newer build, because this build would misread or corrupt tables it does not know.
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): void {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const current = userVersion(db);
  if (current > latest) {
    throw new Error(
      `the embedded store at ${db.name} has schema version ${current}, newer than the ${latest} ` +
        'this build of Kavach knows; run a newer Kavach or restore a matching backup',
    );
  }
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const migration of sorted) {
    if (migration.version <= current) continue;
    // IMMEDIATE takes the write lock first, so two processes opening one file at once apply
    // each migration once: the loser re-reads the version after waiting and skips it.
    db.transaction(() => {
      if (userVersion(db) >= migration.version) return;
      db.exec(migration.up);
      db.pragma(`user_version = ${String(Math.trunc(migration.version))}`);
    }).immediate();
  }
}

function userVersion(db: Db): number {
  const value = db.pragma('user_version', { simple: true });
  return typeof value === 'number' ? value : 0;
}
