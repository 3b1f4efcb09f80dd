/**
 * A permission list compiled once (patterns, globs, CIDRs, windows, rankings and even the
 * plans a decision returns), so that deciding allocates next to nothing. Compile when an
 * agent's permissions are loaded and keep the set with the cached agent.
 */
import { compileArgPatterns } from './arg-patterns.js';
import { compileArgumentRules } from './argument-rules.js';
import { compileIpAllowlist } from './ip.js';
import { compilePattern } from './pattern.js';
import { ANY_ACTION } from './permission.js';
import { permissionKey } from './permission-key.js';
import {
  argumentMissingMessage,
  argumentRejectedMessage,
  DECISION_MESSAGES,
  type CompiledPermission,
  type DenyPlan,
} from './plan.js';
import { compileTimeWindow } from './time-window.js';
import type { Permission } from './types.js';

/** A compiled permission list. */
export interface PermissionSet {
  /** Every permission, in input order. */
  readonly permissions: readonly CompiledPermission[];
  /**
   * The permissions that grant `action` (by name or by `*`), most specific first: by pattern
   * specificity, then a named action before `*`, then by key. The order depends only on the
   * permissions, never on their order in the list. Returns a shared array: do not modify it.
   */
  forAction(action: string): readonly CompiledPermission[];
}

/**
 * Compiles `perms`, assumed valid (`validatePermissions`). Invalid parts compile to
 * constraints that fail closed.
 */
export function compilePermissionSet(perms: readonly Permission[]): PermissionSet {
  const permissions = perms.map(compilePermission);
  const ranked = (action: string | undefined): readonly CompiledPermission[] =>
    Object.freeze(
      permissions
        .filter((p) => p.anyAction || (action !== undefined && p.permission.actions.includes(action)))
        .sort((a, b) => compareRank(a, b, action)),
    );
  const byAction = new Map<string, readonly CompiledPermission[]>();
  for (const p of permissions) {
    for (const action of p.permission.actions) {
      if (action !== ANY_ACTION && !byAction.has(action)) byAction.set(action, ranked(action));
    }
  }
  // Actions no permission names are granted only by `*` permissions.
  const anyOnly = ranked(undefined);
  return {
    permissions: Object.freeze(permissions),
    forAction: (action) => byAction.get(action) ?? anyOnly,
  };
}

/** Negative when `a` is more specific than `b` for `action`. */
function compareRank(a: CompiledPermission, b: CompiledPermission, action: string | undefined): number {
  if (a.pattern.specificity !== b.pattern.specificity) return b.pattern.specificity - a.pattern.specificity;
  if (action !== undefined) {
    const an = a.permission.actions.includes(action) ? 1 : 0;
    const bn = b.permission.actions.includes(action) ? 1 : 0;
    if (an !== bn) return bn - an;
  }
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  // Equal keys mean equal meaning, so either order gives the same decision.
  return a.index - b.index;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function compilePermission(permission: Permission, index: number): CompiledPermission {
  const c = permission.constraints;
  const rules = c.argumentRules.length > 0 ? compileArgumentRules(c.argumentRules) : undefined;
  const maxCallsPerHour = c.maxCallsPerHour;
  // The plans refer back to the permission, so the object is filled in two steps.
  const self = {
    index,
    permission,
    key: permissionKey(permission),
    pattern: compilePattern(permission.resource),
    anyAction: permission.actions.includes(ANY_ACTION),
    ipAllowlist: c.ipAllowlist.length > 0 ? compileIpAllowlist(c.ipAllowlist) : undefined,
    timeWindow: c.timeWindow === undefined ? undefined : compileTimeWindow(c.timeWindow),
    argumentRules: rules,
    argPatterns: (c.allowedArgPatterns?.length ?? 0) > 0 ? compileArgPatterns(c.allowedArgPatterns ?? []) : undefined,
    maxCallsPerHour,
    requireApproval: c.requireApproval,
    stateful: maxCallsPerHour !== undefined || c.requireApproval,
  } as Mutable<CompiledPermission>;
  const deny = (reason: DenyPlan['reason'], message: string): DenyPlan =>
    Object.freeze({ kind: 'deny', reason, message, permission: self });
  self.allowPlan = Object.freeze({ kind: 'allow', permission: self });
  self.ipDenial = deny('IP_NOT_ALLOWED', DECISION_MESSAGES.IP_NOT_ALLOWED);
  self.timeDenial = deny('OUTSIDE_TIME_WINDOW', DECISION_MESSAGES.OUTSIDE_TIME_WINDOW);
  self.argumentDenials = Object.freeze(
    (rules?.names ?? []).map((name) => deny('ARGUMENT_REJECTED', argumentRejectedMessage(name))),
  );
  self.argumentMissing = Object.freeze(
    c.argumentRules.map((rule) => deny('ARGUMENT_REJECTED', argumentMissingMessage(rule.name, rule.kind))),
  );
  // Built only when a request fails it: which argument fails is known only then.
  self.argPatternDenial = (name) => deny('ARGUMENT_REJECTED', argumentRejectedMessage(name));
  return Object.freeze(self);
}
