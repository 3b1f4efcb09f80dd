/**
 * Validation of permission lists, as written by users on CreateAgent, UpdateAgent and
 * CreateDelegation. Field paths use the proto's snake_case names, since users read them:
 * `permissions[2].constraints.ip_allowlist[0]`.
 */
import { validateArgPatterns } from './arg-patterns.js';
import { validateArgumentRules } from './argument-rules.js';
import { invalidArgument } from './errors.js';
import { validateIpOrCidr } from './ip.js';
import { ACTION_SHAPE, MAX_ACTION_LENGTH, validateResourcePattern } from './pattern.js';
import { validateTimeWindow } from './time-window.js';
import type { Permission } from './types.js';

/** Most permissions in one list. */
export const MAX_PERMISSIONS = 100;
/** Most actions on one permission. */
export const MAX_ACTIONS = 32;
/** Most entries in one IP allowlist. */
export const MAX_IP_ALLOWLIST = 100;
/** Bounds of `max_calls_per_hour`. */
export const MIN_CALLS_PER_HOUR = 1;
export const MAX_CALLS_PER_HOUR = 10_000;

/** The action that grants every action. */
export const ANY_ACTION = '*';


/**
 * Throws `invalid_argument`, naming the first offending field, unless `perms` is a valid list:
 * at most 100 permissions, each per `validatePermission`. `field` is the list's own path,
 * usually `permissions`.
 */
export function validatePermissions(perms: readonly Permission[], field: string): void {
  if (perms.length > MAX_PERMISSIONS) throw invalidArgument(field, `at most ${MAX_PERMISSIONS} permissions`);
  perms.forEach((perm, i) => validatePermission(perm, `${field}[${i}]`));
}

/**
 * Throws `invalid_argument` unless `perm` is valid: a valid resource pattern; 1..32 unique
 * actions, each 1..64 characters of `[A-Za-z0-9_.:-]` or exactly `*`; `max_calls_per_hour`
 * an integer in 1..10000 when set; at most 100 valid IP allowlist entries; a valid time
 * window when set; valid argument rules.
 */
export function validatePermission(perm: Permission, field: string): void {
  validateResourcePattern(perm.resource, `${field}.resource`);
  validateActions(perm.actions, `${field}.actions`);
  const c = perm.constraints;
  const at = `${field}.constraints`;
  if (c.maxCallsPerHour !== undefined) {
    const n = c.maxCallsPerHour;
    if (!Number.isInteger(n) || n < MIN_CALLS_PER_HOUR || n > MAX_CALLS_PER_HOUR) {
      throw invalidArgument(
        `${at}.max_calls_per_hour`,
        `must be a whole number from ${MIN_CALLS_PER_HOUR} to ${MAX_CALLS_PER_HOUR}`,
      );
    }
  }
  if (c.ipAllowlist.length > MAX_IP_ALLOWLIST) {
    throw invalidArgument(`${at}.ip_allowlist`, `at most ${MAX_IP_ALLOWLIST} entries`);
  }
  c.ipAllowlist.forEach((entry, i) => validateIpOrCidr(entry, `${at}.ip_allowlist[${i}]`));
  if (c.timeWindow !== undefined) validateTimeWindow(c.timeWindow, `${at}.time_window`);
  validateArgumentRules(c.argumentRules, `${at}.argument_rules`);
  validateArgPatterns(c.allowedArgPatterns ?? [], `${at}.allowed_arg_patterns`);
}

function validateActions(actions: readonly string[], field: string): void {
  if (actions.length < 1 || actions.length > MAX_ACTIONS) {
    throw invalidArgument(field, `must list 1 to ${MAX_ACTIONS} actions`);
  }
  const seen = new Set<string>();
  actions.forEach((action, i) => {
    const at = `${field}[${i}]`;
    if (action.length < 1 || action.length > MAX_ACTION_LENGTH) {
      throw invalidArgument(at, `must be 1 to ${MAX_ACTION_LENGTH} characters`);
    }
    // `*` alone grants every action; inside a name it would look like a glob and is not one.
    if (action !== ANY_ACTION && !ACTION_SHAPE.test(action)) {
      throw invalidArgument(at, 'must be "*" or only letters, digits and "_", ".", ":", "-"');
    }
    if (seen.has(action)) throw invalidArgument(at, 'repeats an earlier action');
    seen.add(action);
  });
}
