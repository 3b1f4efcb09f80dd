/**
 * Exit codes scripts can rely on (also printed by `kavach --help`).
 */
import { Code, KavachError } from './client.js';

export const EXIT = {
  ok: 0,
  /** Anything else: a server error, a bad file, a failed write. */
  error: 1,
  /** The command line was wrong (unknown command or option, missing or bad argument). */
  usage: 2,
  /** `authorize`: Kavach answered and at least one decision was a denial. */
  denied: 3,
  /** No credential, or the server refused it, or it may not do this. */
  auth: 4,
  /** The agent, approval or delegation does not exist. */
  notFound: 5,
  /** The server could not be reached or was unavailable. */
  unavailable: 6,
} as const;

export const EXIT_HELP = `Exit codes:
  0  success
  1  error (server error, unreadable file, invalid request)
  2  usage error (unknown command or option, bad argument)
  3  denied (authorize: at least one decision was not allowed)
  4  authentication or permission failure (no credential, refused, not allowed)
  5  not found
  6  server unreachable or unavailable`;

/** A mistake on the command line: printed with a hint at --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An error the CLI reports with a chosen exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof KavachError) {
    switch (error.code) {
      case Code.Unauthenticated:
      case Code.PermissionDenied:
        return EXIT.auth;
      case Code.NotFound:
        return EXIT.notFound;
      case Code.Unavailable:
      case Code.DeadlineExceeded:
        return EXIT.unavailable;
      default:
        return EXIT.error;
    }
  }
  return EXIT.error;
}

/** One line for stderr naming the failure (and the request id, which the server logged). */
export function describeError(error: unknown): string {
  if (error instanceof KavachError) {
    return `${error.codeName}: ${error.rawMessage}${error.requestId === '' ? '' : ` (request id ${error.requestId})`}`;
  }
  return error instanceof Error ? error.message : String(error);
}
