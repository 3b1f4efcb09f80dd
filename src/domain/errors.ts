/**
 * Typed errors thrown by domain, app and store code. They know nothing about RPC: one table at
 * the API edge (`src/api/errors.ts`) maps each `kind` to a status code.
 */
export type ErrorKind =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'unauthenticated'
  | 'permission_denied'
  | 'resource_exhausted'
  | 'unavailable'
  | 'out_of_range';

export class KavachError extends Error {
  override readonly name = 'KavachError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** Set on `invalid_argument`: the offending field, as a dotted path (`permissions[0].resource`). */
    readonly field?: string,
    /** Set on `resource_exhausted` throttling: seconds until a retry may succeed. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Malformed input; the message names the field. */
export function invalidArgument(field: string, problem: string): KavachError {
  return new KavachError('invalid_argument', `${field}: ${problem}`, field);
}

export function notFound(message: string): KavachError {
  return new KavachError('not_found', message);
}

export function alreadyExists(message: string): KavachError {
  return new KavachError('already_exists', message);
}

export function failedPrecondition(message: string): KavachError {
  return new KavachError('failed_precondition', message);
}

export function unauthenticated(message: string): KavachError {
  return new KavachError('unauthenticated', message);
}

export function permissionDenied(message: string): KavachError {
  return new KavachError('permission_denied', message);
}

export function resourceExhausted(message: string, retryAfterSeconds?: number): KavachError {
  return new KavachError('resource_exhausted', message, undefined, retryAfterSeconds);
}

export function unavailable(message: string, cause?: unknown): KavachError {
  return new KavachError('unavailable', message, undefined, undefined, { cause });
}

/** A position outside what exists, such as a resume cursor whose history retention deleted. */
export function outOfRange(message: string): KavachError {
  return new KavachError('out_of_range', message);
}
