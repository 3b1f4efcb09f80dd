/**
 * Native gRPC on @grpc/grpc-js, running the same service implementations and the same Connect
 * interceptors as the connect-node path: not a second implementation, only a second transport.
 *
 * The services are taken from the one registration function (src/api/routes.ts) through a
 * router that records what is registered; each method becomes a grpc-js handler that decodes
 * with protobuf-es, builds the request a Connect interceptor expects (service, method, header,
 * contextValues, signal, message), runs the interceptor chain around the implementation, and
 * maps the outcome onto a gRPC status with trailers. grpc-js only moves bytes: its serializers
 * are the identity, so a malformed message is ours to reject, as InvalidArgument.
 */
import { create, fromBinary, isMessage, toBinary, type DescMessage, type DescMethod } from '@bufbuild/protobuf';
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';
import { openCall, type CallInfo, type CallState } from './call.js';
import { captureRoutes, type Route } from './capture-routes.js';
import { metadataOf, statusOf } from './status.js';

export type { CallInfo } from './call.js';

type AnyRequest = UnaryRequest | StreamRequest;
type AnyResponse = UnaryResponse | StreamResponse;
type AnyFn = (req: AnyRequest) => Promise<AnyResponse>;

export interface GrpcJsAdapterOptions {
  /** The registration function the Connect path uses (src/api/routes.ts). */
  readonly routes: (router: ConnectRouter) => void;
  /** The server's interceptors, outermost first; they wrap every call. */
  readonly interceptors: readonly Interceptor[];
  /** Aborts every call in flight (the end of the shutdown grace period). */
  readonly shutdownSignal?: AbortSignal;
  /** The context values a call starts with (connection facts), as the Connect path sets them. */
  readonly contextValues?: (call: CallInfo) => ContextValues;
}

/** One service, ready for `grpc.Server.addService`. */
export interface GrpcJsService {
  readonly typeName: string;
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

const identity = (bytes: Buffer): Buffer => bytes;

/** A handler may return a plain object; it becomes a message of the method's output type. */
function normalize(schema: DescMessage, value: unknown): unknown {
  return isMessage(value, schema) ? value : create(schema, value as never);
}

async function* normalizeIterable(schema: DescMessage, values: AsyncIterable<unknown>): AsyncIterable<unknown> {
  for await (const value of values) yield normalize(schema, value);
}

function malformed(method: DescMethod, error: unknown): ConnectError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ConnectError(`malformed ${method.input.typeName}: ${reason}`, Code.InvalidArgument);
}

function decode<T>(method: DescMethod, schema: DescMessage, bytes: Buffer): T {
  try {
    return fromBinary(schema, bytes) as T;
  } catch (error) {
    throw malformed(method, error);
  }
}

const encode = (schema: DescMessage, message: unknown): Buffer => {
  const bytes = toBinary(schema, message as never);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
};

function handlerContext(c: CallState, method: DescMethod, req: AnyRequest): HandlerContext {
  return {
    method,
    service: req.service,
    // Getters: the signal is only made when someone looks (CallState).
    get signal() {
      return req.signal;
    },
    timeoutMs: c.timeoutMs,
    requestMethod: 'POST',
    requestHeader: req.header,
    responseHeader: c.responseHeader,
    responseTrailer: c.responseTrailer,
    protocolName: 'grpc',
    values: req.contextValues,
    url: c.url,
  };
}

function requestOf(c: CallState, method: DescMethod, message: unknown, stream: boolean): AnyRequest {
  return {
    stream,
    service: method.parent,
    method,
    requestMethod: 'POST',
    url: c.url,
    get signal() {
      return c.signal;
    },
    header: c.header,
    contextValues: c.values,
    message,
  } as AnyRequest;
}

async function single<T>(messages: AsyncIterable<T>): Promise<T> {
  for await (const message of messages) return message;
  throw new ConnectError('protocol error: missing input message', Code.InvalidArgument);
}

async function* once<T>(value: T): AsyncIterable<T> {
  yield value;
}

/**
 * The request messages of a bidi call. `destroyOnReturn: false`: a plain for-await destroys the
 * duplex when the client half-closes, and with it the response half before its status is sent.
 */
async function* decodeStream<T>(call: grpc.ServerDuplexStream<Buffer, Buffer>, method: DescMethod): AsyncIterable<T> {
  for await (const chunk of call.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) yield decode<T>(method, method.input, chunk);
}

/** Resolves when the stream may take more, or the call ended. */
function drained(call: NodeJS.EventEmitter, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** `interceptors` around `inner`, the first outermost (connect-es's own order). */
function chain(interceptors: readonly Interceptor[], inner: AnyFn): AnyFn {
  let next = inner;
  for (let i = interceptors.length - 1; i >= 0; i--) next = (interceptors[i] as unknown as (n: AnyFn) => AnyFn)(next);
  return next;
}

type Impl = (input: unknown, ctx: HandlerContext) => unknown;

function unaryHandler(route: Route, interceptors: readonly Interceptor[], options: GrpcJsAdapterOptions): grpc.handleUnaryCall<Buffer, Buffer> {
  const method = route.spec.method;
  const impl = route.spec.impl as Impl;
  const output = method.output;
  return (call, callback) => {
    const c = openCall(call, method, options);
    const fail = (error: unknown): void => {
      call.sendMetadata(metadataOf(c.responseHeader) ?? new grpc.Metadata());
      callback(statusOf(error, c.responseTrailer));
      c.finish();
    };
    let input: unknown;
    try {
      input = decode(method, method.input, call.request);
    } catch (error) {
      fail(error);
      return;
    }
    const inner: AnyFn = async (req) =>
      ({
        stream: false,
        service: req.service,
        method,
        header: c.responseHeader,
        trailer: c.responseTrailer,
        message: normalize(output, await impl(req.message, handlerContext(c, method, req))),
      }) as AnyResponse;
    let pending: Promise<AnyResponse>;
    try {
      pending = chain(interceptors, inner)(requestOf(c, method, input, false));
    } catch (error) {
      // An interceptor that is not async may throw before it returns a promise.
      fail(error);
      return;
    }
    pending.then((res) => {
      let bytes: Buffer;
      try {
        bytes = encode(output, res.message);
      } catch (error) {
        fail(error);
        return;
      }
      call.sendMetadata(metadataOf(res.header) ?? new grpc.Metadata());
      callback(null, bytes, metadataOf(res.trailer));
      c.finish();
    }, fail);
  };
}

type StreamCall = grpc.ServerWritableStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>;

function streamHandler(route: Route, interceptors: readonly Interceptor[], options: GrpcJsAdapterOptions): (call: StreamCall) => void {
  const method = route.spec.method;
  const impl = route.spec.impl as Impl;
  const output = method.output;
  const serverStreaming = method.methodKind === 'server_streaming';
  return (call) => {
    const c = openCall(call, method, options);
    let headerSent = false;
    const sendHeader = (header: Headers): void => {
      if (headerSent) return;
      headerSent = true;
      call.sendMetadata(metadataOf(header) ?? new grpc.Metadata());
    };
    const inner: AnyFn = async (req) => {
      const messages = req.message as AsyncIterable<unknown>;
      const out = serverStreaming ? impl(await single(messages), handlerContext(c, method, req)) : impl(messages, handlerContext(c, method, req));
      return { stream: true, service: req.service, method, header: c.responseHeader, trailer: c.responseTrailer, message: normalizeIterable(output, out as AsyncIterable<unknown>) } as AnyResponse;
    };
    const pump = async (): Promise<void> => {
      const input = serverStreaming
        ? once(decode(method, method.input, (call as grpc.ServerWritableStream<Buffer, Buffer>).request))
        : decodeStream(call as grpc.ServerDuplexStream<Buffer, Buffer>, method);
      const res = await chain(interceptors, inner)(requestOf(c, method, input, true));
      for await (const message of res.message as AsyncIterable<unknown>) {
        sendHeader(res.header);
        if (!call.write(encode(output, message))) await drained(call, c.signal);
        // The client went away, or the deadline passed: stop the handler (leaving the loop returns its iterator).
        if (c.signal.aborted) throw c.signal.reason;
      }
      sendHeader(res.header);
      call.end(metadataOf(res.trailer));
    };
    pump().then(
      () => c.finish(),
      (error: unknown) => {
        sendHeader(c.responseHeader);
        const status = statusOf(error, c.responseTrailer);
        call.emit('error', { ...status, name: 'ConnectError', message: status.details });
        c.finish();
      },
    );
  };
}

/**
 * grpc-js services for everything `options.routes` registers. Every call runs
 * `options.interceptors` (outermost first), then the registration's own, then the method.
 */
export function grpcJsServices(options: GrpcJsAdapterOptions): GrpcJsService[] {
  const byService = new Map<string, { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation }>();
  for (const route of captureRoutes(options.routes)) {
    const { method } = route.spec;
    if (method.methodKind === 'client_streaming') {
      // No Kavach RPC streams from the client alone; refuse at start rather than misbehave at run time.
      throw new Error(`${method.parent.typeName}.${method.name}: client-streaming methods are not served on the native gRPC path`);
    }
    let service = byService.get(method.parent.typeName);
    if (service === undefined) byService.set(method.parent.typeName, (service = { definition: {}, implementation: {} }));
    const interceptors = [...options.interceptors, ...route.interceptors];
    const streaming = method.methodKind !== 'unary';
    (service.definition as Record<string, grpc.MethodDefinition<Buffer, Buffer>>)[method.localName] = {
      path: `/${method.parent.typeName}/${method.name}`,
      requestStream: method.methodKind === 'bidi_streaming',
      responseStream: streaming,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
    service.implementation[method.localName] = streaming
      ? (streamHandler(route, interceptors, options) as grpc.UntypedHandleCall)
      : (unaryHandler(route, interceptors, options) as grpc.UntypedHandleCall);
  }
  return [...byService].map(([typeName, s]) => ({ typeName, ...s }));
}
