/**
 * Reading requests and writing answers for the REST surface: the body is streamed and refused
 * once it passes the server's size limit (KAVACH_MAX_REQUEST_BYTES), JSON is parsed strictly,
 * and query strings allow only the parameters a route names, each at most once.
 */
import type http from 'node:http';
import type http2 from 'node:http2';
import { invalidArgument } from '../domain/errors.js';
import { HttpStatusError } from './errors.js';

export type Req = http.IncomingMessage | http2.Http2ServerRequest;
export type Res = http.ServerResponse | http2.Http2ServerResponse;

/** The body as parsed JSON; an empty body is `undefined`. */
export async function readJsonBody(req: Req, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Stop reading at once: the rest of an oversized body is never held in memory.
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const type = String(req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpStatusError(415, 'UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON: send "content-type: application/json"');
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // Only the position: V8 quotes the start of the text it could not parse, and that may be a
    // password, which would travel on in error messages that clients log.
    const at = /at position (\d+)/.exec((err as Error).message)?.[1];
    throw invalidArgument('body', `is not valid JSON${at === undefined ? '' : ` (at character ${at})`}`);
  }
}

const tooLarge = (maxBytes: number): HttpStatusError =>
  new HttpStatusError(413, 'RESOURCE_EXHAUSTED', `the request body is larger than ${maxBytes} bytes`);

/** The query string's parameters; unknown or repeated ones are invalid_argument naming them. */
export function queryOf(search: string, allowed: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(search)) {
    if (!allowed.includes(key)) {
      throw invalidArgument(key, `is not a known query parameter${allowed.length === 0 ? '' : ` (known: ${allowed.join(', ')})`}`);
    }
    if (out.has(key)) throw invalidArgument(key, 'is given more than once');
    out.set(key, value);
  }
  return out;
}

export function sendJson(res: Res, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.writeHead(status);
  res.end(text);
}

export function sendNoContent(res: Res): void {
  res.writeHead(204);
  res.end();
}

/** Writes `chunk`, and waits while the client is slower than us, so memory stays flat. */
export async function writeChunk(res: Res, chunk: string | Uint8Array, signal: AbortSignal): Promise<void> {
  if ((res as http.ServerResponse).write(chunk)) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
