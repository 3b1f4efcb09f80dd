/**
 * Argument rules (docs/ARCHITECTURE.md#constraints): per argument name, a glob, a list of allowed values, or
 * an inclusive numeric range. An argument that a rule names but the request lacks fails
 * (fail closed). No user-supplied regular expression ever runs.
 */
import { invalidArgument } from './errors.js';
import { compileGlob, validateGlob } from './glob.js';
import type { ArgumentRule, Arguments, ArgValue } from './types.js';

/** Most rules on one permission. */
export const MAX_ARGUMENT_RULES = 32;
/** Longest argument name a rule may name. */
export const MAX_ARGUMENT_NAME_LENGTH = 128;
/** Most values in one allowed-values list. */
export const MAX_ALLOWED_VALUES = 100;
/** Longest allowed value. */
export const MAX_ALLOWED_VALUE_LENGTH = 256;

/** The outcome of checking a request's arguments. */
export type ArgumentCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly argument: string; readonly missing: boolean };

/** Rules compiled once, checked many times. */
export interface CompiledArgumentRules {
  /** Rule names, in rule order. */
  readonly names: readonly string[];
  /**
   * Index of the first rule, in rule order, that `args` fails, or -1 when all pass. Allocates
   * nothing beyond what a glob match needs.
   */
  firstFailure(args: Arguments): number;
  /**
   * `{ ok: true }`, or the name of the first failing argument and whether the request lacks it
   * (`missing`) rather than sending a refused value. Never includes its value.
   */
  check(args: Arguments): ArgumentCheck;
}

/**
 * Throws `invalid_argument` unless `rules` is valid: at most 32 rules with unique names of
 * 1..128 characters; a glob valid per `validateGlob`; 1..100 allowed values of at most 256
 * characters; a range with at least one finite bound and `min <= max`. Fields are named as the
 * proto names them: `${field}[i].name`, `.glob`, `.allowed_values.values[j]`, `.range.min`.
 */
export function validateArgumentRules(rules: readonly ArgumentRule[], field: string): void {
  if (rules.length > MAX_ARGUMENT_RULES) throw invalidArgument(field, `at most ${MAX_ARGUMENT_RULES} rules`);
  const names = new Set<string>();
  rules.forEach((rule, i) => {
    const at = `${field}[${i}]`;
    if (rule.name.length < 1 || rule.name.length > MAX_ARGUMENT_NAME_LENGTH) {
      throw invalidArgument(`${at}.name`, `must be 1 to ${MAX_ARGUMENT_NAME_LENGTH} characters`);
    }
    if (names.has(rule.name)) throw invalidArgument(`${at}.name`, 'names an argument an earlier rule already names');
    names.add(rule.name);
    switch (rule.kind) {
      case 'glob':
        validateGlob(rule.glob, `${at}.glob`);
        break;
      case 'values': {
        const list = `${at}.allowed_values.values`;
        if (rule.values.length < 1 || rule.values.length > MAX_ALLOWED_VALUES) {
          throw invalidArgument(list, `must list 1 to ${MAX_ALLOWED_VALUES} values`);
        }
        rule.values.forEach((v, j) => {
          if (v.length > MAX_ALLOWED_VALUE_LENGTH) {
            throw invalidArgument(`${list}[${j}]`, `must be at most ${MAX_ALLOWED_VALUE_LENGTH} characters`);
          }
        });
        break;
      }
      case 'range': {
        const { min, max } = rule;
        if (min === undefined && max === undefined) throw invalidArgument(`${at}.range`, 'needs a min, a max or both');
        if (min !== undefined && !Number.isFinite(min)) throw invalidArgument(`${at}.range.min`, 'must be a finite number');
        if (max !== undefined && !Number.isFinite(max)) throw invalidArgument(`${at}.range.max`, 'must be a finite number');
        if (min !== undefined && max !== undefined && min > max) {
          throw invalidArgument(`${at}.range.max`, 'must not be less than min');
        }
        break;
      }
      default:
        throw invalidArgument(at, 'needs a glob, allowed values or a range');
    }
  });
}

/**
 * The string an argument value is compared as, for globs and allowed values: strings as they
 * are, finite numbers via `String()`, booleans as `true`/`false`. Null, arrays, objects and
 * non-finite numbers have no string form (undefined), so they fail those rules.
 */
export function argumentString(value: ArgValue | undefined): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return undefined;
  }
}

type Check = (value: ArgValue | undefined) => boolean;

function compileRule(rule: ArgumentRule): Check {
  switch (rule.kind) {
    case 'glob': {
      const glob = compileGlob(rule.glob);
      return (value) => {
        const text = argumentString(value);
        return text !== undefined && glob.matches(text);
      };
    }
    case 'values': {
      const allowed = new Set(rule.values);
      return (value) => {
        const text = argumentString(value);
        return text !== undefined && allowed.has(text);
      };
    }
    case 'range': {
      const min = rule.min ?? Number.NEGATIVE_INFINITY;
      const max = rule.max ?? Number.POSITIVE_INFINITY;
      // Only a real number counts: "5" is a string, and NaN is never in range.
      return (value) => typeof value === 'number' && value >= min && value <= max;
    }
    default:
      // An unknown rule kind can only come from unvalidated input; it fails closed.
      return () => false;
  }
}

const PASS: ArgumentCheck = Object.freeze({ ok: true });

/** Compiles rules, assumed valid (`validateArgumentRules`). */
export function compileArgumentRules(rules: readonly ArgumentRule[]): CompiledArgumentRules {
  const names = rules.map((r) => r.name);
  const checks = rules.map(compileRule);
  const failures: ArgumentCheck[] = names.map((argument) => Object.freeze({ ok: false, argument, missing: false }));
  const missing: ArgumentCheck[] = names.map((argument) => Object.freeze({ ok: false, argument, missing: true }));
  const firstFailure = (args: Arguments): number => {
    for (let i = 0; i < checks.length; i++) {
      const name = names[i] as string;
      // Own properties only: a rule naming `constructor` must not read Object.prototype.
      const value = Object.hasOwn(args, name) ? args[name] : undefined;
      if (value === undefined || !(checks[i] as Check)(value)) return i;
    }
    return -1;
  };
  return {
    names,
    firstFailure,
    check: (args) => {
      const i = firstFailure(args);
      if (i === -1) return PASS;
      const name = names[i] as string;
      const present = Object.hasOwn(args, name) && args[name] !== undefined;
      return (present ? failures[i] : missing[i]) as ArgumentCheck;
    },
  };
}
