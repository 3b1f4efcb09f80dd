/**
 * The request body's guard, in front of connect-es's own reading of it, for every protocol.
 *
 * Why here and not in an interceptor: connect-es parses a unary request before any interceptor
 * runs, and answers a binary message it cannot parse (truncated, wrong wire type, invalid UTF-8,
 * nested past protobuf-es's recursion limit) with `Internal` ("parse binary: ...", see
 * createBinarySerialization in @connectrpc/connect/dist/esm/protocol/serialization.js), and an
 * oversized one with a message naming its internal `readMaxBytes` option. So the guard reads the
 * body first, message by message:
 *
 * - a message (or a Connect unary body, by its content-length or its bytes) over
 *   KAVACH_MAX_REQUEST_BYTES is ResourceExhausted naming that setting and the limit, raised as
 *   soon as the size is known, before the rest is read;
 * - a binary message is decoded once with the same decoder and options connect-es uses; if that
 *   fails it is InvalidArgument saying why. Only bytes that decode pass on, so connect-es's
 *   parse of them cannot fail;
 * - a JSON message must be UTF-8, hold no lone surrogate escape, and use only known keys and
 *   enum names (src/api/strict-json.ts), each refusal naming the field path.
 *
 * (The Connect spec leaves how a server answers invalid requests open:
 * https://github.com/connectrpc/connectrpc.com/issues/169; no connect-es issue about the
 * Internal code was found.)
 *
 * Errors thrown by the body surface unchanged through every protocol. Interceptors never see a
 * unary call refused here, so `onRefused` reports it (log line and metrics); streaming calls read
 * their input inside the interceptors, which report them as usual.
 */
import { fromBinary, type BinaryReadOptions, type DescMessage } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import type { Compression, UniversalHandler, UniversalServerRequest } from '@connectrpc/connect/protocol';
import { unknownJsonProblem } from '../api/strict-json.js';

export interface EdgeGuardOptions {
  readonly maxRequestBytes: number;
  readonly binaryOptions: Partial<BinaryReadOptions>;
  readonly compressions: readonly Compression[];
  /** A unary call refused before its interceptors could see it. */
  onRefused(procedure: string, protocol: string, error: ConnectError, req: UniversalServerRequest): void;
}

interface Framing {
  readonly protocol: 'connect' | 'grpc' | 'grpc-web';
  readonly enveloped: boolean;
  readonly binary: boolean;
  /** The header naming the request's compression. */
  readonly encodingHeader: string;
}

/** How the request's body is framed and encoded, from its content type; undefined leaves it to connect-es. */
function framingOf(contentType: string): Framing | undefined {
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  switch (type) {
    case 'application/proto':
    case 'application/json':
      return { protocol: 'connect', enveloped: false, binary: type === 'application/proto', encodingHeader: 'content-encoding' };
    case 'application/connect+proto':
    case 'application/connect+json':
      return { protocol: 'connect', enveloped: true, binary: type.endsWith('proto'), encodingHeader: 'connect-content-encoding' };
    case 'application/grpc':
    case 'application/grpc+proto':
    case 'application/grpc+json':
      return { protocol: 'grpc', enveloped: true, binary: !type.endsWith('json'), encodingHeader: 'grpc-encoding' };
    case 'application/grpc-web':
    case 'application/grpc-web+proto':
    case 'application/grpc-web+json':
      return { protocol: 'grpc-web', enveloped: true, binary: !type.endsWith('json'), encodingHeader: 'grpc-encoding' };
    default:
      return undefined;
  }
}

function tooLarge(size: number | undefined, limit: number): ConnectError {
  const what = size === undefined ? 'the request message is' : `the request message is ${size} bytes,`;
  return new ConnectError(`${what} over the limit of ${limit} bytes set by KAVACH_MAX_REQUEST_BYTES`, Code.ResourceExhausted);
}

/**
 * How much of an oversized request is read (and dropped) before it is answered. A client that
 * wrote a large message in one go (grpc-js, connect-node) still holds most of it in its HTTP/2
 * session when an early answer arrives, and Node resets the stream with ENHANCE_YOUR_CALM
 * (maxSessionMemory, 10 MB by default) on the client's side: the caller would see that, not the
 * answer. Reading the rest first, up to this bound, lets the answer through; past it, the client
 * is sending far more than any limit allows and gets the answer at once.
 */
export const DRAIN_MAX_BYTES = 64 * 1024 * 1024;

/** Reads and drops up to DRAIN_MAX_BYTES - `seen` more bytes of `body`, then throws `error`. */
async function drainThenThrow(body: AsyncIterator<Uint8Array>, seen: number, error: ConnectError): Promise<never> {
  let read = seen;
  while (read <= DRAIN_MAX_BYTES) {
    const next = await body.next();
    if (next.done === true) break;
    read += next.value.byteLength;
  }
  throw error;
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Whether `text` holds a `\uD800`..`\uDFFF` escape that is not half of a surrogate pair. Such a
 * string cannot be a protobuf string (UTF-8), and connect-es echoes the bad value in its error
 * message, whose gRPC encoding (encodeURIComponent) throws on it: the call would never end.
 */
export function hasLoneSurrogateEscape(text: string): boolean {
  if (!text.includes('\\u')) return false;
  let pendingHigh = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\\') {
      if (pendingHigh) return true;
      continue;
    }
    const next = text[i + 1];
    if (next !== 'u') {
      if (pendingHigh) return true;
      i++; // any other escape, `\\` included, is two characters
      continue;
    }
    const code = Number.parseInt(text.slice(i + 2, i + 6), 16);
    i += 5;
    const high = code >= 0xd800 && code <= 0xdbff;
    const low = code >= 0xdc00 && code <= 0xdfff;
    if (pendingHigh !== low) return true;
    pendingHigh = high;
  }
  return pendingHigh;
}

/**
 * A JSON message must be valid UTF-8 JSON, name no lone surrogate, and use only the keys and
 * enum names its message defines; protobuf-es judges the rest.
 */
function checkJson(desc: DescMessage, bytes: Uint8Array): void {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ConnectError('the request is not valid UTF-8 JSON', Code.InvalidArgument);
  }
  if (hasLoneSurrogateEscape(text)) {
    throw new ConnectError('the request JSON holds a \\u escape of a lone surrogate, which no protobuf string can hold', Code.InvalidArgument);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConnectError(`the request is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, Code.InvalidArgument);
  }
  const problem = unknownJsonProblem(desc, value);
  if (problem !== undefined) throw new ConnectError(problem, Code.InvalidArgument);
}

interface Checker {
  /** Throws when `data` (one message, as sent) is compressed badly, too large once inflated, or not valid binary protobuf. */
  (data: Uint8Array, compressed: boolean): Promise<void>;
}

function createChecker(handler: UniversalHandler, framing: Framing, req: UniversalServerRequest, opt: EdgeGuardOptions): Checker {
  const encoding = req.header.get(framing.encodingHeader) ?? 'identity';
  const compression = opt.compressions.find((c) => c.name === encoding);
  const typeName = handler.method.input.typeName;
  return async (data, compressed) => {
    let bytes = data;
    if (compressed) {
      if (encoding === 'identity') {
        throw new ConnectError(`the request message is flagged compressed but the request names no ${framing.encodingHeader}`, Code.InvalidArgument);
      }
      // An unsupported encoding is connect-es's to refuse (Unimplemented), with the list it supports.
      if (compression === undefined) return;
      try {
        bytes = await compression.decompress(data, opt.maxRequestBytes);
      } catch (e) {
        if (ConnectError.from(e).code === Code.ResourceExhausted) throw tooLarge(undefined, opt.maxRequestBytes);
        throw new ConnectError(`the request message is not valid ${encoding} data`, Code.InvalidArgument);
      }
    }
    if (!framing.binary) return checkJson(handler.method.input, bytes);
    try {
      fromBinary(handler.method.input, bytes, opt.binaryOptions);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new ConnectError(`the request is not a valid binary ${typeName}: ${reason}`, Code.InvalidArgument);
    }
  };
}

/** A Connect unary body: read whole (bounded), checked, passed on as one chunk. */
async function* guardRaw(body: AsyncIterable<Uint8Array>, check: Checker, limit: number, compressed: boolean): AsyncGenerator<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const it = body[Symbol.asyncIterator]();
  for (let next = await it.next(); next.done !== true; next = await it.next()) {
    length += next.value.byteLength;
    if (length > limit) return drainThenThrow(it, length, tooLarge(undefined, limit));
    chunks.push(next.value);
  }
  const data = concat(chunks, length);
  await check(data, compressed);
  yield data;
}

/** gRPC, gRPC-Web and Connect streaming: 5-byte envelopes (flags, big-endian length), each checked. */
async function* guardEnveloped(body: AsyncIterable<Uint8Array>, check: Checker, limit: number, drain: boolean): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array = new Uint8Array(0);
  let read = 0;
  const it = body[Symbol.asyncIterator]();
  for (let next = await it.next(); next.done !== true; next = await it.next()) {
    const chunk = next.value;
    read += chunk.byteLength;
    pending = pending.byteLength === 0 ? chunk : concat([pending, chunk], pending.byteLength + chunk.byteLength);
    while (pending.byteLength >= 5) {
      const flags = pending[0] ?? 0;
      const length = new DataView(pending.buffer, pending.byteOffset, 5).getUint32(1);
      if (length > limit) {
        const error = tooLarge(length, limit);
        if (!drain) throw error;
        return drainThenThrow(it, read, error);
      }
      if (pending.byteLength < 5 + length) break;
      const envelope = pending.subarray(0, 5 + length);
      pending = pending.subarray(5 + length);
      await check(envelope.subarray(5), (flags & 0b1) === 0b1);
      yield envelope;
    }
  }
  // A partial envelope is connect-es's to refuse ("incomplete envelope", InvalidArgument).
  if (pending.byteLength > 0) yield pending;
}

function parseLength(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** Wraps one connect-es universal handler with the guard. */
export function guardHandler(handler: UniversalHandler, opt: EdgeGuardOptions): UniversalHandler {
  const procedure = `/${handler.service.typeName}/${handler.method.name}`;
  const unary = handler.method.methodKind === 'unary';
  const guarded = async (req: UniversalServerRequest) => {
    const framing = framingOf(req.header.get('content-type') ?? '');
    const body = req.body;
    if (framing === undefined || typeof body !== 'object' || body === null || !(Symbol.asyncIterator in body)) return handler(req);
    const limit = opt.maxRequestBytes;
    const check = createChecker(handler, framing, req, opt);
    let source: AsyncIterable<Uint8Array>;
    if (framing.enveloped) {
      // A client-streaming or bidi client may keep its side open, waiting for an answer: there is no end to read to.
      source = guardEnveloped(body, check, limit, handler.method.methodKind === 'unary' || handler.method.methodKind === 'server_streaming');
    } else {
      const declared = parseLength(req.header.get('content-length'));
      if (declared !== undefined && declared > limit) {
        // connect-es checks the declared length before reading; without it, it reads our stream.
        req.header.delete('content-length');
        const error = tooLarge(declared, limit);
        const refuse = (): Promise<never> => (declared > DRAIN_MAX_BYTES ? Promise.reject(error) : drainThenThrow(body[Symbol.asyncIterator](), 0, error));
        source = { [Symbol.asyncIterator]: () => ({ next: refuse }) };
      } else {
        const encoding = req.header.get(framing.encodingHeader);
        source = guardRaw(body, check, limit, encoding !== null && encoding !== 'identity');
      }
    }
    const reporting = unary ? reportRefusal(source, (e) => opt.onRefused(procedure, framing.protocol, e, req)) : source;
    return handler({ ...req, body: reporting });
  };
  return Object.assign(guarded, {
    protocolNames: handler.protocolNames,
    allowedMethods: handler.allowedMethods,
    supportedContentType: handler.supportedContentType,
    requestPath: handler.requestPath,
    service: handler.service,
    method: handler.method,
  });
}

async function* reportRefusal(source: AsyncIterable<Uint8Array>, report: (e: ConnectError) => void): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } catch (e) {
    if (e instanceof ConnectError) report(e);
    throw e;
  }
}
