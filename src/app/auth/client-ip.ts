/**
 * Which IP an IP allowlist is checked against (docs/ARCHITECTURE.md#constraints). The peer address, unless the
 * connection comes from a trusted proxy or the caller is the admin: only then may the request's
 * `client_ip` or `X-Forwarded-For` replace it. An agent can never choose its own IP.
 */
import { invalidArgument } from '../../domain/errors.js';
import { compileIpAllowlist, normalizeIp } from '../../domain/ip.js';
import type { CallMeta, Principal } from './principal.js';

/** `field` names `requested` in the error when a believed caller sends a malformed one. */
export type ClientIpResolver = (principal: Principal, meta: CallMeta, requested: string, field: string) => string | undefined;

export function createClientIpResolver(trustedProxies: readonly string[]): ClientIpResolver {
  const trusted = trustedProxies.length > 0 ? compileIpAllowlist(trustedProxies) : undefined;
  return (principal, meta, requested, field) => {
    const peer = normalizeIp(meta.peerIp);
    const believed = principal.kind === 'admin' || (peer !== undefined && trusted !== undefined && trusted.allows(peer));
    if (!believed) return peer;
    if (requested !== '') {
      const ip = normalizeIp(requested);
      if (ip === undefined) throw invalidArgument(field, 'must be an IPv4 or IPv6 address');
      return ip;
    }
    // Proxies append the address they received from, so hops a client wrote itself sit on the
    // left: walk from the right past our own trusted proxies, and take the first other hop.
    for (let i = meta.forwardedFor.length - 1; i >= 0; i--) {
      const hop = normalizeIp(meta.forwardedFor[i] ?? '');
      if (hop === undefined) return peer;
      if (trusted === undefined || !trusted.allows(hop)) return hop;
    }
    return peer;
  };
}
