/**
 * Redaction of secret-looking arguments before they reach the audit log or an approval
 * (docs/ARCHITECTURE.md#audit).
 */
import type { Arguments, ArgValue } from './types.js';

/** Argument names treated as secrets unless configured otherwise. */
export const DEFAULT_SECRET_ARGUMENT_NAMES: readonly string[] = Object.freeze([
  'password',
  'secret',
  'token',
  'api_key',
  'authorization',
]);

/** The value that replaces a secret. */
export const REDACTED = '[REDACTED]';

/** The value that replaces anything nested deeper than `MAX_REDACTION_DEPTH`. */
export const TRUNCATED = '[TRUNCATED]';

/**
 * Nesting kept in a redacted copy. Deeper values are replaced by `TRUNCATED`, so a hostile,
 * deeply nested Struct cannot exhaust the stack here, and a secret cannot hide below the limit.
 */
export const MAX_REDACTION_DEPTH = 32;

/** Redacts one argument map (see `createRedactor`). */
export type Redactor = (args: Arguments) => { [name: string]: ArgValue };

/**
 * A redactor for one list of secret names, compiled once: it returns a deep copy of `args` where
 * the value of every key, at any depth and inside arrays, whose lower-cased name equals or
 * contains one of `secretNames` (compared lower-cased) is replaced by `[REDACTED]`, and anything
 * nested deeper than 32 levels by `[TRUNCATED]`. The input is never modified. Keys such as
 * `__proto__` are copied as plain data.
 */
export function createRedactor(secretNames: readonly string[] = DEFAULT_SECRET_ARGUMENT_NAMES): Redactor {
  const needles = secretNames.map((n) => n.toLowerCase()).filter((n) => n !== '');
  const isSecret = (key: string): boolean => {
    const lower = key.toLowerCase();
    return needles.some((n) => lower.includes(n));
  };
  const copyObject = (obj: { readonly [k: string]: ArgValue }, depth: number): { [k: string]: ArgValue } =>
    // fromEntries defines properties, so a `__proto__` key stays data instead of a prototype.
    Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [k, isSecret(k) ? REDACTED : copyValue(v, depth + 1)]),
    );
  const copyValue = (value: ArgValue, depth: number): ArgValue => {
    if (value === null || typeof value !== 'object') return value;
    if (depth > MAX_REDACTION_DEPTH) return TRUNCATED;
    if (Array.isArray(value)) return value.map((v) => copyValue(v, depth + 1));
    return copyObject(value, depth);
  };
  return (args) => copyObject(args, 0);
}

/** `createRedactor(secretNames)` applied once; use a compiled redactor on hot paths. */
export function redactArguments(
  args: Arguments,
  secretNames: readonly string[] = DEFAULT_SECRET_ARGUMENT_NAMES,
): { [name: string]: ArgValue } {
  return createRedactor(secretNames)(args);
}
