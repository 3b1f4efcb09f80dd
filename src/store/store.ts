/**
 * The store contract. Two engines implement it (`embedded/` on SQLite, `mongo/` on MongoDB),
 * and one conformance suite (`test/store/`) asserts each sentence written here against both.
 *
 * General rules for every method:
 * - Every record carries a `tenantId`; every read and write names one and never sees another
 *   tenant's records, except lookups by secret hash, which return the record with its tenant.
 * - Times are `Date`s with millisecond precision; engines store and return them exactly.
 * - A missing record is `undefined`, never an error. Uniqueness violations throw
 *   `KavachError('already_exists')`. Connection failures throw `KavachError('unavailable')`.
 * - Lists are ordered newest first by (`createdAt`, `id`) descending (the audit log by seq) and
 *   page with an opaque cursor: pass the returned `nextCursor` to get the next page; it is
 *   `undefined` on the last page. A malformed cursor throws `KavachError('invalid_argument')`
 *   naming `page_token`.
 * - Returned records are fresh objects; mutating them never changes the store.
 */
import type { Actor, AgentType, ApprovalStatus, AuditResult, Permission } from '../domain/types.js';
import type {
  AgentRecord,
  ApprovalRecord,
  AuditRecord,
  DelegationRecord,
  SessionRecord,
  StoredAuditRecord,
  ThrottleState,
  UserRecord,
} from '../domain/records.js';

export interface Page {
  /** At most this many items, 1 to 1000. */
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface PageResult<T> {
  readonly items: T[];
  readonly nextCursor: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Admin credential

export interface AdminStore {
  /** The SHA-256 hex of the generated admin token, or undefined when none was created yet. */
  getAdminTokenHash(): Promise<string | undefined>;
  /**
   * Stores `hash` as the admin token hash unless one is stored already. Returns true when this
   * call stored it, false when another (possibly another replica) got there first.
   */
  setAdminTokenHashIfAbsent(hash: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Users and sessions

export interface UserStore {
  /** Inserts a user. Throws already_exists when the tenant already has that email or id. */
  create(user: UserRecord): Promise<void>;
  /** The user with this email in the tenant, or undefined. Matching is exact (callers lower-case). */
  getByEmail(tenantId: string, email: string): Promise<UserRecord | undefined>;
  /** The user with this id in the tenant, or undefined. */
  get(tenantId: string, id: string): Promise<UserRecord | undefined>;
  /** Replaces the password hash (re-hash on sign-in). Returns false when the user is missing. */
  setPasswordHash(tenantId: string, id: string, passwordHash: string): Promise<boolean>;
}

export interface SessionStore {
  /** Inserts a session. Throws already_exists on a duplicate id or token hash. */
  create(session: SessionRecord): Promise<void>;
  /** The session with this token hash in any tenant, ended or not, or undefined. */
  findByTokenHash(tokenHash: string): Promise<SessionRecord | undefined>;
  /**
   * The session with this id in the tenant, ended or not, or undefined. How a caller whose
   * credential was already resolved (the principal names its session) reads its own session.
   */
  get(tenantId: string, id: string): Promise<SessionRecord | undefined>;
  /**
   * Records a use: sets lastUsedAt and idleExpiresAt, only if the session is not ended.
   * Returns false when the session is missing or ended.
   */
  touch(tenantId: string, id: string, lastUsedAt: Date, idleExpiresAt: Date): Promise<boolean>;
  /** Ends one session. Returns false when it is missing or already ended. */
  end(tenantId: string, id: string, at: Date): Promise<boolean>;
  /** Ends every session of a user that is not ended yet. Returns how many it ended. */
  endAllForUser(tenantId: string, userId: string, at: Date): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Agents

export type AgentStatusFilter = 'active' | 'revoked' | 'expired';

export interface AgentFilter {
  readonly ownerId?: string | undefined;
  /**
   * `active`: stored active and not expired at `now`; `expired`: stored active with
   * `expiresAt <= now`; `revoked`: stored revoked. Undefined matches all.
   */
  readonly status?: AgentStatusFilter | undefined;
  readonly type?: AgentType | undefined;
  readonly now: Date;
}

export interface AgentPatch {
  readonly name?: string | undefined;
  readonly permissions?: readonly Permission[] | undefined;
  /** A Date sets the expiry, null clears it, undefined leaves it. */
  readonly expiresAt?: Date | null | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  readonly updatedAt: Date;
  /**
   * When set, the patch applies only if the agent has not expired at this instant (its stored
   * expiry is unset or later), checked in the same write; otherwise nothing changes.
   */
  readonly unlessExpiredAt?: Date | undefined;
}

export interface AgentStore {
  /**
   * Inserts an agent if its owner has fewer than `quota` agents that are active at `now`
   * (stored active and not expired). Returns false, inserting nothing, when the quota is full.
   * Throws already_exists on a duplicate id or token hash.
   */
  create(agent: AgentRecord, quota: number, now: Date): Promise<boolean>;
  /** The agent with this id in the tenant, or undefined. */
  get(tenantId: string, id: string): Promise<AgentRecord | undefined>;
  /**
   * The agents with these ids in the tenant, in one read, in no particular order. Ids that are
   * missing (or in another tenant) are skipped; a repeated id is returned once. At most 1000 ids.
   */
  getMany(tenantId: string, ids: readonly string[]): Promise<AgentRecord[]>;
  /** The agent whose current token has this hash, in any tenant, or undefined. */
  findByTokenHash(tokenHash: string): Promise<AgentRecord | undefined>;
  /** Agents matching the filter, newest first, paged. */
  list(tenantId: string, filter: AgentFilter, page: Page): Promise<PageResult<AgentRecord>>;
  /**
   * Applies the set fields of `patch` to a stored-active agent and returns the updated record.
   * Returns undefined when the agent is missing; returns the unchanged record with
   * `status: 'revoked'` when it is revoked, or expired at `patch.unlessExpiredAt` when that is
   * set (the caller reports FailedPrecondition).
   */
  update(tenantId: string, id: string, patch: AgentPatch): Promise<AgentRecord | undefined>;
  /**
   * Replaces the token hash and prefix of a stored-active agent, so the old token stops
   * matching at once. Same missing/revoked results as `update`.
   */
  rotateToken(
    tenantId: string,
    id: string,
    tokenHash: string,
    tokenPrefix: string,
    at: Date,
  ): Promise<AgentRecord | undefined>;
  /**
   * Marks a stored-active agent revoked at `at`. Returns the revoked record, undefined when
   * missing, and the unchanged record (already `revoked`) when it was revoked before, with
   * `changed: false`.
   */
  revoke(tenantId: string, id: string, at: Date): Promise<{ agent: AgentRecord; changed: boolean } | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Rate limits

export type AcquireResult =
  | { readonly ok: true; readonly slotId: string }
  | { readonly ok: false; readonly retryAfterMs: number };

export interface RateLimitStore {
  /**
   * Takes one slot in the sliding window named `key` (an agent and permission), atomically
   * across every replica: succeeds while fewer than `limit` slots were taken in
   * (`now - windowMs`, `now`]. On refusal, `retryAfterMs` is the time until the oldest slot in
   * the window leaves it (at least 1). Slots older than the window are forgotten.
   */
  tryAcquire(key: string, limit: number, now: Date, windowMs: number): Promise<AcquireResult>;
  /** Gives back a slot taken by `tryAcquire` (the call was not allowed after all). Idempotent. */
  release(key: string, slotId: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Approvals

export interface ApprovalFilter {
  readonly ownerId?: string | undefined;
  readonly agentId?: string | undefined;
  /** Matches the status as computed at `now` (a pending or approved record past expiresAt is `expired`). */
  readonly status?: ApprovalStatus | undefined;
  readonly now: Date;
}

export interface ApprovalStore {
  /**
   * Returns the pending approval for (`tenantId`, `agentId`, `requestHash`) that has not
   * expired at `now`, creating `candidate` when there is none. At most one such pending
   * approval exists at a time, even under concurrent calls. `created` says which happened.
   */
  getOrCreatePending(candidate: ApprovalRecord, now: Date): Promise<{ approval: ApprovalRecord; created: boolean }>;
  /** The approved, unconsumed approval for this request that has not expired at `now`, or undefined. */
  findApproved(tenantId: string, agentId: string, requestHash: string, now: Date): Promise<ApprovalRecord | undefined>;
  /**
   * Atomically turns an approved, unexpired approval into `consumed`. Returns true for exactly
   * one caller; false when it is missing, not approved, already consumed or expired.
   */
  consume(tenantId: string, id: string, now: Date): Promise<boolean>;
  /** The approval with this id in the tenant, or undefined. */
  get(tenantId: string, id: string): Promise<ApprovalRecord | undefined>;
  /** Approvals matching the filter, newest first, paged. */
  list(tenantId: string, filter: ApprovalFilter, page: Page): Promise<PageResult<ApprovalRecord>>;
  /**
   * Decides a pending, unexpired approval. On approval its `expiresAt` becomes `useBy`.
   * Returns the decided record; undefined when missing; the unchanged record when it was not
   * pending (or had expired) at `at`, with `changed: false`.
   */
  decide(
    tenantId: string,
    id: string,
    decision: { status: 'approved' | 'denied'; by: Actor; at: Date; reason: string; useBy: Date },
  ): Promise<{ approval: ApprovalRecord; changed: boolean } | undefined>;
  /**
   * Marks pending approvals whose `expiresAt <= now` as `expired` (decided by the system at
   * `now`), at most `limit` of them, in any tenant. Returns those it changed.
   */
  expirePending(now: Date, limit: number): Promise<ApprovalRecord[]>;
}

// ---------------------------------------------------------------------------------------------
// Audit

export interface AuditFilter {
  readonly agentId?: string | undefined;
  readonly ownerId?: string | undefined;
  /** Matches any of these actions; empty or undefined matches all. */
  readonly actions?: readonly string[] | undefined;
  readonly resourcePrefix?: string | undefined;
  readonly result?: AuditResult | undefined;
  /** Inclusive. */
  readonly since?: Date | undefined;
  /** Exclusive. */
  readonly until?: Date | undefined;
}

export interface AuditStore {
  /**
   * Appends entries durably, in order, in one write where the engine allows, and resolves with
   * them as stored: each with its `seq`, consecutive and ascending in the order given, above
   * every seq assigned before (by any replica). Seqs are never reused, not even after retention
   * deleted entries. When it resolves, every entry is readable by `get`, `query`, `scan` and
   * `readAfter` on every replica. Entries are never updated. Throws already_exists when an id is
   * taken (nothing is half-written on the embedded engine; on the mongo engine the entries before
   * the taken one may be written, with their seqs, and no seq is left unused below them).
   */
  append(entries: readonly AuditRecord[]): Promise<StoredAuditRecord[]>;
  /** The entry with this id in the tenant, or undefined. */
  get(tenantId: string, id: string): Promise<AuditRecord | undefined>;
  /**
   * Entries matching the filter, newest first by seq (the log's own order, as `scan` and
   * `readAfter` read it, so entries appended after a page was read never shift later pages),
   * paged, with the exact number of entries that match the filter (independent of paging) as
   * `total`. An entry's `time` is when it happened; two replicas' clocks may put a later seq at
   * an earlier time, and the order stays the seq's.
   */
  query(tenantId: string, filter: AuditFilter, page: Page): Promise<PageResult<AuditRecord> & { total: number }>;
  /**
   * Up to `limit` (1 to 1000) entries of every tenant with `seq > afterSeq`, ascending by seq. The
   * result has no gap except where retention deleted entries (below `oldestSeq()`). Empty when
   * nothing was appended after `afterSeq`.
   */
  readAfter(afterSeq: number, limit: number): Promise<StoredAuditRecord[]>;
  /**
   * The largest seq of a readable entry, in any tenant (so every seq up to it that retention
   * kept is readable: `readAfter(headSeq())` holds only entries appended later); 0 when nothing
   * was ever appended. A seq reserved by an append that has not finished writing is not counted.
   */
  headSeq(): Promise<number>;
  /** The smallest seq still stored (retention deletes from the start), or undefined when the log is empty. */
  oldestSeq(): Promise<number | undefined>;
  /**
   * Up to `limit` (1 to 1000) entries of the tenant that match the filter and have
   * `seq > afterSeq`, ascending by seq: pass the last seq returned to get the next batch.
   */
  scan(tenantId: string, filter: AuditFilter, afterSeq: number, limit: number): Promise<StoredAuditRecord[]>;
  /**
   * Retention, in every tenant: deletes up to `limit` (1 to 10000) of the oldest entries in seq
   * order whose `time` is before `time`, stopping at the first one that is not, and never the
   * entry with the largest seq (so seqs are never reused). What remains is always one contiguous
   * range of seqs. Returns how many it deleted; call again while it returns `limit`.
   */
  deleteOlderThan(time: Date, limit: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Throttling (sign-in)

export interface ThrottleStore {
  /** The state of `key`, or `{ failures: 0 }` when unknown. */
  get(key: string): Promise<ThrottleState>;
  /**
   * Atomically counts one failure for `key` across every replica and sets `blockedUntil` to
   * `now + backoffMs(failures)` where the callback gives 0 for "not blocked". Returns the new state.
   */
  recordFailure(key: string, now: Date, backoffMs: (failures: number) => number): Promise<ThrottleState>;
  /** Forgets `key` (after a success). */
  reset(key: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Delegations

export interface DelegationFilter {
  /** The agent whose delegations to list. */
  readonly agentId: string;
  /** `given`: from the agent; `received`: to the agent; `both`: either. */
  readonly direction: 'given' | 'received' | 'both';
  /**
   * True: only delegations stored active and not expired at `now` (`expiresAt` unset or
   * after `now`). False: every delegation. Neither looks at the rest of the chain.
   */
  readonly onlyActive: boolean;
  readonly now: Date;
}

export interface DelegationStore {
  /** Inserts a delegation. Throws already_exists when the tenant already has its id. */
  create(delegation: DelegationRecord): Promise<void>;
  /** The delegation with this id in the tenant, or undefined. */
  get(tenantId: string, id: string): Promise<DelegationRecord | undefined>;
  /**
   * The delegations with these ids in the tenant, in one read, in no particular order. Missing
   * ids (or ids in another tenant) are skipped; a repeated id is returned once. At most 1000 ids.
   */
  getMany(tenantId: string, ids: readonly string[]): Promise<DelegationRecord[]>;
  /**
   * The delegations to `toAgentId` that are stored active and not expired at `now`, newest
   * first by (`createdAt`, `id`), at most `limit` of them (1 to 1000), in one read. Their
   * ancestors and agents are not checked here: the caller reads them by id.
   */
  listActiveTo(tenantId: string, toAgentId: string, now: Date, limit: number): Promise<DelegationRecord[]>;
  /** Delegations matching the filter, newest first, paged. */
  list(tenantId: string, filter: DelegationFilter, page: Page): Promise<PageResult<DelegationRecord>>;
  /**
   * Revokes a delegation and everything below it: marks it, and every stored-active delegation
   * whose `ancestorIds` include it, revoked at `at`. Returns undefined when it is missing.
   * Otherwise returns the delegation as stored afterwards, `changed` (false when it was already
   * revoked, in which case its record is unchanged) and `revokedCount`: how many delegations
   * this call turned from active to revoked, itself included. Descendants are swept even when
   * the delegation itself was already revoked.
   */
  revoke(
    tenantId: string,
    id: string,
    at: Date,
  ): Promise<{ delegation: DelegationRecord; changed: boolean; revokedCount: number } | undefined>;
}

// ---------------------------------------------------------------------------------------------

export interface Store {
  readonly engine: 'embedded' | 'mongo';
  readonly admin: AdminStore;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly agents: AgentStore;
  readonly rateLimits: RateLimitStore;
  readonly approvals: ApprovalStore;
  readonly audit: AuditStore;
  readonly throttles: ThrottleStore;
  readonly delegations: DelegationStore;
  /** Resolves when the store answers; throws unavailable otherwise. Used by health checks. */
  ping(): Promise<void>;
  /** Releases connections and file handles. Further calls fail. Idempotent. */
  close(): Promise<void>;
}
