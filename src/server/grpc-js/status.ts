/**
 * The edges between Connect's types and grpc-js's: request metadata to `Headers`, response
 * headers and trailers to `Metadata`, and any thrown value to a gRPC status. The codes are the
 * same numbers in both (Connect's `Code` is the gRPC status code), so the error table that the
 * interceptors apply reaches a native gRPC client unchanged; grpc-js percent-encodes
 * `grpc-message` on the wire.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';

/** Set by gRPC itself; a handler's header of the same name would corrupt the response. */
const RESERVED = new Set(['content-type', 'grpc-status', 'grpc-message', 'grpc-status-details-bin', 'grpc-encoding', 'te']);

/**
 * Request metadata as the `Headers` a Connect interceptor reads. Binary (`-bin`) values are
 * base64, as connect-node hands them over. grpc-js strips `content-type`; it is put back so
 * that interceptors label the protocol (`application/grpc`) as on the Connect path.
 */
export function headersOf(metadata: grpc.Metadata): Headers {
  const headers = new Headers();
  const map = metadata.toHttp2Headers();
  for (const key in map) {
    const value = map[key];
    if (value === undefined) continue;
    if (typeof value === 'string') headers.append(key, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else headers.append(key, String(value));
  }
  headers.set('content-type', 'application/grpc');
  return headers;
}

/** `headers` as grpc-js metadata; undefined when there is nothing to send. */
export function metadataOf(headers: Headers | undefined, into?: grpc.Metadata): grpc.Metadata | undefined {
  let md = into;
  headers?.forEach((value, key) => {
    if (RESERVED.has(key)) return;
    md ??= new grpc.Metadata();
    if (key.endsWith('-bin')) {
      for (const part of value.split(/,\s*/)) md.add(key, Buffer.from(part, 'base64'));
    } else {
      md.add(key, value);
    }
  });
  return md;
}

/** What grpc-js needs to end a call with an error: code, message, trailers. */
export interface GrpcStatus {
  readonly code: grpc.status;
  readonly details: string;
  readonly metadata: grpc.Metadata;
}

/**
 * `error` as a gRPC status. By the time an error gets here the error interceptor has mapped it
 * (a KavachError to its code, anything unknown to Internal with only a request id); what was
 * thrown outside the chain (a malformed message, a deadline) is already a ConnectError. The
 * error's metadata (e.g. `retry-after`) and the call's trailers go out as trailers.
 */
export function statusOf(error: unknown, trailer: Headers | undefined): GrpcStatus {
  // Anything else escaped every interceptor: its message may describe our insides, so it stays here.
  const ce = error instanceof ConnectError ? error : new ConnectError('internal error', Code.Internal);
  const metadata = new grpc.Metadata();
  metadataOf(trailer, metadata);
  metadataOf(ce.metadata, metadata);
  return { code: ce.code as number as grpc.status, details: ce.rawMessage, metadata };
}
