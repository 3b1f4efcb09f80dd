/**
 * Delegation rules (docs/ARCHITECTURE.md#delegation): when a parent's permission covers a delegated one, and
 * the delegated permission with the parent's constraints merged in.
 *
 * A parent permission P covers a child permission C when, under the same matcher as Authorize:
 * - P's resource pattern covers C's (`patternCovers`: every resource C matches, P matches);
 * - P grants every action C names (P's `*` covers any action; C's `*` needs P's `*`);
 * - C's constraints can be at least as strict as P's. They are merged, so the child inherits
 *   what it did not restate: `max_calls_per_hour` is the smaller of the two, `require_approval`
 *   is either's, an empty IP allowlist or time window is inherited from P, and argument rules
 *   are the union by name. What cannot be merged refuses the delegation: a child IP entry
 *   outside every parent entry, two different time windows (both set means they must be
 *   equal, since neither window contains the other in general), or two different rules on one
 *   argument name.
 */
import { ipEntryWithin } from './ip.js';
import { canonicalArgPatterns } from './arg-patterns.js';
import { compilePattern, patternCovers, type CompiledPattern } from './pattern.js';
import { ANY_ACTION } from './permission.js';
import { permissionKey } from './permission-key.js';
import type { ArgumentRule, Constraints, Permission, TimeWindow } from './types.js';
import { WEEKDAYS } from './types.js';

/** The hop limit when a delegation names none (`max_depth` 0). */
export const DEFAULT_MAX_DEPTH = 1;
/** The largest `max_depth` a delegation may name. */
export const MAX_DELEGATION_DEPTH = 10;

export type CoverResult =
  | { readonly ok: true; readonly permission: Permission }
  | { readonly ok: false; readonly problem: string };

export type CoverAllResult =
  | { readonly ok: true; readonly permissions: readonly Permission[] }
  | { readonly ok: false; readonly index: number; readonly problem: string };

type Merged<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** How one constraint kind merges a parent's value into a child's: the result, or why it cannot. */
export type MergeRule<K extends keyof Constraints> = (parent: Constraints[K], child: Constraints[K]) => Merged<Constraints[K]>;

const merged = <T>(value: T): Merged<T> => ({ ok: true, value });

/**
 * One merge rule per constraint kind. The type makes every key of `Constraints` required here, so
 * a new constraint without a rule does not compile (and test/unit/domain/constraint-merge.test.ts
 * compares these keys with the proto message's fields): a kind forgotten here would silently drop
 * from every delegated permission and widen access. Rules that can fail are checked in this
 * order, so the first problem reported is stable.
 */
export const CONSTRAINT_MERGE_RULES: { readonly [K in keyof Constraints]-?: MergeRule<K> } = {
  maxCallsPerHour: (parent, child) =>
    merged(parent === undefined ? child : child === undefined ? parent : Math.min(parent, child)),

  ipAllowlist: (parent, child) => {
    if (parent.length === 0) return merged([...child]);
    if (child.length === 0) return merged([...parent]);
    const outside = child.find((entry) => !parent.some((p) => ipEntryWithin(entry, p)));
    if (outside !== undefined) {
      return { ok: false, problem: `ip_allowlist entry ${outside} is not inside the parent's allowlist (${parent.join(', ')})` };
    }
    return merged([...child]);
  },

  timeWindow: (parent, child) => {
    if (parent === undefined || child === undefined) return merged(child ?? parent);
    if (sameTimeWindow(parent, child)) return merged(child);
    return {
      ok: false,
      problem:
        `time_window ${describeWindow(child)} differs from the parent's ${describeWindow(parent)}; ` +
        "when both set a time window they must be equal (leave it unset to inherit the parent's)",
    };
  },

  argumentRules: (parent, child) => {
    const rules = new Map<string, ArgumentRule>();
    for (const rule of parent) rules.set(rule.name, rule);
    for (const rule of child) {
      const inherited = rules.get(rule.name);
      if (inherited === undefined) rules.set(rule.name, rule);
      else if (!sameRule(inherited, rule)) {
        return {
          ok: false,
          problem: `argument rule on ${JSON.stringify(rule.name)} differs from the parent's rule on that argument; a rule on the same argument must be identical`,
        };
      }
    }
    return merged([...rules.values()]);
  },

  requireApproval: (parent, child) => merged(parent || child),

  // Like a time window: a single list cannot hold "one of these AND one of those", so a child
  // either inherits the parent's patterns or repeats them exactly. Unset stays unset, so the
  // permission key of a permission without patterns does not change.
  allowedArgPatterns: (parent, child) => {
    const fromParent = canonicalArgPatterns(parent);
    const fromChild = canonicalArgPatterns(child);
    if (fromParent.length > 0 && fromChild.length > 0 && fromParent.join('\n') !== fromChild.join('\n')) {
      return {
        ok: false,
        problem: "allowed_arg_patterns differ from the parent's; when both set them they must be equal (leave them unset to inherit the parent's)",
      };
    }
    const value = fromParent.length > 0 ? fromParent : fromChild;
    return merged(value.length > 0 ? value : undefined);
  },
};

const CONSTRAINT_KINDS = Object.keys(CONSTRAINT_MERGE_RULES) as (keyof Constraints)[];

/**
 * Merges `parent`'s constraints into `child`'s, or says why they cannot be merged (the child
 * would be looser than the parent in a way merging cannot fix). Pure: decides constraints only.
 * Every kind goes through its rule in `CONSTRAINT_MERGE_RULES`; an unset optional kind stays unset.
 */
export function mergeConstraints(
  parent: Constraints,
  child: Constraints,
): { ok: true; constraints: Constraints } | { ok: false; problem: string } {
  const out: Record<string, unknown> = {};
  for (const kind of CONSTRAINT_KINDS) {
    const rule = CONSTRAINT_MERGE_RULES[kind] as MergeRule<typeof kind>;
    const result = rule(parent[kind], child[kind]);
    if (!result.ok) return result;
    if (result.value !== undefined) out[kind] = result.value;
  }
  return { ok: true, constraints: out as unknown as Constraints };
}

/** True when `parent` grants every action in `actions`. */
function grantsActions(parent: Permission, actions: readonly string[]): boolean {
  if (parent.actions.includes(ANY_ACTION)) return true;
  return actions.every((a) => a !== ANY_ACTION && parent.actions.includes(a));
}

/**
 * Checks that one parent permission covers `child` (resource, actions, constraints) and returns
 * `child` with the parent's constraints merged in, or the problem.
 */
export function coverPermission(parent: Permission, child: Permission): CoverResult {
  if (!patternCovers(parent.resource, child.resource)) {
    return { ok: false, problem: `resource ${child.resource} is not covered by ${parent.resource}` };
  }
  if (!grantsActions(parent, child.actions)) {
    return { ok: false, problem: `actions ${child.actions.join(', ')} are not all granted by ${parent.resource}` };
  }
  const merged = mergeConstraints(parent.constraints, child.constraints);
  if (!merged.ok) return merged;
  return { ok: true, permission: { resource: child.resource, actions: [...child.actions], constraints: merged.constraints } };
}

interface Ranked {
  readonly permission: Permission;
  readonly pattern: CompiledPattern;
  readonly key: string;
}

/** Most specific first, then by key: the choice never depends on the order of `held`. */
function rank(held: readonly Permission[]): Ranked[] {
  return held
    .map((permission) => ({ permission, pattern: compilePattern(permission.resource), key: permissionKey(permission) }))
    .sort((a, b) => b.pattern.specificity - a.pattern.specificity || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Finds one permission in `held` that covers `child` and returns the merged child. When
 * several cover it, the most specific one is used (then the one with the smallest key), so the
 * result does not depend on the order of `held`. When none does, `problem` says how close the
 * best one came, naming `holder` (e.g. `resource mcp:* is not covered by any permission of agt_x`).
 */
export function coverByAny(held: readonly Permission[], child: Permission, holder: string): CoverResult {
  return coverRanked(rank(held), child, holder);
}

function coverRanked(ranked: readonly Ranked[], child: Permission, holder: string): CoverResult {
  const childPattern = compilePattern(child.resource);
  const resourceCovering = ranked.filter((r) => patternCovers(r.pattern, childPattern));
  if (resourceCovering.length === 0) {
    return { ok: false, problem: `resource ${child.resource} is not covered by any permission of ${holder}` };
  }
  const actionCovering = resourceCovering.filter((r) => grantsActions(r.permission, child.actions));
  if (actionCovering.length === 0) {
    const missing = child.actions.find((a) => !resourceCovering.some((r) => grantsActions(r.permission, [a])));
    return {
      ok: false,
      problem:
        missing === undefined
          ? `actions ${child.actions.join(', ')} on ${child.resource} are not all granted by one permission of ${holder}`
          : `action ${missing} on ${child.resource} is not granted by any permission of ${holder}`,
    };
  }
  let firstProblem: string | undefined;
  for (const r of actionCovering) {
    const merged = mergeConstraints(r.permission.constraints, child.constraints);
    if (merged.ok) {
      return { ok: true, permission: { resource: child.resource, actions: [...child.actions], constraints: merged.constraints } };
    }
    firstProblem ??= `constraints are looser than ${holder}'s permission on ${r.permission.resource}: ${merged.problem}`;
  }
  return { ok: false, problem: firstProblem ?? `resource ${child.resource} is not covered by any permission of ${holder}` };
}

/** `coverByAny` for every child, in order, ranking `held` once: one result per child. */
export function coverEach(held: readonly Permission[], children: readonly Permission[], holder: string): CoverResult[] {
  const ranked = rank(held);
  return children.map((child) => coverRanked(ranked, child, holder));
}

/** `coverByAny` for every child, in order; stops at the first that fails and names its index. */
export function coverAll(held: readonly Permission[], children: readonly Permission[], holder: string): CoverAllResult {
  const permissions: Permission[] = [];
  const ranked = rank(held);
  for (let index = 0; index < children.length; index++) {
    const result = coverRanked(ranked, children[index] as Permission, holder);
    if (!result.ok) return { ok: false, index, problem: result.problem };
    permissions.push(result.permission);
  }
  return { ok: true, permissions };
}

/**
 * The depth limit of a new delegation at `depth` hops: the smaller of its own `maxDepth`
 * (0 meaning `DEFAULT_MAX_DEPTH`) and its parent delegation's limit (none for a first hop).
 * The delegation may be created only when `depth` is at most this limit.
 */
export function depthLimit(requested: number, parentLimit: number | undefined): number {
  const own = requested === 0 ? DEFAULT_MAX_DEPTH : requested;
  return parentLimit === undefined ? own : Math.min(own, parentLimit);
}

/** The earliest of the given instants; undefined ones mean "never" and are ignored. */
export function earliest(...dates: readonly (Date | undefined)[]): Date | undefined {
  let best: Date | undefined;
  for (const d of dates) if (d !== undefined && (best === undefined || d.getTime() < best.getTime())) best = d;
  return best;
}

function sameTimeWindow(a: TimeWindow, b: TimeWindow): boolean {
  const zone = (tw: TimeWindow) => (tw.timeZone === '' ? 'UTC' : tw.timeZone);
  const days = (tw: TimeWindow) => WEEKDAYS.filter((d) => tw.days.includes(d)).join(',');
  return a.start === b.start && a.end === b.end && zone(a) === zone(b) && days(a) === days(b);
}

function describeWindow(tw: TimeWindow): string {
  const days = tw.days.length === 0 ? '' : ` on ${WEEKDAYS.filter((d) => tw.days.includes(d)).join(',')}`;
  return `${tw.start}-${tw.end} ${tw.timeZone === '' ? 'UTC' : tw.timeZone}${days}`;
}

function sameRule(a: ArgumentRule, b: ArgumentRule): boolean {
  switch (a.kind) {
    case 'glob':
      return b.kind === 'glob' && a.glob === b.glob;
    case 'values': {
      if (b.kind !== 'values') return false;
      const norm = (v: readonly string[]) => JSON.stringify([...new Set(v)].sort());
      return norm(a.values) === norm(b.values);
    }
    case 'range':
      return b.kind === 'range' && a.min === b.min && a.max === b.max;
  }
}
