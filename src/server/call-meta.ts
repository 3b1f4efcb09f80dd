/**
 * The connection facts every request carries into its handler context (`callMetaKey`): peer
 * IP, first `X-Forwarded-For` hop and request id. Whether a forwarded address is believed is
 * the app's decision (trusted proxies); here it is only read.
 */
import type http from 'node:http';
import type http2 from 'node:http2';
import type { CallMeta } from '../app/principal.js';
import { normalizeIp } from '../domain/ip.js';

/** Longer X-Forwarded-For hops are not addresses; they are dropped rather than carried along. */
const MAX_FORWARDED_LENGTH = 64;

/** The first hop of X-Forwarded-For, trimmed, or undefined when absent, empty or oversized. */
export function firstForwardedFor(header: string | readonly string[] | undefined): string | undefined {
  const raw = typeof header === 'string' ? header : header?.[0];
  const first = raw?.split(',', 1)[0]?.trim();
  return first !== undefined && first !== '' && first.length <= MAX_FORWARDED_LENGTH ? first : undefined;
}

/** The peer address as text, IPv4-mapped IPv6 shown as IPv4; empty when unknown. */
export function peerIpOf(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  return normalizeIp(remoteAddress) ?? '';
}

export function callMetaOf(req: http.IncomingMessage | http2.Http2ServerRequest, requestId: string): CallMeta {
  return {
    peerIp: peerIpOf(req.socket.remoteAddress),
    forwardedFor: firstForwardedFor(req.headers['x-forwarded-for']),
    requestId,
  };
}
