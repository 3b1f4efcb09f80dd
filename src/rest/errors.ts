/**
 * REST errors: every thrown value goes through the RPCs' one error table (`src/api/errors.ts`,
 * which also logs unknown errors with the request id and never sends their message), and the
 * resulting code becomes an HTTP status and `{error: {code, message, details}}` (REST.md).
 */
import type { ConnectError } from '@connectrpc/connect';
import { Code } from '@connectrpc/connect';
import type { Logger } from 'pino';
import { toConnectError } from '../api/errors.js';
import { KavachError } from '../domain/errors.js';

const STATUSES: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: 400,
  [Code.OutOfRange]: 400,
  [Code.Unauthenticated]: 401,
  [Code.PermissionDenied]: 403,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.FailedPrecondition]: 409,
  [Code.Aborted]: 409,
  [Code.ResourceExhausted]: 429,
  [Code.Canceled]: 499,
  [Code.Unimplemented]: 501,
  [Code.Unavailable]: 503,
  [Code.DeadlineExceeded]: 504,
};

/** The wire form of one REST error. */
export interface RestError {
  readonly status: number;
  readonly body: { error: { code: string; message: string; details: Record<string, unknown> } };
  /** Whole seconds, for `Retry-After` on a 429. */
  readonly retryAfterSeconds?: number;
}

/** A client mistake found by the REST layer itself that has its own HTTP status (413, 415). */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const UPPER_SNAKE = (code: Code): string => Code[code].replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

export function toRestError(error: unknown, logger: Logger, requestId: string): RestError {
  if (error instanceof HttpStatusError) {
    return { status: error.status, body: { error: { code: error.code, message: error.message, details: {} } } };
  }
  const details: Record<string, unknown> = {};
  let retryAfterSeconds: number | undefined;
  if (error instanceof KavachError) {
    if (error.field !== undefined) details.field = error.field;
    if (error.retryAfterSeconds !== undefined) {
      retryAfterSeconds = Math.max(1, Math.ceil(error.retryAfterSeconds));
      details.retryAfterSeconds = retryAfterSeconds;
    }
  }
  const mapped: ConnectError = toConnectError(error, logger, requestId);
  if (mapped.code === Code.ResourceExhausted && retryAfterSeconds === undefined) {
    const header = Number(mapped.metadata.get('retry-after'));
    retryAfterSeconds = Number.isFinite(header) && header > 0 ? Math.ceil(header) : 1;
  }
  return {
    status: STATUSES[mapped.code] ?? 500,
    body: { error: { code: UPPER_SNAKE(mapped.code), message: mapped.rawMessage, details } },
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
}
