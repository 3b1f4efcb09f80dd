/**
 * Email addresses as account names. One syntax (the WHATWG "valid e-mail address" that
 * browsers enforce in `<input type=email>`), one normal form (trimmed, lower case), so that
 * `Ann@Example.com` and `ann@example.com` are the same account.
 */
import { invalidArgument } from '../../domain/errors.js';

/** RFC 5321: a forward path holds at most 256 octets, of which 254 are the address. */
export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;

// Linear-time: the local part is one character class, and domain labels cannot contain the
// dots that separate them, so there is never more than one way to match (no ReDoS).
const EMAIL =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * The normal form of `email` (trimmed, lower case). Throws invalid_argument naming `field`
 * when it is empty, longer than 254 characters, or not an address.
 */
export function normalizeEmail(email: string, field = 'email'): string {
  const normal = email.trim().toLowerCase();
  if (normal === '') throw invalidArgument(field, 'is required');
  if (normal.length > MAX_EMAIL_LENGTH) throw invalidArgument(field, `must be at most ${MAX_EMAIL_LENGTH} characters`);
  const at = normal.indexOf('@');
  if (at > MAX_LOCAL_PART_LENGTH) {
    throw invalidArgument(field, `must have at most ${MAX_LOCAL_PART_LENGTH} characters before the @`);
  }
  if (!EMAIL.test(normal)) throw invalidArgument(field, 'must be an email address like name@example.com');
  return normal;
}
