/**
 * Bearer secrets: generation, hashing and constant-time comparison. Tokens are 256 random bits
 * in base64url (43 characters) behind a prefix that says what they are. Only SHA-256 hashes are
 * stored: a token is high-entropy, so a fast hash is enough and lookups stay indexable.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const AGENT_TOKEN_PREFIX = 'kv_';
export const SESSION_TOKEN_PREFIX = 'kvs_';
export const ADMIN_TOKEN_PREFIX = 'kva_';

const TOKEN_BODY = /^[A-Za-z0-9_-]{43}$/;

/** A fresh token: `prefix` + 43 base64url characters (256 bits). */
export function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** True when `token` has exactly the shape `newToken(prefix)` produces. */
export function hasTokenShape(token: string, prefix: string): boolean {
  return token.startsWith(prefix) && TOKEN_BODY.test(token.slice(prefix.length));
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Compares two hex digests without leaking where they differ. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** What humans may see of a token: enough to tell two apart, far too little to use. */
export function tokenPrefixOf(token: string): string {
  const prefixLength = token.startsWith(SESSION_TOKEN_PREFIX) ? SESSION_TOKEN_PREFIX.length : AGENT_TOKEN_PREFIX.length;
  return token.slice(0, prefixLength + 6);
}
