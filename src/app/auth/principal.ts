/**
 * Who is calling, resolved once per request by the authn interceptor from the bearer
 * credential (docs/ARCHITECTURE.md#callers-and-credentials). Use cases take it as their first argument.
 */
export type Principal =
  | { readonly kind: 'admin'; readonly tenantId: string }
  | { readonly kind: 'user'; readonly tenantId: string; readonly userId: string; readonly sessionId: string }
  | { readonly kind: 'agent'; readonly tenantId: string; readonly agentId: string; readonly ownerId: string }
  | { readonly kind: 'anonymous'; readonly tenantId: string };

/** Facts about the connection that use cases may need (never chosen by an agent). */
export interface CallMeta {
  /** The TCP peer address, normalised (IPv4-mapped IPv6 becomes IPv4). Empty when unknown. */
  readonly peerIp: string;
  /** The `X-Forwarded-For` hops, client end first; empty when absent. Believed only from trusted proxies. */
  readonly forwardedFor: readonly string[];
  readonly requestId: string;
}
