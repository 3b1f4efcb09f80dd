/**
 * The connection facts every request carries into its handler context (`callMetaKey`): peer
 * IP, the `X-Forwarded-For` hops and request id. Whether a forwarded address is believed, and
 * which hop, is the app's decision (trusted proxies); here it is only read.
 */
import type http from 'node:http';
import type http2 from 'node:http2';
import type { CallMeta } from '../app/auth/principal.js';
import { normalizeIp } from '../domain/ip.js';

/** Longer X-Forwarded-For hops are not addresses. */
const MAX_FORWARDED_LENGTH = 64;
/** Only the hops nearest to us matter (they are read right to left); the rest is dropped. */
const MAX_FORWARDED_HOPS = 16;

/**
 * The X-Forwarded-For hops, left (client end) to right (nearest proxy), trimmed, from every
 * header line; at most the 16 nearest. An empty or oversized hop is kept as '' so that it still
 * counts as a hop that is not a trusted proxy.
 */
export function forwardedHops(header: string | readonly string[] | undefined): string[] {
  if (header === undefined) return [];
  const lines = typeof header === 'string' ? [header] : header;
  const hops = lines.flatMap((line) => line.split(',')).map((hop) => hop.trim());
  if (hops.length === 1 && hops[0] === '') return [];
  return hops.slice(-MAX_FORWARDED_HOPS).map((hop) => (hop.length <= MAX_FORWARDED_LENGTH ? hop : ''));
}

/** The peer address as text, IPv4-mapped IPv6 shown as IPv4; empty when unknown. */
export function peerIpOf(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  return normalizeIp(remoteAddress) ?? '';
}

export function callMetaOf(req: http.IncomingMessage | http2.Http2ServerRequest, requestId: string): CallMeta {
  return {
    peerIp: peerIpOf(req.socket.remoteAddress),
    forwardedFor: forwardedHops(req.headers['x-forwarded-for']),
    requestId,
  };
}
