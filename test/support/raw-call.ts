/**
 * One well-formed RPC sent by hand over gRPC (h2c), gRPC-Web (HTTP/1.1) or Connect (HTTP/1.1),
 * binary bodies (test/support/raw-rpc.ts builds malformed ones for the fuzz ring), reporting how the *server* ended it. Generated clients enforce a deadline themselves
 * and report DEADLINE_EXCEEDED whatever the server sent; these requests carry the timeout header
 * and never give up before the server answers (up to `giveUpMs`), so a test sees the server's
 * own status: a stream the server ended OK after its deadline shows here as `ok`.
 */
import http from 'node:http';
import http2 from 'node:http2';
import { Code } from '@connectrpc/connect';
import { codeFromString, codeToString } from '@connectrpc/connect/protocol-connect';

export type RawProtocol = 'grpc' | 'grpc-web' | 'connect';
export const RAW_PROTOCOLS: readonly RawProtocol[] = ['grpc', 'grpc-web', 'connect'];

export interface RawCall {
  /** `/package.Service/Method` */
  readonly procedure: string;
  readonly kind: 'unary' | 'stream';
  /** The binary request message. */
  readonly message: Uint8Array;
  /** Sent as `grpc-timeout` (`<n>m`) or `connect-timeout-ms`; undefined sends no deadline. */
  readonly timeoutMs?: number;
  readonly headers?: Record<string, string>;
  /** The client gives up (and reports `client-gave-up`) after this long. Default 20 s. */
  readonly giveUpMs?: number;
  /**
   * gRPC only: read nothing for this long after sending, so HTTP/2 flow control holds the
   * server's writes (a slow reader), then read everything.
   */
  readonly pauseReadingMs?: number;
}

export interface RawOutcome {
  /** Lower-case status the server ended the call with (`ok`, `deadline_exceeded`), or `client-gave-up`. */
  readonly code: string;
  /** Response messages received before the status. */
  readonly messages: number;
}

function envelope(flags: number, data: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

function frames(body: Buffer): { flags: number; data: Buffer }[] {
  const out: { flags: number; data: Buffer }[] = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    out.push({ flags: body.readUInt8(at), data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

const grpcCode = (status: string | undefined): string =>
  status === undefined ? 'missing-status' : status === '0' ? 'ok' : codeToString(Number(status) as Code);

function grpcCall(url: string, call: RawCall): Promise<RawOutcome> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on('error', reject);
    const stream = session.request({
      ':method': 'POST',
      ':path': call.procedure,
      'content-type': 'application/grpc+proto',
      te: 'trailers',
      ...(call.timeoutMs === undefined ? {} : { 'grpc-timeout': `${call.timeoutMs}m` }),
      ...call.headers,
    });
    let headerStatus: string | undefined;
    const chunks: Buffer[] = [];
    const giveUp = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      session.close();
      resolve({ code: 'client-gave-up', messages: frames(Buffer.concat(chunks)).length });
    }, call.giveUpMs ?? 20_000);
    stream.on('response', (headers) => (headerStatus = headers['grpc-status'] as string | undefined));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    if (call.pauseReadingMs !== undefined) {
      stream.pause();
      setTimeout(() => stream.resume(), call.pauseReadingMs);
    }
    stream.on('trailers', (trailers) => (headerStatus = (trailers['grpc-status'] as string | undefined) ?? headerStatus));
    stream.on('error', reject);
    stream.on('end', () => {
      clearTimeout(giveUp);
      session.close();
      resolve({ code: grpcCode(headerStatus), messages: frames(Buffer.concat(chunks)).length });
    });
    stream.end(envelope(0, call.message));
  });
}

function http1Call(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  giveUpMs: number,
  read: (status: number, headers: http.IncomingHttpHeaders, body: Buffer) => RawOutcome,
): Promise<RawOutcome> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(giveUp);
        resolve(read(res.statusCode ?? 0, res.headers, Buffer.concat(chunks)));
      });
    });
    const giveUp = setTimeout(() => {
      req.destroy();
      resolve({ code: 'client-gave-up', messages: 0 });
    }, giveUpMs);
    req.on('error', (err) => {
      clearTimeout(giveUp);
      reject(err);
    });
    req.end(body);
  });
}

function grpcWebCall(url: string, call: RawCall): Promise<RawOutcome> {
  const headers = {
    'content-type': 'application/grpc-web+proto',
    'x-grpc-web': '1',
    ...(call.timeoutMs === undefined ? {} : { 'grpc-timeout': `${call.timeoutMs}m` }),
    ...call.headers,
  };
  return http1Call(`${url}${call.procedure}`, headers, envelope(0, call.message), call.giveUpMs ?? 20_000, (_status, head, body) => {
    let status = head['grpc-status'] as string | undefined;
    let messages = 0;
    for (const frame of frames(body)) {
      if ((frame.flags & 0x80) === 0) {
        messages++;
        continue;
      }
      const line = /grpc-status:\s*(\d+)/i.exec(frame.data.toString('utf8'));
      if (line !== null) status = line[1];
    }
    return { code: grpcCode(status), messages };
  });
}

function connectCall(url: string, call: RawCall): Promise<RawOutcome> {
  const timeout: Record<string, string> = call.timeoutMs === undefined ? {} : { 'connect-timeout-ms': String(call.timeoutMs) };
  const giveUpMs = call.giveUpMs ?? 20_000;
  if (call.kind === 'unary') {
    const headers = { 'content-type': 'application/proto', 'connect-protocol-version': '1', ...timeout, ...call.headers };
    return http1Call(`${url}${call.procedure}`, headers, Buffer.from(call.message), giveUpMs, (status, _head, body) => {
      if (status === 200) return { code: 'ok', messages: 1 };
      const error = JSON.parse(body.toString('utf8')) as { code?: string };
      return { code: error.code ?? `http-${status}`, messages: 0 };
    });
  }
  const headers = { 'content-type': 'application/connect+proto', 'connect-protocol-version': '1', ...timeout, ...call.headers };
  return http1Call(`${url}${call.procedure}`, headers, envelope(0, call.message), giveUpMs, (status, _head, body) => {
    if (status !== 200) return { code: `http-${status}`, messages: 0 };
    let code = 'missing-end-stream';
    let messages = 0;
    for (const frame of frames(body)) {
      if ((frame.flags & 0x02) === 0) {
        messages++;
        continue;
      }
      const end = JSON.parse(frame.data.toString('utf8')) as { error?: { code?: string } };
      code = end.error === undefined ? 'ok' : codeToString(codeFromString(end.error.code ?? '') ?? Code.Unknown);
    }
    return { code, messages };
  });
}

/** Sends `call` over `protocol` to the server at `url` and reports how the server ended it. */
export function rawCall(url: string, protocol: RawProtocol, call: RawCall): Promise<RawOutcome> {
  switch (protocol) {
    case 'grpc':
      return grpcCall(url, call);
    case 'grpc-web':
      return grpcWebCall(url, call);
    case 'connect':
      return connectCall(url, call);
  }
}
