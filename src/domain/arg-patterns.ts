/**
 * Allowed argument patterns (REST.md, the KavachOS SDK's `allowedArgPatterns`): a list of
 * globs, and every string-valued top-level argument of a request must match at least one of
 * them. Arguments of other types are not constrained by them (argument rules do that). They
 * are Kavach globs, so matching is linear in the argument's length; no regular expression runs.
 */
import { invalidArgument } from './errors.js';
import { compileGlob, validateGlob, type CompiledGlob } from './glob.js';
import type { Arguments } from './types.js';

/** Most patterns on one permission. */
export const MAX_ARG_PATTERNS = 32;

/** Throws invalid_argument unless there are at most 32 valid globs, naming `${field}[i]`. */
export function validateArgPatterns(patterns: readonly string[], field: string): void {
  if (patterns.length > MAX_ARG_PATTERNS) throw invalidArgument(field, `at most ${MAX_ARG_PATTERNS} patterns`);
  patterns.forEach((p, i) => validateGlob(p, `${field}[${i}]`));
}

export interface CompiledArgPatterns {
  /** The name of the first string-valued argument that matches no pattern, or undefined when all do. */
  firstFailure(args: Arguments): string | undefined;
}

export function compileArgPatterns(patterns: readonly string[]): CompiledArgPatterns {
  const globs: readonly CompiledGlob[] = patterns.map(compileGlob);
  return {
    firstFailure(args) {
      for (const name in args) {
        if (!Object.hasOwn(args, name)) continue;
        const value = args[name];
        if (typeof value === 'string' && !globs.some((g) => g.matches(value))) return name;
      }
      return undefined;
    },
  };
}

/** Order-free identity of a pattern list, for keys and for comparing a delegation with its parent. */
export function canonicalArgPatterns(patterns: readonly string[] | undefined): string[] {
  return [...new Set(patterns ?? [])].sort();
}
