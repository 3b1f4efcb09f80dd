/**
 * Hand-built requests on the wire, over one h2c session, for every protocol the server speaks:
 * Connect unary (JSON and binary), Connect streaming (enveloped), gRPC and gRPC-Web (JSON and
 * binary). The body is sent exactly as given (already framed: use `frame()` for enveloped
 * protocols, or break the framing on purpose), and the answer is read back to a status code
 * name, whatever the protocol carried it in (HTTP status and JSON body, end-stream message,
 * trailers, or an in-body trailer frame).
 *
 *   const wire = rawClient(srv.url);
 *   const answer = await wire.call('/kavach.v1.AgentService/ListAgents', 'grpc-web', frame(bytes), { authorization });
 *   expect(answer.code).toBe('invalid_argument');
 *   wire.close();
 */
import http2 from 'node:http2';
import type { Code } from '@connectrpc/connect';
import { codeFromString, codeToString } from '@connectrpc/connect/protocol-connect';

export type WireProtocol =
  | 'connect-json'
  | 'connect-proto'
  | 'connect-stream-json'
  | 'connect-stream-proto'
  | 'grpc'
  | 'grpc-json'
  | 'grpc-web'
  | 'grpc-web-json';

export const CONTENT_TYPES: Record<WireProtocol, string> = {
  'connect-json': 'application/json',
  'connect-proto': 'application/proto',
  'connect-stream-json': 'application/connect+json',
  'connect-stream-proto': 'application/connect+proto',
  grpc: 'application/grpc+proto',
  'grpc-json': 'application/grpc+json',
  'grpc-web': 'application/grpc-web+proto',
  'grpc-web-json': 'application/grpc-web+json',
};

export const isEnveloped = (p: WireProtocol): boolean => p !== 'connect-json' && p !== 'connect-proto';
export const isBinary = (p: WireProtocol): boolean => !p.endsWith('json');

export interface WireAnswer {
  /** Lower-case code name: `ok`, `invalid_argument`, ...; `none` when the answer carried no status. */
  readonly code: string;
  readonly message: string;
  readonly httpStatus: number;
}

/** One 5-byte envelope: flags, big-endian length, data. */
export function frame(data: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(5 + data.byteLength);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, data.byteLength);
  out.set(data, 5);
  return out;
}

function* envelopes(body: Buffer): Generator<{ flags: number; data: Buffer }> {
  let at = 0;
  while (at + 5 <= body.byteLength) {
    const flags = body[at] ?? 0;
    const length = body.readUInt32BE(at + 1);
    yield { flags, data: body.subarray(at + 5, at + 5 + length) };
    at += 5 + length;
  }
}

function grpcCode(status: string | undefined, message: string | undefined): { code: string; message: string } {
  if (status === undefined) return { code: 'none', message: '' };
  const n = Number(status);
  return { code: Number.isInteger(n) && n >= 0 && n <= 16 ? (n === 0 ? 'ok' : codeToString(n as Code)) : `bad:${status}`, message: decodeURIComponent(message ?? '') };
}

function parseTrailerBlock(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

function connectError(body: Buffer): { code: string; message: string } {
  try {
    const json = JSON.parse(body.toString('utf8')) as { code?: string; message?: string };
    const code = json.code === undefined ? undefined : codeFromString(json.code);
    return { code: code === undefined ? `bad:${json.code}` : codeToString(code), message: json.message ?? '' };
  } catch {
    return { code: 'none', message: body.toString('utf8').slice(0, 200) };
  }
}

/** Reads the status out of a finished exchange, per protocol. */
export function decodeAnswer(
  protocol: WireProtocol,
  httpStatus: number,
  headers: http2.IncomingHttpHeaders,
  trailers: http2.IncomingHttpHeaders,
  body: Buffer,
): WireAnswer {
  const h = (name: string, from: http2.IncomingHttpHeaders): string | undefined => {
    const v = from[name];
    return Array.isArray(v) ? v[0] : v;
  };
  if (protocol === 'connect-json' || protocol === 'connect-proto') {
    if (httpStatus === 200) return { code: 'ok', message: '', httpStatus };
    return { ...connectError(body), httpStatus };
  }
  if (protocol === 'connect-stream-json' || protocol === 'connect-stream-proto') {
    if (httpStatus !== 200) return { ...connectError(body), httpStatus };
    for (const env of envelopes(body)) {
      if ((env.flags & 0b10) === 0) continue;
      const end = JSON.parse(env.data.toString('utf8')) as { error?: { code?: string; message?: string } };
      if (end.error === undefined) return { code: 'ok', message: '', httpStatus };
      return { ...connectError(Buffer.from(JSON.stringify(end.error))), httpStatus };
    }
    return { code: 'none', message: 'no end-stream message', httpStatus };
  }
  if (protocol === 'grpc' || protocol === 'grpc-json') {
    const status = h('grpc-status', trailers) ?? h('grpc-status', headers);
    const message = h('grpc-message', trailers) ?? h('grpc-message', headers);
    return { ...grpcCode(status, message), httpStatus };
  }
  // gRPC-Web: trailers-only answers carry the status in headers, others in a 0x80 frame.
  const inHeaders = h('grpc-status', headers);
  if (inHeaders !== undefined) return { ...grpcCode(inHeaders, h('grpc-message', headers)), httpStatus };
  for (const env of envelopes(body)) {
    if ((env.flags & 0x80) === 0) continue;
    const block = parseTrailerBlock(env.data.toString('utf8'));
    return { ...grpcCode(block['grpc-status'], block['grpc-message']), httpStatus };
  }
  return { code: 'none', message: `no trailer frame (HTTP ${httpStatus})`, httpStatus };
}

export interface RawClient {
  /**
   * `liveStreamMs`: a server stream still open (not answered yet, or answered 200 with no status
   * yet) after this long is cancelled and reported as code `open` (TailAudit never ends by itself).
   */
  call(
    procedure: string,
    protocol: WireProtocol,
    body: Uint8Array,
    headers?: Record<string, string>,
    timeoutMs?: number,
    liveStreamMs?: number,
  ): Promise<WireAnswer>;
  readonly session: http2.ClientHttp2Session;
  close(): void;
}

/** An h2c session to `url`; calls time out (rejecting with a message naming the call) after `timeoutMs`. */
export function rawClient(url: string): RawClient {
  // Large requests are written whole: the session must hold them while flow control lets them out.
  const session = http2.connect(url, { maxSessionMemory: 256 });
  session.on('error', () => undefined);
  return {
    session,
    call(procedure, protocol, body, headers = {}, timeoutMs = 10_000, liveStreamMs = undefined) {
      return new Promise((resolve, reject) => {
        const req = session.request({
          ':method': 'POST',
          ':path': procedure,
          'content-type': CONTENT_TYPES[protocol],
          ...(protocol.startsWith('connect') ? { 'connect-protocol-version': '1' } : {}),
          ...(protocol.startsWith('grpc') && !protocol.startsWith('grpc-web') ? { te: 'trailers' } : {}),
          ...headers,
        });
        const timer = setTimeout(() => {
          req.close(http2.constants.NGHTTP2_CANCEL);
          reject(new Error(`no answer to ${procedure} over ${protocol} in ${timeoutMs} ms`));
        }, timeoutMs);
        const live =
          liveStreamMs === undefined
            ? undefined
            : setTimeout(() => {
                if (status !== 0 && (status !== 200 || responseHeaders['grpc-status'] !== undefined)) return;
                clearTimeout(timer);
                req.close(http2.constants.NGHTTP2_CANCEL);
                resolve({ code: 'open', message: '', httpStatus: status });
              }, liveStreamMs);
        let status = 0;
        let responseHeaders: http2.IncomingHttpHeaders = {};
        let trailers: http2.IncomingHttpHeaders = {};
        const chunks: Buffer[] = [];
        req.on('response', (h) => {
          responseHeaders = h;
          status = Number(h[':status']);
        });
        req.on('trailers', (t) => {
          trailers = t;
        });
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('error', (err) => {
          clearTimeout(timer);
          clearTimeout(live);
          reject(err);
        });
        req.on('end', () => {
          clearTimeout(timer);
          clearTimeout(live);
          resolve(decodeAnswer(protocol, status, responseHeaders, trailers, Buffer.concat(chunks)));
        });
        req.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
      });
    },
    close() {
      session.close();
    },
  };
}
