/**
 * The records Kavach keeps, as every layer sees them: the store contract (`store/store.ts`) reads
 * and writes them, use cases and the API map them. They live in the domain so that no layer
 * above the store has to import the store contract to name a record.
 */
import type { Actor, AgentType, ApprovalStatus, Arguments, AuditResult, Permission, ReasonCode, StoredAgentStatus } from './types.js';

export interface UserRecord {
  readonly id: string;
  readonly tenantId: string;
  /** Normalised to lower case by the caller; unique per tenant. */
  readonly email: string;
  readonly name: string;
  /** Self-describing password hash (algorithm and parameters included). */
  readonly passwordHash: string;
  readonly createdAt: Date;
}

export interface SessionRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly userId: string;
  /** SHA-256 hex of the session token; unique across all tenants. */
  readonly tokenHash: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly idleExpiresAt: Date;
  readonly lastUsedAt: Date;
  /** Set when the session was ended by sign-out; an ended session never becomes live again. */
  readonly endedAt?: Date | undefined;
}

export interface AgentRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly ownerId: string;
  readonly name: string;
  readonly type: AgentType;
  /** `expired` is never stored: it is `active` with `expiresAt` in the past. */
  readonly status: StoredAgentStatus;
  readonly permissions: readonly Permission[];
  readonly metadata: Readonly<Record<string, string>>;
  /** SHA-256 hex of the current token; unique across all tenants. */
  readonly tokenHash: string;
  /** The first characters of the current token, safe to show. */
  readonly tokenPrefix: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly expiresAt?: Date | undefined;
  readonly revokedAt?: Date | undefined;
}

export interface ApprovalRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly agentId: string;
  readonly ownerId: string;
  readonly action: string;
  readonly resource: string;
  /** Redacted arguments, for humans. */
  readonly arguments: Arguments;
  /** Hash of (agent, action, resource, canonical arguments): what a later call must match. */
  readonly requestHash: string;
  /** Stored status; `expired` may be stored by `expirePending` or computed at read time. */
  readonly status: ApprovalStatus;
  readonly createdAt: Date;
  /** Deadline to decide while pending; deadline to use once approved. */
  readonly expiresAt: Date;
  readonly decidedAt?: Date | undefined;
  readonly decidedBy?: Actor | undefined;
  readonly reason?: string | undefined;
}

export interface AuditRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly time: Date;
  readonly actor: Actor;
  readonly agentId: string;
  readonly ownerId: string;
  readonly action: string;
  readonly resource: string;
  /** Already redacted by the caller. */
  readonly arguments: Arguments;
  readonly result: AuditResult;
  /** Empty for non-decision events. */
  readonly reason: ReasonCode | '';
  readonly message: string;
  readonly clientIp: string;
  readonly delegationChain: readonly string[];
  readonly durationUs: number;
  readonly approvalId: string;
}

/** An entry as stored: with the global sequence number the store gave it at append time. */
export type StoredAuditRecord = AuditRecord & {
  /**
   * Position in the global log (all tenants), assigned by `append`: 1, 2, 3, ... with no gaps.
   * For every reader, the readable seqs are always one contiguous range (`oldestSeq()` to
   * `headSeq()`): when an entry with seq s is readable, every retained entry with a smaller seq is
   * readable too. So "every entry after seq c" is exact, ordered and never misses one.
   */
  readonly seq: number;
};

export interface ThrottleState {
  /** Consecutive failures counted since the last reset. */
  readonly failures: number;
  /** Attempts are refused until this time; undefined when not blocked. */
  readonly blockedUntil?: Date | undefined;
}

export interface DelegationRecord {
  readonly id: string;
  readonly tenantId: string;
  /** The owner of the from-agent. */
  readonly ownerId: string;
  readonly fromAgentId: string;
  readonly toAgentId: string;
  /** The delegated permissions, with every inherited constraint already merged in. */
  readonly permissions: readonly Permission[];
  /** Hops from the root holder: 1 when the from-agent delegates its own permissions. */
  readonly depth: number;
  /** The largest depth any chain through this delegation may reach (already capped by the chain). */
  readonly maxDepth: number;
  /**
   * The delegations above this one, root first: empty at depth 1, `depth - 1` ids otherwise.
   * Stored with the record so that a chain is read in one query, never walked.
   */
  readonly ancestorIds: readonly string[];
  /**
   * The agents that gave along the chain, root holder first and the from-agent last: `depth`
   * ids. The acting agent's full chain is this plus `toAgentId`.
   */
  readonly agentChain: readonly string[];
  /** `expired` is never stored: it is `active` with `expiresAt` in the past. */
  readonly status: 'active' | 'revoked';
  readonly createdAt: Date;
  readonly expiresAt?: Date | undefined;
  readonly revokedAt?: Date | undefined;
}
