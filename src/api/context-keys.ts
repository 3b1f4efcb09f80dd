/**
 * Typed, request-scoped values (docs/ARCHITECTURE.md#a-requests-path). The server sets the connection facts when a
 * request arrives; the authn interceptor sets the principal; handlers only read them.
 */
import { createContextKey, type HandlerContext } from '@connectrpc/connect';
import type { CallMeta, Principal } from '../app/auth/principal.js';
import { unauthenticated } from '../domain/errors.js';

/** Connection facts: peer IP, forwarded-for, request id. Set by the server for every request. */
export const callMetaKey = createContextKey<CallMeta>(
  { peerIp: '', forwardedFor: [], requestId: '' },
  { description: 'kavach call meta' },
);

/** The resolved caller. Defaults to anonymous, which every protected use case refuses. */
export const principalKey = createContextKey<Principal>(
  { kind: 'anonymous', tenantId: 'default' },
  { description: 'kavach principal' },
);

/**
 * Checks that the credential this call was authenticated with still resolves to a caller in the
 * same tenant (the agent not revoked, the session not ended), throwing unauthenticated when it
 * does not. Set by the authn interceptor next to the principal, so a long stream re-checks
 * without reading the credential itself. The default (no credential was resolved) always throws.
 */
export type CredentialRecheck = () => Promise<void>;

export const recheckKey = createContextKey<CredentialRecheck>(
  () => Promise.reject(unauthenticated('the call carries no resolved credential')),
  { description: 'kavach credential re-check' },
);

/** The caller of a handler's request. */
export const principalOf = (ctx: HandlerContext): Principal => ctx.values.get(principalKey);

/** The connection facts of a handler's request. */
export const metaOf = (ctx: HandlerContext): CallMeta => ctx.values.get(callMetaKey);

/** The re-check of a handler's request's credential. */
export const recheckOf = (ctx: HandlerContext): CredentialRecheck => ctx.values.get(recheckKey);
