/**
 * Errors as sentences a person can act on: what went wrong (the server's message names the
 * field) and what to do next. The code is never shown alone.
 */
import { Code, ConnectError } from '@connectrpc/connect';

function clean(message: string): string {
  const m = message.trim().replace(/\.$/, '');
  return m === '' ? '' : m.charAt(0).toUpperCase() + m.slice(1);
}

export function describeError(err: unknown): string {
  const e = ConnectError.from(err);
  const msg = clean(e.rawMessage);
  switch (e.code) {
    case Code.InvalidArgument:
      return `${msg || 'A field is not valid'}. Correct it and try again.`;
    case Code.Unauthenticated:
      return `${msg || 'You are not signed in'}. Check your credentials, or sign in again.`;
    case Code.PermissionDenied:
      return `You are not allowed to do this: ${msg || 'permission denied'}. Ask the owner or an operator.`;
    case Code.NotFound:
      return `${msg || 'It was not found'}. It may have been removed, or it belongs to someone else.`;
    case Code.AlreadyExists:
      return `${msg || 'It already exists'}. Choose another value, or sign in instead.`;
    case Code.FailedPrecondition:
      return `This cannot be done in its current state: ${msg || 'precondition failed'}.`;
    case Code.ResourceExhausted:
      return `${msg || 'Too many requests'}. Wait a little and try again.`;
    case Code.Unavailable:
      return 'Kavach cannot be reached right now. The console reconnects by itself; try again in a moment.';
    case Code.DeadlineExceeded:
      return 'Kavach took too long to answer. Try again in a moment.';
    case Code.Canceled:
      return 'The request was cancelled.';
    default:
      return `Something went wrong on the server${msg ? `: ${msg}` : ''}. Try again; if it persists, tell the operator.`;
  }
}

export function isUnauthenticated(err: unknown): boolean {
  return ConnectError.from(err).code === Code.Unauthenticated;
}
