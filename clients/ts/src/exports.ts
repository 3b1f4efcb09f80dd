/** Everything both entry points export besides createKavachClient. */
export { AccessDeniedError, AuthenticationError, KavachError, NotFoundError, PermissionError, RateLimitError, ServerError, ValidationError, toKavachError } from './errors.js';
export { IDEMPOTENT_RPCS, NON_IDEMPOTENT_RPCS, isIdempotent } from './idempotency.js';
export { REQUEST_ID_HEADER, TENANT_HEADER, type RetryOptions, type TokenSource } from './interceptors.js';
export type { KavachClient, KavachClientOptions, TransportKind } from './client.js';
export type { AuditFilterInit, ExportOptions, TailItem, TailOptions } from './audit.js';
export type { GuardArguments } from './guard.js';
export * from './permissions.js';
export { Code } from '@connectrpc/connect';
export * from './gen/kavach/v1/types_pb.js';
export * from './gen/kavach/v1/auth_service_pb.js';
export * from './gen/kavach/v1/agent_service_pb.js';
export * from './gen/kavach/v1/authorize_service_pb.js';
export * from './gen/kavach/v1/audit_service_pb.js';
export * from './gen/kavach/v1/delegation_service_pb.js';
