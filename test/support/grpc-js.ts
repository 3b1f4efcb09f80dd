/**
 * grpc-js clients for the end-to-end ring: a second, independent gRPC implementation talking to
 * the server, built from the generated descriptors. grpc-js needs serializers, and plain
 * objects do not serialize, so every message goes through `create()` first.
 *
 *   const channel = grpcJsChannel(srv.url);
 *   const agents = grpcJsUnaryClient(channel, AgentService);
 *   const { agent, token } = await agents.createAgent({ ... }, bearer(srv.adminToken));
 *   ...
 *   channel.close();
 */
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethodUnary,
  type DescService,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'vitest';

const serialize = (schema: DescMessage) => (msg: object) =>
  Buffer.from(toBinary(schema, create(schema, msg as MessageInitShape<DescMessage>)));
const deserialize = (schema: DescMessage) => (bytes: Buffer) => fromBinary(schema, bytes);

/** `host:port` of an `http://host:port` URL, as grpc-js wants it. */
function targetOf(url: string): string {
  return new URL(url).host;
}

// ---------------------------------------------------------------------------------------------
// Untyped clients, by method name (every method kind, streams included)

export type GrpcJsClient = grpc.Client & Record<string, unknown>;

/** A grpc-js client with one method per RPC of `service`, named by its `localName`. */
export function grpcJsClient(service: DescService, url: string): GrpcJsClient {
  const definition: grpc.ServiceDefinition = {};
  for (const m of service.methods) {
    (definition as Record<string, grpc.MethodDefinition<object, object>>)[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming',
      responseStream: m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming',
      requestSerialize: serialize(m.input),
      requestDeserialize: deserialize(m.input),
      responseSerialize: serialize(m.output),
      responseDeserialize: deserialize(m.output),
    };
  }
  const Ctor = grpc.makeGenericClientConstructor(definition, service.name);
  return new Ctor(targetOf(url), grpc.credentials.createInsecure()) as unknown as GrpcJsClient;
}

/** The client's method `name`, typed as the caller says (these clients are untyped). */
export function method<F>(client: GrpcJsClient, name: string): F {
  const fn = client[name];
  if (typeof fn !== 'function') throw new Error(`no method ${name}`);
  return fn.bind(client) as F;
}

/** Calls unary method `name` and resolves with the response. */
export function unary<T>(client: GrpcJsClient, name: string, request: object, md = new grpc.Metadata()): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    type Unary = (req: object, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: T) => void) => void;
    method<Unary>(client, name)(request, md, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

// ---------------------------------------------------------------------------------------------
// Typed unary clients over one shared channel

/** A channel to `url` (`http://host:port`); close it when done, which closes every client on it. */
export function grpcJsChannel(url: string): grpc.Client {
  return new grpc.Client(targetOf(url), grpc.credentials.createInsecure());
}

/** The unary RPCs of `S`, typed like a Connect client's, taking grpc-js metadata instead of call options. */
export type GrpcJsUnaryClient<S extends DescService> = {
  [P in keyof S['method'] as S['method'][P] extends DescMethodUnary ? P : never]: S['method'][P] extends DescMethodUnary<
    infer I,
    infer O
  >
    ? (request: MessageInitShape<I>, md?: grpc.Metadata) => Promise<MessageShape<O>>
    : never;
};

/** A typed client for the unary RPCs of `service`, sending calls over `channel`. */
export function grpcJsUnaryClient<S extends DescService>(channel: grpc.Client, service: S): GrpcJsUnaryClient<S> {
  const client: Record<string, unknown> = {};
  for (const m of service.methods) {
    if (m.methodKind !== 'unary') continue;
    client[m.localName] = (request: object, md = new grpc.Metadata()) =>
      new Promise((resolve, reject) => {
        channel.makeUnaryRequest(
          `/${service.typeName}/${m.name}`,
          serialize(m.input),
          deserialize(m.output),
          request,
          md,
          {},
          (err, res) => (err ? reject(err) : resolve(res)),
        );
      });
  }
  return client as GrpcJsUnaryClient<S>;
}

// ---------------------------------------------------------------------------------------------
// Metadata and errors

/** Metadata holding `headers`. */
export function metadata(headers: Record<string, string>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  return md;
}

/** Metadata carrying `token` as the bearer credential, plus `headers`. */
export function bearer(token: string, headers: Record<string, string> = {}): grpc.Metadata {
  return metadata({ authorization: `Bearer ${token}`, ...headers });
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number';
}

/** Awaits `call` and returns the gRPC error it failed with; fails the test if it succeeded. */
export async function grpcErrorOf(call: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await call;
  } catch (error) {
    if (isServiceError(error)) return error;
    throw error;
  }
  return expect.fail('expected the call to fail, but it succeeded');
}

export { status as GrpcStatus } from '@grpc/grpc-js';
