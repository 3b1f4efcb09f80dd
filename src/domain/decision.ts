/**
 * The pure part of an authorization decision (docs/ARCHITECTURE.md#combining-permissions). It answers everything that
 * needs no store: which permissions match, and which of them pass their IP allowlist, time
 * window and argument rules. What remains (rate-limit counters and approvals) is returned as
 * a `stateful` plan for the app layer to settle against the store.
 *
 * Combining rules: a request is allowed if any matching permission passes all its
 * constraints; when none passes, the reason given is that of the most specific matching
 * permission; permission order does not matter.
 */
import type { PermissionSet } from './permission-set.js';
import { NO_MATCH, type CompiledPermission, type DecisionPlan, type DenyPlan } from './plan.js';
import type { Arguments } from './types.js';

/** What `planDecision` looks at. */
export interface DecisionRequest {
  /** The literal requested action (validated by `validateLiteralAction`). */
  readonly action: string;
  /** The literal requested resource (validated by `validateLiteralResource`). */
  readonly resource: string;
  readonly args: Arguments;
  /**
   * The IP checked against allowlists, already chosen per docs/ARCHITECTURE.md#constraints and normalized
   * (`normalizeIp`). Undefined fails every non-empty allowlist (fail closed).
   */
  readonly ip: string | undefined;
  /** The decision instant, from the injected clock. */
  readonly now: Date;
}

/**
 * Plans the decision for `request` against `set`:
 * - `allow` when some matching permission passes every static constraint and has neither
 *   `max_calls_per_hour` nor `require_approval`;
 * - `stateful` when none allows outright but some pass every static constraint and need a
 *   rate-limit slot and/or an approval (see `StatefulPlan` for how to finish);
 * - `deny` otherwise: `NO_MATCHING_PERMISSION` when no permission grants the action on the
 *   resource, else the reason of the most specific matching permission.
 *
 * Within one permission the checks run in the order IP, time window, arguments, so the first
 * failing one is the reason. The result is the same for every order of the permission list.
 * Allow and deny plans are precompiled and shared: nothing is allocated for them.
 */
export function planDecision(set: PermissionSet, request: DecisionRequest): DecisionPlan {
  const ranked = set.forAction(request.action);
  // Ranked most specific first, so the first failure seen is the one to report.
  let denial: DenyPlan | undefined;
  let candidates: CompiledPermission[] | undefined;
  let denialBeforeCandidates: DenyPlan | undefined;
  for (let i = 0; i < ranked.length; i++) {
    const p = ranked[i] as CompiledPermission;
    if (!p.pattern.matches(request.resource)) continue;
    const failure = staticFailure(p, request);
    if (failure !== undefined) {
      denial ??= failure;
    } else if (!p.stateful) {
      return p.allowPlan;
    } else if (candidates === undefined) {
      candidates = [p];
      denialBeforeCandidates = denial;
    } else {
      candidates.push(p);
    }
  }
  if (candidates !== undefined) return { kind: 'stateful', candidates, denial: denialBeforeCandidates };
  return denial ?? NO_MATCH;
}

/** The denial for the first static constraint `p` fails, or undefined when it passes them all. */
function staticFailure(p: CompiledPermission, request: DecisionRequest): DenyPlan | undefined {
  if (p.ipAllowlist !== undefined && (request.ip === undefined || !p.ipAllowlist.allows(request.ip))) {
    return p.ipDenial;
  }
  if (p.timeWindow !== undefined && !p.timeWindow.contains(request.now)) return p.timeDenial;
  if (p.argumentRules !== undefined) {
    const failed = p.argumentRules.firstFailure(request.args);
    if (failed !== -1) {
      const name = p.argumentRules.names[failed] as string;
      const present = Object.hasOwn(request.args, name) && request.args[name] !== undefined;
      return present ? p.argumentDenials[failed] : p.argumentMissing[failed];
    }
  }
  if (p.argPatterns !== undefined) {
    const failed = p.argPatterns.firstFailure(request.args);
    if (failed !== undefined) return p.argPatternDenial(failed);
  }
  return undefined;
}
