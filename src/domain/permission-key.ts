/**
 * A stable identity for a permission. The app layer keys rate-limit counters and pending
 * approvals by it, so it must not depend on list position or on the order in which set-like
 * fields were written.
 */
import { createHash } from 'node:crypto';
import { canonicalArgPatterns } from './arg-patterns.js';
import type { ArgumentRule, Permission } from './types.js';
import { WEEKDAYS } from './types.js';

/**
 * The canonical JSON text of `perm`: actions, IP entries, days, rules and allowed values are
 * sorted and de-duplicated where order carries no meaning, and an empty zone reads as `UTC`.
 * Two permissions with the same meaning have the same canonical text.
 */
export function canonicalPermission(perm: Permission): string {
  const c = perm.constraints;
  const tw = c.timeWindow;
  return JSON.stringify({
    resource: perm.resource,
    actions: sortedUnique(perm.actions),
    max_calls_per_hour: c.maxCallsPerHour ?? null,
    ip_allowlist: sortedUnique(c.ipAllowlist),
    time_window:
      tw === undefined
        ? null
        : {
            start: tw.start,
            end: tw.end,
            days: WEEKDAYS.filter((d) => tw.days.includes(d)),
            time_zone: tw.timeZone === '' ? 'UTC' : tw.timeZone,
          },
    argument_rules: [...c.argumentRules].sort(byName).map(canonicalRule),
    require_approval: c.requireApproval,
    // Only when set, so that the keys (and rate-limit counters) of every other permission stay as they were.
    ...((c.allowedArgPatterns?.length ?? 0) > 0 ? { allowed_arg_patterns: canonicalArgPatterns(c.allowedArgPatterns) } : {}),
  });
}

function canonicalRule(rule: ArgumentRule): unknown {
  switch (rule.kind) {
    case 'glob':
      return { name: rule.name, glob: rule.glob };
    case 'values':
      return { name: rule.name, values: sortedUnique(rule.values) };
    case 'range':
      return { name: rule.name, min: rule.min ?? null, max: rule.max ?? null };
    default:
      return { name: (rule as { name: string }).name };
  }
}

function byName(a: ArgumentRule, b: ArgumentRule): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function sortedUnique(values: readonly string[]): string[] {
  // Code-unit order, not localeCompare, so the key never depends on the process locale.
  return [...new Set(values)].sort();
}

/**
 * A short stable key for `perm`: the first 16 base64url characters (96 bits) of the SHA-256
 * of its canonical JSON. Equal for permissions with the same meaning, on every replica and
 * across restarts; different, with overwhelming probability, for any other permission.
 */
export function permissionKey(perm: Permission): string {
  return createHash('sha256').update(canonicalPermission(perm)).digest('base64url').slice(0, 16);
}
