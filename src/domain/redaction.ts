/**
 * Redaction of secret-looking arguments before they reach the audit log or an approval
 * (docs/ARCHITECTURE.md#audit). Names are compared after normalising case and separators, so `api-key`,
 * `API_KEY`, `apiKey` and `x-api-key` all hit the name `api_key`; and a password written inside
 * a URL (`https://user:pass@host`) is redacted in any string value, whatever its key.
 */
import type { Arguments, ArgValue } from './types.js';

/** Argument names treated as secrets unless configured otherwise. */
export const DEFAULT_SECRET_ARGUMENT_NAMES: readonly string[] = Object.freeze([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret', // client_secret, secret_key…
  'token', // access_token, refresh_token, id_token…
  'api_key', // apiKey, x-api-key…
  'access_key',
  'private_key',
  'credential', // credentials
  'authorization',
  'cookie', // set-cookie
  'session',
  'bearer',
  'signature',
]);

/**
 * A name as it is compared: lower case without separators or other punctuation, so `X-Api-Key`,
 * `x_api_key` and `xApiKey` are all `xapikey`.
 */
export function normalizeSecretName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * The password of a URL's user info: `scheme://user:` then everything up to the `@` that ends
 * the user info: the last `@` before a `/`, `?`, `#` or space, so a password with a stray
 * unencoded `@` is still redacted whole.
 */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):[^\s/?#]*@/gi;

/** `text` with the password of every URL in it replaced: `https://ann:[REDACTED]@host`. */
export function redactUrlPasswords(text: string): string {
  return text.includes('://') ? text.replace(URL_PASSWORD, `$1:${REDACTED}@`) : text;
}

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
 * the value of every key, at any depth and inside arrays, whose normalised name (see
 * `normalizeSecretName`) equals or contains one of `secretNames` (normalised too) is replaced by
 * `[REDACTED]`, the password of every URL in a string value by `[REDACTED]`, and anything nested
 * deeper than 32 levels by `[TRUNCATED]`. The input is never modified. Keys such as `__proto__`
 * are copied as plain data.
 */
export function createRedactor(secretNames: readonly string[] = DEFAULT_SECRET_ARGUMENT_NAMES): Redactor {
  const needles = [...new Set(secretNames.map(normalizeSecretName).filter((n) => n !== ''))];
  const isSecret = (key: string): boolean => {
    const name = normalizeSecretName(key);
    return needles.some((n) => name.includes(n));
  };
  const copyObject = (obj: { readonly [k: string]: ArgValue }, depth: number): { [k: string]: ArgValue } =>
    // fromEntries defines properties, so a `__proto__` key stays data instead of a prototype.
    Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [k, isSecret(k) ? REDACTED : copyValue(v, depth + 1)]),
    );
  const copyValue = (value: ArgValue, depth: number): ArgValue => {
    if (typeof value === 'string') return redactUrlPasswords(value);
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
