/**
 * Typed errors. Every failed call throws a KavachError (a subclass of ConnectError, with its
 * `code`, `rawMessage` and `metadata`) carrying the request id the call was sent with, which
 * the server logs: quote it when reporting a problem. The subclasses follow the
 * seed SDK's names so callers can `catch` by kind instead of comparing codes.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import type { AuthorizeResponse } from './gen/kavach/v1/authorize_service_pb.js';
import { ReasonCode } from './gen/kavach/v1/types_pb.js';

export class KavachError extends ConnectError {
  override name = 'KavachError';
  /** The x-request-id the call carried ('' if the error happened before it was sent). */
  readonly requestId: string;

  constructor(message: string, code: Code, options: { requestId?: string; metadata?: Headers; cause?: unknown } = {}) {
    super(message, code, options.metadata, undefined, options.cause);
    this.requestId = options.requestId ?? '';
  }

  // ConnectError answers `instanceof` by shape for every subclass, so `x instanceof NotFoundError`
  // would hold for any ConnectError; restore the ordinary prototype-chain check.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** The code's name, e.g. "NotFound". */
  get codeName(): string {
    return Code[this.code];
  }
}

/** Unauthenticated: no credential, or one the server refuses (expired session, revoked agent token). */
export class AuthenticationError extends KavachError {
  override name = 'AuthenticationError';
}

/** PermissionDenied: the credential is valid but may not do this. */
export class PermissionError extends KavachError {
  override name = 'PermissionError';
}

/** NotFound: the agent, approval or delegation does not exist (or is not the caller's to see). */
export class NotFoundError extends KavachError {
  override name = 'NotFoundError';
}

/** ResourceExhausted: too many attempts; `retryAfterSeconds` says when to try again (0 if unknown). */
export class RateLimitError extends KavachError {
  override name = 'RateLimitError';
  readonly retryAfterSeconds: number;

  constructor(message: string, code: Code, options: { requestId?: string; metadata?: Headers; cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, code, options);
    this.retryAfterSeconds = options.retryAfterSeconds ?? 0;
  }
}

/** InvalidArgument, FailedPrecondition, OutOfRange, AlreadyExists: the request itself is wrong. */
export class ValidationError extends KavachError {
  override name = 'ValidationError';
}

/** Internal, Unavailable, Unknown, DataLoss, DeadlineExceeded: the server or the network failed. */
export class ServerError extends KavachError {
  override name = 'ServerError';
}

const CLASSES: Partial<Record<Code, typeof KavachError>> = {
  [Code.Unauthenticated]: AuthenticationError,
  [Code.PermissionDenied]: PermissionError,
  [Code.NotFound]: NotFoundError,
  [Code.InvalidArgument]: ValidationError,
  [Code.FailedPrecondition]: ValidationError,
  [Code.OutOfRange]: ValidationError,
  [Code.AlreadyExists]: ValidationError,
  [Code.Internal]: ServerError,
  [Code.Unavailable]: ServerError,
  [Code.Unknown]: ServerError,
  [Code.DataLoss]: ServerError,
  [Code.DeadlineExceeded]: ServerError,
  [Code.Unimplemented]: ServerError,
};

/** Converts anything a call threw into the matching KavachError subclass (idempotent). */
export function toKavachError(error: unknown, requestId = ''): KavachError {
  if (error instanceof KavachError) return error;
  const ce = ConnectError.from(error);
  const options = { requestId, metadata: ce.metadata, cause: error };
  if (ce.code === Code.ResourceExhausted) {
    const retryAfter = Number.parseInt(ce.metadata.get('retry-after') ?? '', 10);
    return new RateLimitError(ce.rawMessage, ce.code, { ...options, retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : 0 });
  }
  const Class = CLASSES[ce.code] ?? KavachError;
  return new Class(ce.rawMessage, ce.code, options);
}

/**
 * Thrown by `guard()` when Kavach says no. Not an RPC failure: the server answered, and the
 * decision (with its reason, audit id, approval id or retry delay) is attached.
 */
export class AccessDeniedError extends Error {
  override name = 'AccessDeniedError';
  readonly decision: AuthorizeResponse;

  constructor(decision: AuthorizeResponse) {
    super(`denied: ${ReasonCode[decision.reason] ?? decision.reason}${decision.message === '' ? '' : ` (${decision.message})`}`);
    this.decision = decision;
  }

  get reason(): ReasonCode {
    return this.decision.reason;
  }

  /** Set when the reason is APPROVAL_REQUIRED: the approval the owner must grant. */
  get approvalId(): string | undefined {
    return this.decision.approvalId === '' ? undefined : this.decision.approvalId;
  }

  /** Set when the reason is RATE_LIMITED: seconds until a call may be allowed again. */
  get retryAfterSeconds(): number | undefined {
    return this.decision.retryAfterSeconds === 0 ? undefined : this.decision.retryAfterSeconds;
  }

  get auditId(): string {
    return this.decision.auditId;
  }
}
