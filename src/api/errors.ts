/**
 * The one table from typed errors to Connect codes (docs/ARCHITECTURE.md#errors). Unknown errors become
 * Internal: the cause is logged with the request id and the message is never sent, so nothing
 * about the server's insides reaches a client.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import type { Logger } from 'pino';
import { KavachError, type ErrorKind } from '../domain/errors.js';

const CODES: Record<ErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  out_of_range: Code.OutOfRange,
};

/** Maps any thrown value to a ConnectError that is safe to send. */
export function toConnectError(error: unknown, logger: Logger, requestId: string): ConnectError {
  if (error instanceof KavachError) {
    const metadata = new Headers();
    if (error.retryAfterSeconds !== undefined) metadata.set('retry-after', String(error.retryAfterSeconds));
    if (error.kind === 'unavailable') logger.warn({ err: error.cause, requestId }, 'store unavailable');
    return new ConnectError(error.message, CODES[error.kind], metadata);
  }
  if (error instanceof ConnectError) {
    // Raised by Connect itself (size limits, deadlines, malformed frames, cancellation): already safe.
    return error;
  }
  logger.error({ err: error, requestId }, 'internal error');
  return new ConnectError(`internal error (request id ${requestId})`, Code.Internal);
}
