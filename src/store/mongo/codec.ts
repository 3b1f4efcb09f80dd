/**
 * The one place where domain records become documents and back.
 *
 * Conventions (portable to MongoDB 6+ and FerretDB v1):
 * - `_id` is a string key built by `docKey` from the record's natural key, usually
 *   (tenantId, id), so the primary key is also the "unique id per tenant" constraint, and a
 *   lookup by it is the one query FerretDB pushes down.
 * - Times are BSON Dates (millisecond precision, exactly what the contract asks).
 * - Optional fields are stored as explicit `null`, never left out (a missing field behaves
 *   differently in unique indexes on FerretDB and MongoDB).
 * - Opaque structured values (permissions, metadata, arguments, delegation chains) are JSON
 *   strings: they are never queried, and as JSON they can hold nested arrays and keys with `.`
 *   or `$`, which FerretDB rejects in documents.
 */
import type {
  Actor,
  ActorKind,
  AgentType,
  ApprovalStatus,
  Arguments,
  AuditResult,
  Permission,
  ReasonCode,
  StoredAgentStatus,
} from '../../domain/types.js';
import type {
  AgentRecord,
  ApprovalRecord,
  AuditRecord,
  DelegationRecord,
  SessionRecord,
  StoredAuditRecord,
  UserRecord,
} from '../../domain/records.js';

/**
 * A collision-free string key from its parts: the JSON array of them. (A plain separator would
 * be ambiguous, since tenant ids, keys and hashes are caller-supplied strings.)
 */
export function docKey(...parts: readonly (string | number)[]): string {
  return JSON.stringify(parts);
}

function dateOrNull(date: Date | undefined): Date | null {
  return date === undefined ? null : new Date(date.getTime());
}

/** Copies a stored Date, so records never share a Date with the driver's result. */
function date(value: Date): Date {
  return new Date(value.getTime());
}

function parse<T>(text: string): T {
  return JSON.parse(text) as T;
}

// ---------------------------------------------------------------------------------------------
// Admin

export interface AdminDoc {
  _id: 'admin';
  tokenHash: string;
}

// ---------------------------------------------------------------------------------------------
// Users

export interface UserDoc {
  _id: string;
  tenantId: string;
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  createdAt: Date;
}

export function userToDoc(user: UserRecord): UserDoc {
  return {
    _id: docKey(user.tenantId, user.id),
    tenantId: user.tenantId,
    id: user.id,
    email: user.email,
    name: user.name,
    passwordHash: user.passwordHash,
    createdAt: date(user.createdAt),
  };
}

export function userFromDoc(doc: UserDoc): UserRecord {
  return {
    id: doc.id,
    tenantId: doc.tenantId,
    email: doc.email,
    name: doc.name,
    passwordHash: doc.passwordHash,
    createdAt: date(doc.createdAt),
  };
}

// ---------------------------------------------------------------------------------------------
// Sessions: the session document never holds the end; an end is its own document, written
// once by an insert, so a concurrent `touch` (a whole-document write on FerretDB) can never
// undo it.

export interface SessionDoc {
  _id: string;
  tenantId: string;
  id: string;
  userId: string;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  idleExpiresAt: Date;
  lastUsedAt: Date;
}

export interface SessionEndDoc {
  /** The session's `_id`. */
  _id: string;
  tenantId: string;
  userId: string;
  endedAt: Date;
}

export function sessionToDoc(s: SessionRecord): SessionDoc {
  return {
    _id: docKey(s.tenantId, s.id),
    tenantId: s.tenantId,
    id: s.id,
    userId: s.userId,
    tokenHash: s.tokenHash,
    createdAt: date(s.createdAt),
    expiresAt: date(s.expiresAt),
    idleExpiresAt: date(s.idleExpiresAt),
    lastUsedAt: date(s.lastUsedAt),
  };
}

export function sessionEndToDoc(s: { tenantId: string; id: string; userId: string }, endedAt: Date): SessionEndDoc {
  return { _id: docKey(s.tenantId, s.id), tenantId: s.tenantId, userId: s.userId, endedAt: date(endedAt) };
}

export function sessionFromDoc(doc: SessionDoc, end: SessionEndDoc | null): SessionRecord {
  return {
    id: doc.id,
    tenantId: doc.tenantId,
    userId: doc.userId,
    tokenHash: doc.tokenHash,
    createdAt: date(doc.createdAt),
    expiresAt: date(doc.expiresAt),
    idleExpiresAt: date(doc.idleExpiresAt),
    lastUsedAt: date(doc.lastUsedAt),
    ...(end === null ? {} : { endedAt: date(end.endedAt) }),
  };
}

// ---------------------------------------------------------------------------------------------
// Agents and their quota slots

export interface AgentDoc {
  _id: string;
  tenantId: string;
  id: string;
  ownerId: string;
  name: string;
  type: string;
  status: string;
  /** JSON of `Permission[]`. */
  permissions: string;
  /** JSON of `Record<string, string>`. */
  metadata: string;
  tokenHash: string;
  tokenPrefix: string;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export function agentToDoc(a: AgentRecord): AgentDoc {
  return {
    _id: docKey(a.tenantId, a.id),
    tenantId: a.tenantId,
    id: a.id,
    ownerId: a.ownerId,
    name: a.name,
    type: a.type,
    status: a.status,
    permissions: JSON.stringify(a.permissions),
    metadata: JSON.stringify(a.metadata),
    tokenHash: a.tokenHash,
    tokenPrefix: a.tokenPrefix,
    createdAt: date(a.createdAt),
    updatedAt: date(a.updatedAt),
    expiresAt: dateOrNull(a.expiresAt),
    revokedAt: dateOrNull(a.revokedAt),
  };
}

export function agentFromDoc(doc: AgentDoc): AgentRecord {
  return {
    id: doc.id,
    tenantId: doc.tenantId,
    ownerId: doc.ownerId,
    name: doc.name,
    type: doc.type as AgentType,
    status: doc.status as StoredAgentStatus,
    permissions: parse<Permission[]>(doc.permissions),
    metadata: parse<Record<string, string>>(doc.metadata),
    tokenHash: doc.tokenHash,
    tokenPrefix: doc.tokenPrefix,
    createdAt: date(doc.createdAt),
    updatedAt: date(doc.updatedAt),
    ...(doc.expiresAt === null || doc.expiresAt === undefined ? {} : { expiresAt: date(doc.expiresAt) }),
    ...(doc.revokedAt === null || doc.revokedAt === undefined ? {} : { revokedAt: date(doc.revokedAt) }),
  };
}

/**
 * The n-th agent created for an owner (n = 1, 2, ...): `_id` is (tenantId, ownerId, n), so
 * each ordinal is claimed by exactly one create, and a create claims n only after reading
 * every earlier one (see agents.ts). It records whether its agent still counts against the
 * quota: not `released` (revoked) and `expiresAt` (a copy of the agent's) unset or ahead.
 * These documents are never deleted, so an `_id` is never reused.
 */
export interface AgentQuotaDoc {
  _id: string;
  tenantId: string;
  ownerId: string;
  n: number;
  agentId: string;
  expiresAt: Date | null;
  released: boolean;
  /**
   * Wall-clock time of the claim. An entry whose agent document does not exist is only treated
   * as abandoned (its creator died between the two inserts) once this is well in the past.
   */
  claimedAt: Date;
}

export function agentQuotaKey(tenantId: string, ownerId: string, n: number): string {
  return docKey(tenantId, ownerId, n);
}

// ---------------------------------------------------------------------------------------------
// Rate limits

/**
 * One holding of one slot of a rate-limit key: `_id` is (key, index, gen). A window of `limit`
 * calls has slots 0..limit-1; the newest generation of a slot is its state, and the slot is
 * free when that holding left the window or was released. Taking a free slot is inserting the
 * next generation, so each holding is taken by exactly one caller (see rate-limits.ts).
 * Immutable except for `released`, which only its holder sets.
 */
export interface RateSlotDoc {
  _id: string;
  key: string;
  index: number;
  gen: number;
  /** The slot id handed to the caller. */
  token: string;
  at: Date;
  /** `at + windowMs`: after this the holding no longer counts (kept a while, then swept). */
  until: Date;
  released: boolean;
}

export function rateSlotKey(key: string, index: number, gen: number): string {
  return docKey(key, index, gen);
}

// ---------------------------------------------------------------------------------------------
// Approvals

export interface ApprovalDoc {
  _id: string;
  tenantId: string;
  id: string;
  agentId: string;
  ownerId: string;
  action: string;
  resource: string;
  /** JSON of `Arguments`. */
  arguments: string;
  requestHash: string;
  status: string;
  createdAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
  decidedBy: { kind: string; id: string } | null;
  reason: string | null;
}

export function approvalToDoc(a: ApprovalRecord): ApprovalDoc {
  return {
    _id: docKey(a.tenantId, a.id),
    tenantId: a.tenantId,
    id: a.id,
    agentId: a.agentId,
    ownerId: a.ownerId,
    action: a.action,
    resource: a.resource,
    arguments: JSON.stringify(a.arguments),
    requestHash: a.requestHash,
    status: a.status,
    createdAt: date(a.createdAt),
    expiresAt: date(a.expiresAt),
    decidedAt: dateOrNull(a.decidedAt),
    decidedBy: a.decidedBy === undefined ? null : { kind: a.decidedBy.kind, id: a.decidedBy.id },
    reason: a.reason ?? null,
  };
}

/** Maps a document; with `now`, a pending or approved one past its deadline reads as `expired`. */
export function approvalFromDoc(doc: ApprovalDoc, now?: Date): ApprovalRecord {
  const stored = doc.status as ApprovalStatus;
  const lapsed =
    now !== undefined && (stored === 'pending' || stored === 'approved') && doc.expiresAt.getTime() <= now.getTime();
  return {
    id: doc.id,
    tenantId: doc.tenantId,
    agentId: doc.agentId,
    ownerId: doc.ownerId,
    action: doc.action,
    resource: doc.resource,
    arguments: parse<Arguments>(doc.arguments),
    requestHash: doc.requestHash,
    status: lapsed ? 'expired' : stored,
    createdAt: date(doc.createdAt),
    expiresAt: date(doc.expiresAt),
    ...(doc.decidedAt === null || doc.decidedAt === undefined ? {} : { decidedAt: date(doc.decidedAt) }),
    ...(doc.decidedBy === null || doc.decidedBy === undefined
      ? {}
      : { decidedBy: { kind: doc.decidedBy.kind as ActorKind, id: doc.decidedBy.id } }),
    ...(doc.reason === null || doc.reason === undefined ? {} : { reason: doc.reason }),
  };
}

/**
 * The g-th approval opened for a request (tenant, agent, request hash): `_id` includes g, so
 * each generation is opened by exactly one caller. The newest generation is the request's
 * current approval; a new one is opened (g + 1) only once it is no longer pending. It holds a
 * copy of the approval, so a caller that loses the race can complete the winner's insert of
 * the approval itself instead of waiting for it. Never deleted, so an `_id` is never reused.
 */
export interface ApprovalOpenDoc {
  _id: string;
  tenantId: string;
  agentId: string;
  requestHash: string;
  gen: number;
  approvalId: string;
  approval: ApprovalDoc;
}

export function approvalOpenKey(tenantId: string, agentId: string, requestHash: string, gen: number): string {
  return docKey(tenantId, agentId, requestHash, gen);
}

/**
 * The decision of an approval, inserted once: whoever inserts it (a human decision or the
 * expiry sweep) is the only one who may change the approval's status from pending.
 */
export interface ApprovalDecisionDoc {
  /** The approval's `_id`. */
  _id: string;
  status: 'approved' | 'denied' | 'expired';
  at: Date;
  by: { kind: string; id: string };
  /** null for a system expiry. */
  reason: string | null;
  /** The approval's new `expiresAt` (the use-by time when approved, else unchanged). */
  expiresAt: Date;
}

/** The fields a decision sets on the approval document. */
export function decisionFields(d: ApprovalDecisionDoc): Pick<ApprovalDoc, 'status' | 'decidedAt' | 'decidedBy' | 'reason' | 'expiresAt'> {
  return {
    status: d.status,
    decidedAt: date(d.at),
    decidedBy: { kind: d.by.kind, id: d.by.id },
    reason: d.reason,
    expiresAt: date(d.expiresAt),
  };
}

/** The record as it is once `decision` is applied to `doc`. */
export function applyDecision(doc: ApprovalDoc, decision: ApprovalDecisionDoc): ApprovalDoc {
  return { ...doc, ...decisionFields(decision) };
}

/**
 * The right to use an approved approval once: inserted when it is approved, deleted by the
 * one consumer whose `deleteOne` reports it (`expiresAt` is the use-by time).
 */
export interface ApprovalGrantDoc {
  /** The approval's `_id`. */
  _id: string;
  expiresAt: Date;
}

// ---------------------------------------------------------------------------------------------
// Audit

export interface AuditDoc {
  _id: string;
  tenantId: string;
  id: string;
  /** Position in the global log (audit.ts explains how it is assigned). */
  seq: number;
  time: Date;
  actor: { kind: string; id: string };
  agentId: string;
  ownerId: string;
  action: string;
  resource: string;
  /** JSON of `Arguments`. */
  arguments: string;
  result: string;
  reason: string;
  message: string;
  clientIp: string;
  /** JSON of `string[]`. */
  delegationChain: string;
  durationUs: number;
  approvalId: string;
}

export function auditToDoc(e: AuditRecord, seq: number): AuditDoc {
  return {
    _id: docKey(e.tenantId, e.id),
    tenantId: e.tenantId,
    id: e.id,
    seq,
    time: date(e.time),
    actor: { kind: e.actor.kind, id: e.actor.id },
    agentId: e.agentId,
    ownerId: e.ownerId,
    action: e.action,
    resource: e.resource,
    arguments: JSON.stringify(e.arguments),
    result: e.result,
    reason: e.reason,
    message: e.message,
    clientIp: e.clientIp,
    delegationChain: JSON.stringify(e.delegationChain),
    durationUs: e.durationUs,
    approvalId: e.approvalId,
  };
}

export function auditFromDoc(doc: AuditDoc): AuditRecord {
  const actor: Actor = { kind: doc.actor.kind as ActorKind, id: doc.actor.id };
  return {
    id: doc.id,
    tenantId: doc.tenantId,
    time: date(doc.time),
    actor,
    agentId: doc.agentId,
    ownerId: doc.ownerId,
    action: doc.action,
    resource: doc.resource,
    arguments: parse<Arguments>(doc.arguments),
    result: doc.result as AuditResult,
    reason: doc.reason as ReasonCode | '',
    message: doc.message,
    clientIp: doc.clientIp,
    delegationChain: parse<string[]>(doc.delegationChain),
    durationUs: doc.durationUs,
    approvalId: doc.approvalId,
  };
}

export function storedAuditFromDoc(doc: AuditDoc): StoredAuditRecord {
  return { ...auditFromDoc(doc), seq: doc.seq };
}

/**
 * One append's slice of the global log: seqs `_id` (the first) to `end`. Inserting it reserves
 * the range; it carries its entries until they are written as `audit` documents (`done`), so
 * whoever appends next can finish the job of an appender that died half-way.
 */
export interface AuditBatchDoc {
  /** The first seq of the batch. */
  _id: number;
  end: number;
  done: boolean;
  /** Removed once written. */
  entries?: AuditDoc[];
}

// ---------------------------------------------------------------------------------------------
// Delegations

export interface DelegationDoc {
  _id: string;
  tenantId: string;
  id: string;
  ownerId: string;
  fromAgentId: string;
  toAgentId: string;
  /** JSON of `Permission[]`. */
  permissions: string;
  depth: number;
  maxDepth: number;
  /** A plain array of strings (no nesting): the cascading revoke queries it by element. */
  ancestorIds: string[];
  /** JSON of `string[]`. */
  agentChain: string;
  status: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export function delegationToDoc(d: DelegationRecord): DelegationDoc {
  return {
    _id: docKey(d.tenantId, d.id),
    tenantId: d.tenantId,
    id: d.id,
    ownerId: d.ownerId,
    fromAgentId: d.fromAgentId,
    toAgentId: d.toAgentId,
    permissions: JSON.stringify(d.permissions),
    depth: d.depth,
    maxDepth: d.maxDepth,
    ancestorIds: [...d.ancestorIds],
    agentChain: JSON.stringify(d.agentChain),
    status: d.status,
    createdAt: date(d.createdAt),
    expiresAt: dateOrNull(d.expiresAt),
    revokedAt: dateOrNull(d.revokedAt),
  };
}

export function delegationFromDoc(doc: DelegationDoc): DelegationRecord {
  return {
    id: doc.id,
    tenantId: doc.tenantId,
    ownerId: doc.ownerId,
    fromAgentId: doc.fromAgentId,
    toAgentId: doc.toAgentId,
    permissions: parse<Permission[]>(doc.permissions),
    depth: doc.depth,
    maxDepth: doc.maxDepth,
    ancestorIds: [...doc.ancestorIds],
    agentChain: parse<string[]>(doc.agentChain),
    status: doc.status === 'revoked' ? 'revoked' : 'active',
    createdAt: date(doc.createdAt),
    ...(doc.expiresAt === null || doc.expiresAt === undefined ? {} : { expiresAt: date(doc.expiresAt) }),
    ...(doc.revokedAt === null || doc.revokedAt === undefined ? {} : { revokedAt: date(doc.revokedAt) }),
  };
}

// ---------------------------------------------------------------------------------------------
// Throttles

/**
 * One counted sign-in failure: `_id` is (key, n), so the n-th failure since the last reset is
 * claimed by exactly one caller. The state of a key is its highest n and that failure's block.
 */
export interface ThrottleFailureDoc {
  _id: string;
  key: string;
  n: number;
  at: Date;
  blockedUntil: Date | null;
}

export function throttleFailureKey(key: string, n: number): string {
  return docKey(key, n);
}

// ---------------------------------------------------------------------------------------------
// Locks

/**
 * The g-th holding of a named write lock (see locks.ts): `_id` is (name, g), so each holding is
 * taken by exactly one caller. The newest holding is the lock's state: held until `released`
 * or until its lease (`expiresAt`, wall clock) runs out.
 */
export interface LockDoc {
  _id: string;
  name: string;
  gen: number;
  token: string;
  expiresAt: Date;
  released: boolean;
}

export function lockKey(name: string, gen: number): string {
  return docKey(name, gen);
}
