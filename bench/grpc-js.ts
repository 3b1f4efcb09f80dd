/**
 * A grpc-js client built from a generated service descriptor (grpc-js needs serializers;
 * plain objects do not serialize, so every message goes through `create` first). Used by the
 * load generator, so the client is a different gRPC implementation than the server.
 */
import { create, fromBinary, toBinary, type DescMessage, type DescService, type MessageInitShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';

export type GrpcJsClient = grpc.Client & Record<string, unknown>;

export function grpcJsClient(service: DescService, address: string): GrpcJsClient {
  const serialize = (schema: DescMessage) => (msg: object) =>
    Buffer.from(toBinary(schema, create(schema, msg as MessageInitShape<DescMessage>)));
  const deserialize = (schema: DescMessage) => (bytes: Buffer) => fromBinary(schema, bytes);
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const m of service.methods) {
    definition[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: false,
      responseStream: m.methodKind === 'server_streaming',
      requestSerialize: serialize(m.input),
      requestDeserialize: deserialize(m.input),
      responseSerialize: serialize(m.output),
      responseDeserialize: deserialize(m.output),
    };
  }
  const Ctor = grpc.makeGenericClientConstructor(definition, service.name);
  return new Ctor(address, grpc.credentials.createInsecure()) as unknown as GrpcJsClient;
}

/** Calls unary method `name` and resolves with the response. */
export function unary<T>(client: GrpcJsClient, name: string, request: object, md: grpc.Metadata): Promise<T> {
  const fn = client[name];
  if (typeof fn !== 'function') throw new Error(`no method ${name}`);
  return new Promise<T>((resolve, reject) => {
    (fn as (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: T) => void) => void).call(
      client,
      request,
      md,
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}

export function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}
