/**
 * The shapes a decision plan takes (see `planDecision`), and the human messages for each
 * denial reason. Messages are short, never include argument values, and name at most an
 * argument, since the agent that made the request reads them.
 *
 * A compiled permission carries its own plans (so deciding allocates nothing), and a plan names
 * the permission it is about: the two types refer to each other, so both are declared here and
 * `permission-set.ts` (which compiles them) imports this module, never the other way round.
 */
import type { CompiledArgPatterns } from './arg-patterns.js';
import type { CompiledArgumentRules } from './argument-rules.js';
import type { CompiledIpAllowlist } from './ip.js';
import type { CompiledPattern } from './pattern.js';
import type { CompiledTimeWindow } from './time-window.js';
import type { Permission, ReasonCode } from './types.js';

/** One permission, compiled. Immutable. */
export interface CompiledPermission {
  /** Position in the list given to `compilePermissionSet`. */
  readonly index: number;
  /** The source permission. */
  readonly permission: Permission;
  /** Stable key (`permissionKey`): same permission, same key, wherever it sits in the list. */
  readonly key: string;
  readonly pattern: CompiledPattern;
  /** True when the permission grants every action (`*`). */
  readonly anyAction: boolean;
  /** Undefined when the allowlist is empty (any IP). */
  readonly ipAllowlist: CompiledIpAllowlist | undefined;
  readonly timeWindow: CompiledTimeWindow | undefined;
  /** Undefined when there are no argument rules. */
  readonly argumentRules: CompiledArgumentRules | undefined;
  /** Undefined when there are no allowed argument patterns. */
  readonly argPatterns: CompiledArgPatterns | undefined;
  readonly maxCallsPerHour: number | undefined;
  readonly requireApproval: boolean;
  /** True when a decision needs the store: a rate limit, an approval, or both. */
  readonly stateful: boolean;
  /** The plan returned when this permission allows. */
  readonly allowPlan: AllowPlan;
  /** The plans returned when this permission is the most specific and fails a static check. */
  readonly ipDenial: DenyPlan;
  readonly timeDenial: DenyPlan;
  /** One per argument rule, in rule order: the argument's value is refused. */
  readonly argumentDenials: readonly DenyPlan[];
  /** One per argument rule, in rule order: the request lacks the argument. */
  readonly argumentMissing: readonly DenyPlan[];
  /** The denial for argument `name` matching none of the allowed argument patterns. */
  argPatternDenial(name: string): DenyPlan;
}

/** Some permission passes every constraint and needs nothing from the store: allow. */
export interface AllowPlan {
  readonly kind: 'allow';
  /** The permission that allows, the most specific such one. */
  readonly permission: CompiledPermission;
}

/** No permission passes: deny with `reason`, with nothing to consult. */
export interface DenyPlan {
  readonly kind: 'deny';
  readonly reason: ReasonCode;
  readonly message: string;
  /** The most specific matching permission, whose failure `reason` is; none when nothing matched. */
  readonly permission: CompiledPermission | undefined;
}

/**
 * No permission allows on its own, but `candidates` pass every static constraint and need a
 * rate-limit slot (`max_calls_per_hour`) and/or an approval (`require_approval`) from the
 * store. The request is allowed when any candidate gets what it needs. Candidates are ordered
 * most specific first, so the first one is the one whose reason to report when none allows.
 *
 * `denial` is set when a permission more specific than every candidate failed a static check;
 * when no candidate allows, that denial is the answer. When it is undefined, `candidates[0]` is
 * the most specific matching permission and its own outcome (`RATE_LIMITED` or
 * `APPROVAL_REQUIRED`) is the answer. The app layer should look for an allowing candidate
 * before it creates any approval, so that a rate-limited permission with a free slot does not
 * leave an approval pending behind it.
 */
export interface StatefulPlan {
  readonly kind: 'stateful';
  readonly candidates: readonly CompiledPermission[];
  readonly denial: DenyPlan | undefined;
}

/** What `planDecision` returns. */
export type DecisionPlan = AllowPlan | DenyPlan | StatefulPlan;

/** Messages for every decision reason, for the engine and for the app layer's stateful part. */
export const DECISION_MESSAGES = Object.freeze({
  ALLOWED: 'allowed',
  NO_MATCHING_PERMISSION: 'no permission grants this action on this resource',
  IP_NOT_ALLOWED: "the client IP is not in the permission's allowlist",
  OUTSIDE_TIME_WINDOW: "the request is outside the permission's time window",
  RATE_LIMITED: "the permission's hourly call limit is reached",
  APPROVAL_REQUIRED: 'the request needs a human approval',
  AGENT_NOT_FOUND: 'the agent does not exist or is not visible to the caller',
  AGENT_REVOKED: 'the agent has been revoked',
  AGENT_EXPIRED: 'the agent has expired',
} satisfies Partial<Record<ReasonCode, string>>);

/** The message for an argument rule failing on `argument`. It names the argument, never its value. */
export function argumentRejectedMessage(argument: string): string {
  return `argument ${JSON.stringify(argument)} is not allowed by the permission's rules`;
}

const RULE_NAMES = { glob: 'glob', values: 'allowed-values', range: 'range' } as const;

/**
 * The message for an argument that a rule names but the request lacks: told apart from a value
 * the rule refuses, so a caller knows to send the argument rather than change it.
 */
export function argumentMissingMessage(argument: string, ruleKind: keyof typeof RULE_NAMES): string {
  const name = JSON.stringify(argument);
  return `argument ${name} is required by the permission's ${RULE_NAMES[ruleKind]} rule on ${name}, and the request does not have it`;
}

/** The plan for a request that no permission matches. Shared and frozen. */
export const NO_MATCH: DenyPlan = Object.freeze({
  kind: 'deny',
  reason: 'NO_MATCHING_PERMISSION',
  message: DECISION_MESSAGES.NO_MATCHING_PERMISSION,
  permission: undefined,
});
