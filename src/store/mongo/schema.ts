/**
 * Every collection and explicit index of the mongo engine, declared here and only here, and
 * created at start-up by `ensureSchema` (idempotent; safe for several replicas at once).
 *
 * | collection          | `_id`                              | indexes (besides `_id`)                                   |
 * |---------------------|------------------------------------|-----------------------------------------------------------|
 * | admin               | 'admin'                            | –                                                         |
 * | users               | [tenantId, id]                     | unique (tenantId, email)                                  |
 * | sessions            | [tenantId, id]                     | unique (tokenHash); (tenantId, userId)                    |
 * | session_ends        | [tenantId, id] of the session      | (tenantId, userId)                                        |
 * | agents              | [tenantId, id]                     | unique (tokenHash); (tenantId, createdAt↓, id↓);          |
 * |                     |                                    | (tenantId, ownerId, createdAt↓, id↓)                      |
 * | agent_quota         | [tenantId, ownerId, n]             | (tenantId, ownerId, n↓); (tenantId, ownerId, agentId)     |
 * | rate_slots          | [key, index, g]                    | (key, index, gen↓); (until)                               |
 * | approvals           | [tenantId, id]                     | (tenantId, agentId, requestHash, status, createdAt↓, id↓);|
 * |                     |                                    | (tenantId, createdAt↓, id↓); (tenantId, ownerId, createdAt↓, id↓); |
 * |                     |                                    | (tenantId, agentId, createdAt↓, id↓); (status, expiresAt) |
 * | approval_open       | [tenantId, agentId, requestHash, g]| (tenantId, agentId, requestHash, gen↓)                    |
 * | approval_decisions  | [tenantId, id] of the approval     | –                                                         |
 * | approval_grants     | [tenantId, id] of the approval     | (expiresAt)                                               |
 * | audit               | [tenantId, id]                     | unique (seq); (tenantId, seq); (tenantId, agentId, seq);  |
 * |                     |                                    | (tenantId, ownerId, seq); (tenantId, action, seq);        |
 * |                     |                                    | (tenantId, result, seq); (tenantId, time)                 |
 * | audit_batches       | first seq of the batch (a number)  | (end)                                                     |
 * | throttle_failures   | [key, n]                           | (key, n↓)                                                 |
 * | delegations         | [tenantId, id]                     | (tenantId, toAgentId, createdAt↓, id↓);                   |
 * |                     |                                    | (tenantId, fromAgentId, createdAt↓, id↓); (tenantId, ancestorIds) |
 * | locks               | [name, g]                          | (name, gen↓)                                              |
 *
 * `_id` keys are JSON arrays of the parts (codec.ts `docKey`), so "unique id per tenant" is the
 * primary key itself. No partial, TTL, text or hashed index, no validator, no capped collection:
 * FerretDB v1 supports none of them, and nothing here needs them (expired rows are deleted or
 * ignored by the engine itself).
 */
import type { Collection, Db, IndexDirection } from 'mongodb';
import type { Logger } from 'pino';

import type {
  AdminDoc,
  AgentDoc,
  ApprovalDecisionDoc,
  ApprovalDoc,
  ApprovalGrantDoc,
  ApprovalOpenDoc,
  AuditBatchDoc,
  AuditDoc,
  DelegationDoc,
  LockDoc,
  AgentQuotaDoc,
  RateSlotDoc,
  SessionDoc,
  SessionEndDoc,
  ThrottleFailureDoc,
  UserDoc,
} from './codec.js';

export const COLLECTION_NAMES = {
  admin: 'admin',
  users: 'users',
  sessions: 'sessions',
  sessionEnds: 'session_ends',
  agents: 'agents',
  agentQuota: 'agent_quota',
  rateSlots: 'rate_slots',
  approvals: 'approvals',
  approvalOpen: 'approval_open',
  approvalDecisions: 'approval_decisions',
  approvalGrants: 'approval_grants',
  audit: 'audit',
  auditBatches: 'audit_batches',
  throttleFailures: 'throttle_failures',
  delegations: 'delegations',
  locks: 'locks',
} as const;

export type CollectionName = keyof typeof COLLECTION_NAMES;

interface IndexSpec {
  readonly name: string;
  readonly key: Readonly<Record<string, IndexDirection>>;
  readonly unique?: boolean;
}

const DESC = -1 as const;

/** The explicit indexes of each collection (the `_id` index always exists). */
export const INDEXES: Readonly<Record<CollectionName, readonly IndexSpec[]>> = {
  admin: [],
  users: [{ name: 'tenant_email_unique', key: { tenantId: 1, email: 1 }, unique: true }],
  sessions: [
    { name: 'token_hash_unique', key: { tokenHash: 1 }, unique: true },
    { name: 'tenant_user', key: { tenantId: 1, userId: 1 } },
  ],
  sessionEnds: [{ name: 'tenant_user', key: { tenantId: 1, userId: 1 } }],
  agents: [
    { name: 'token_hash_unique', key: { tokenHash: 1 }, unique: true },
    { name: 'tenant_created', key: { tenantId: 1, createdAt: DESC, id: DESC } },
    { name: 'tenant_owner_created', key: { tenantId: 1, ownerId: 1, createdAt: DESC, id: DESC } },
  ],
  agentQuota: [
    { name: 'tenant_owner_n', key: { tenantId: 1, ownerId: 1, n: DESC } },
    { name: 'tenant_owner_agent', key: { tenantId: 1, ownerId: 1, agentId: 1 } },
  ],
  rateSlots: [
    { name: 'key_index_gen', key: { key: 1, index: 1, gen: DESC } },
    { name: 'until', key: { until: 1 } },
  ],
  approvals: [
    {
      name: 'request',
      key: { tenantId: 1, agentId: 1, requestHash: 1, status: 1, createdAt: DESC, id: DESC },
    },
    { name: 'tenant_created', key: { tenantId: 1, createdAt: DESC, id: DESC } },
    { name: 'tenant_owner_created', key: { tenantId: 1, ownerId: 1, createdAt: DESC, id: DESC } },
    { name: 'tenant_agent_created', key: { tenantId: 1, agentId: 1, createdAt: DESC, id: DESC } },
    { name: 'status_expiry', key: { status: 1, expiresAt: 1 } },
  ],
  approvalOpen: [{ name: 'request_gen', key: { tenantId: 1, agentId: 1, requestHash: 1, gen: DESC } }],
  approvalDecisions: [],
  approvalGrants: [{ name: 'expiry', key: { expiresAt: 1 } }],
  audit: [
    { name: 'seq_unique', key: { seq: 1 }, unique: true },
    { name: 'tenant_seq', key: { tenantId: 1, seq: 1 } },
    { name: 'tenant_agent_seq', key: { tenantId: 1, agentId: 1, seq: 1 } },
    { name: 'tenant_owner_seq', key: { tenantId: 1, ownerId: 1, seq: 1 } },
    { name: 'tenant_action_seq', key: { tenantId: 1, action: 1, seq: 1 } },
    { name: 'tenant_result_seq', key: { tenantId: 1, result: 1, seq: 1 } },
    // Time ranges; resource prefixes are checked within what these select (as on the embedded engine).
    { name: 'tenant_time_range', key: { tenantId: 1, time: 1 } },
  ],
  auditBatches: [{ name: 'end', key: { end: 1 } }],
  throttleFailures: [{ name: 'key_n', key: { key: 1, n: DESC } }],
  delegations: [
    { name: 'tenant_to_created', key: { tenantId: 1, toAgentId: 1, createdAt: DESC, id: DESC } },
    { name: 'tenant_from_created', key: { tenantId: 1, fromAgentId: 1, createdAt: DESC, id: DESC } },
    { name: 'tenant_ancestors', key: { tenantId: 1, ancestorIds: 1 } },
  ],
  locks: [{ name: 'name_gen', key: { name: 1, gen: DESC } }],
};

/** The typed collections of one database. */
export interface Collections {
  readonly admin: Collection<AdminDoc>;
  readonly users: Collection<UserDoc>;
  readonly sessions: Collection<SessionDoc>;
  readonly sessionEnds: Collection<SessionEndDoc>;
  readonly agents: Collection<AgentDoc>;
  readonly agentQuota: Collection<AgentQuotaDoc>;
  readonly rateSlots: Collection<RateSlotDoc>;
  readonly approvals: Collection<ApprovalDoc>;
  readonly approvalOpen: Collection<ApprovalOpenDoc>;
  readonly approvalDecisions: Collection<ApprovalDecisionDoc>;
  readonly approvalGrants: Collection<ApprovalGrantDoc>;
  readonly audit: Collection<AuditDoc>;
  readonly auditBatches: Collection<AuditBatchDoc>;
  readonly throttleFailures: Collection<ThrottleFailureDoc>;
  readonly delegations: Collection<DelegationDoc>;
  readonly locks: Collection<LockDoc>;
}

export function collectionsOf(db: Db): Collections {
  const n = COLLECTION_NAMES;
  return {
    admin: db.collection<AdminDoc>(n.admin),
    users: db.collection<UserDoc>(n.users),
    sessions: db.collection<SessionDoc>(n.sessions),
    sessionEnds: db.collection<SessionEndDoc>(n.sessionEnds),
    agents: db.collection<AgentDoc>(n.agents),
    agentQuota: db.collection<AgentQuotaDoc>(n.agentQuota),
    rateSlots: db.collection<RateSlotDoc>(n.rateSlots),
    approvals: db.collection<ApprovalDoc>(n.approvals),
    approvalOpen: db.collection<ApprovalOpenDoc>(n.approvalOpen),
    approvalDecisions: db.collection<ApprovalDecisionDoc>(n.approvalDecisions),
    approvalGrants: db.collection<ApprovalGrantDoc>(n.approvalGrants),
    audit: db.collection<AuditDoc>(n.audit),
    auditBatches: db.collection<AuditBatchDoc>(n.auditBatches),
    throttleFailures: db.collection<ThrottleFailureDoc>(n.throttleFailures),
    delegations: db.collection<DelegationDoc>(n.delegations),
    locks: db.collection<LockDoc>(n.locks),
  };
}

/**
 * Indexes an earlier version created and this one no longer wants: dropped at start-up where
 * present, so that no write keeps paying for them. (QueryAudit pages by seq since the audit
 * indexes were trimmed to make appends cheaper.)
 */
const RETIRED_INDEXES: Partial<Record<CollectionName, readonly string[]>> = {
  audit: ['tenant_time', 'tenant_agent_time', 'tenant_owner_time', 'tenant_action_time', 'tenant_result_time', 'tenant_resource'],
};

/** `IndexNotFound`: another replica dropped the retired index first. */
const INDEX_NOT_FOUND = 27;

/** `NamespaceExists`: another replica created the collection first. */
const NAMESPACE_EXISTS = 48;

/**
 * Creates every missing collection and index, and drops retired ones (RETIRED_INDEXES). Existing
 * ones are left alone, so starting a replica against a live database is a few cheap reads. An
 * index that exists under the same name with a different definition fails on MongoDB (codes
 * 85/86), which is the honest outcome: the schema changed incompatibly and needs a migration.
 *
 * Only what is missing is created: FerretDB v1 drops the connection (an internal panic) when two
 * `createIndexes` run on one existing collection at once. Replicas starting together can still
 * collide on a fresh database; the caller retries start-up on a dropped connection, and the
 * second pass finds everything in place.
 */
export async function ensureSchema(db: Db, logger?: Logger): Promise<void> {
  const existing = new Set(
    (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => (c as { name: string }).name),
  );
  const keys = Object.keys(COLLECTION_NAMES) as CollectionName[];
  const created = keys.filter((key) => !existing.has(COLLECTION_NAMES[key])).map((key) => COLLECTION_NAMES[key]);
  // Missing collections are created in parallel (each by one command: createIndexes creates
  // its collection), which FerretDB handles; indexes missing on existing collections are added
  // one collection at a time.
  await Promise.all(
    keys.filter((key) => !existing.has(COLLECTION_NAMES[key])).map((key) => createMissing(db, key, INDEXES[key])),
  );
  for (const key of keys.filter((k) => existing.has(COLLECTION_NAMES[k]))) {
    const collection = db.collection(COLLECTION_NAMES[key]);
    const present = new Set((await collection.listIndexes().toArray()).map((i) => String(i.name)));
    const missing = INDEXES[key].filter((s) => !present.has(s.name));
    if (missing.length > 0) await collection.createIndexes(missing.map(indexDescription));
    for (const retired of RETIRED_INDEXES[key] ?? []) {
      if (!present.has(retired)) continue;
      await collection.dropIndex(retired).catch((err: unknown) => {
        if ((err as { code?: unknown }).code !== INDEX_NOT_FOUND) throw err;
      });
    }
  }
  if (created.length > 0) logger?.info({ database: db.databaseName, created }, 'created mongo collections');
}

function indexDescription(spec: IndexSpec) {
  return { name: spec.name, key: { ...spec.key }, ...(spec.unique === true ? { unique: true } : {}) };
}

async function createMissing(db: Db, key: CollectionName, specs: readonly IndexSpec[]): Promise<void> {
  const name = COLLECTION_NAMES[key];
  if (specs.length > 0) {
    await db.collection(name).createIndexes(specs.map(indexDescription));
    return;
  }
  try {
    await db.createCollection(name);
  } catch (err) {
    if ((err as { code?: unknown }).code !== NAMESPACE_EXISTS) throw err;
  }
}
