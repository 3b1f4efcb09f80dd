/**
 * Typed, request-scoped values (STYLE.md item 6). The server sets the connection facts when a
 * request arrives; the authn interceptor sets the principal; handlers only read them.
 */
import { createContextKey, type HandlerContext } from '@connectrpc/connect';
import type { CallMeta, Principal } from '../app/principal.js';

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

/** The caller of a handler's request. */
export const principalOf = (ctx: HandlerContext): Principal => ctx.values.get(principalKey);

/** The connection facts of a handler's request. */
export const metaOf = (ctx: HandlerContext): CallMeta => ctx.values.get(callMetaKey);
