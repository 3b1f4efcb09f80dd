/**
 * `grpc-message` as the gRPC spec encodes it (PROTOCOL-HTTP2.md, "Status-Message"): the UTF-8
 * bytes of the message, with only those outside 0x20–0x7E and `%` itself percent-encoded.
 *
 * connect-es writes the header with `encodeURIComponent`, which also encodes `:`, `,`, `/`, `"`
 * and the like. Clients that follow the spec decode with `decodeURI` (grpc-js) or only the
 * `%XX` escapes (grpc-go, grpcurl), so their users read `%3A` and `%2C` in every validation
 * message. This re-encodes the header on its way out, for the gRPC and gRPC-Web protocols.
 * Spec-encoded values still decode exactly with `decodeURIComponent` (connect-es clients).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

const HEADER = 'grpc-message';

/** `text` percent-encoded per the gRPC spec. */
export function encodeGrpcMessage(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A value written with `encodeURIComponent`, re-encoded per the spec; anything else unchanged. */
export function respecGrpcMessage(value: string): string {
  try {
    return encodeGrpcMessage(decodeURIComponent(value));
  } catch {
    // Not percent-encoded by connect-es (a malformed escape): leave it exactly as it was.
    return value;
  }
}

function fixHeaders(headers: unknown): void {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) return;
  const record = headers as OutgoingHttpHeaders;
  for (const name of Object.keys(record)) {
    const value = record[name];
    if (name.toLowerCase() === HEADER && typeof value === 'string') record[name] = respecGrpcMessage(value);
  }
}

type NodeReq = IncomingMessage | Http2ServerRequest;
type NodeRes = ServerResponse | Http2ServerResponse;

/**
 * For a gRPC or gRPC-Web request, makes `res` re-encode `grpc-message` wherever connect-node
 * writes it: in the headers of a trailers-only answer (`writeHead`) and in the trailers
 * (`addTrailers`). Other requests are left alone.
 */
export function specGrpcMessages(req: NodeReq, res: NodeRes): void {
  const type = req.headers['content-type'];
  if (typeof type !== 'string' || !type.startsWith('application/grpc')) return;
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => NodeRes;
  const addTrailers = res.addTrailers.bind(res);
  // Own properties on this one response object: nothing else's behaviour changes.
  Object.assign(res, {
    writeHead(...args: unknown[]) {
      for (const arg of args) fixHeaders(arg);
      return writeHead(...args);
    },
    addTrailers(headers: OutgoingHttpHeaders) {
      fixHeaders(headers);
      addTrailers(headers);
    },
  });
}
