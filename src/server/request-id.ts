/**
 * Request ids: one per request, taken from the caller's `x-request-id` when it is safe to echo
 * and to log, else generated. Echoed in the response header `x-request-id`.
 */
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

/** At most 64 characters from a log-safe alphabet: no spaces, quotes or control characters. */
const ACCEPTABLE = /^[A-Za-z0-9._-]{1,64}$/;

/** The caller's id when acceptable, else a fresh random one. */
export function requestIdFrom(header: string | readonly string[] | undefined): string {
  const value = typeof header === 'string' ? header : undefined;
  return value !== undefined && ACCEPTABLE.test(value) ? value : randomUUID();
}
