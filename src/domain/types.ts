/**
 * Pure domain types. String unions, no classes with behaviour, nothing transport- or
 * store-specific. Everything above `domain/` speaks these.
 */

export type AgentType = 'autonomous' | 'delegated' | 'service';
export const AGENT_TYPES: readonly AgentType[] = ['autonomous', 'delegated', 'service'];

/** Stored status. `expired` is never stored: it is computed from `expiresAt` at read time. */
export type StoredAgentStatus = 'active' | 'revoked';
export type AgentStatus = 'active' | 'revoked' | 'expired';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export interface TimeWindow {
  /** `HH:MM`, inclusive. */
  readonly start: string;
  /** `HH:MM`, exclusive. When before `start`, the window runs overnight. */
  readonly end: string;
  /** Days on which the window starts. Empty means every day. */
  readonly days: readonly Weekday[];
  /** IANA zone name; `UTC` by default. */
  readonly timeZone: string;
}

export type ArgumentRule =
  | { readonly name: string; readonly kind: 'glob'; readonly glob: string }
  | { readonly name: string; readonly kind: 'values'; readonly values: readonly string[] }
  | { readonly name: string; readonly kind: 'range'; readonly min?: number; readonly max?: number };

export interface Constraints {
  readonly maxCallsPerHour?: number;
  readonly ipAllowlist: readonly string[];
  readonly timeWindow?: TimeWindow;
  readonly argumentRules: readonly ArgumentRule[];
  readonly requireApproval: boolean;
  /**
   * Globs every string-valued top-level argument must match one of (`arg-patterns.ts`).
   * Absent or empty: no such constraint.
   */
  readonly allowedArgPatterns?: readonly string[];
}

export interface Permission {
  readonly resource: string;
  readonly actions: readonly string[];
  readonly constraints: Constraints;
}

/** JSON-like argument values, as carried by `google.protobuf.Struct`. */
export type ArgValue = null | boolean | number | string | ArgValue[] | { [key: string]: ArgValue };
export type Arguments = { readonly [name: string]: ArgValue };

export type ReasonCode =
  | 'ALLOWED'
  | 'NO_MATCHING_PERMISSION'
  | 'RATE_LIMITED'
  | 'ARGUMENT_REJECTED'
  | 'APPROVAL_REQUIRED'
  | 'OUTSIDE_TIME_WINDOW'
  | 'IP_NOT_ALLOWED'
  | 'AGENT_NOT_FOUND'
  | 'AGENT_REVOKED'
  | 'AGENT_EXPIRED'
  | 'INVALID_TOKEN';

export type AuditResult = 'allowed' | 'denied' | 'rate_limited' | 'pending_approval';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'consumed';

export type ActorKind = 'anonymous' | 'admin' | 'user' | 'agent' | 'system';

export interface Actor {
  readonly kind: ActorKind;
  /** User or agent id; `admin`/`system` for those kinds; empty when anonymous. */
  readonly id: string;
}
