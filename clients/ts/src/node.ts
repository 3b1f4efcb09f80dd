/**
 * @kavach/client for Node: all three protocols over node:http/node:http2 (connect-node). gRPC
 * always uses HTTP/2; Connect and gRPC-Web use HTTP/1.1 unless `httpVersion: "2"` is given.
 */
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { createClientWith, type KavachClient, type KavachClientOptions, type TransportFactory } from './client.js';

export * from './exports.js';

export interface NodeClientOptions extends KavachClientOptions {
  /** HTTP version for "connect" and "grpc-web" (default "1.1"). */
  readonly httpVersion?: '1.1' | '2';
}

export function createKavachClient(options: NodeClientOptions): KavachClient {
  const httpVersion = options.httpVersion ?? '1.1';
  const factory: TransportFactory = (kind, baseUrl, interceptors) => {
    switch (kind) {
      case 'grpc':
        return createGrpcTransport({ baseUrl, interceptors });
      case 'grpc-web':
        return createGrpcWebTransport({ baseUrl, interceptors, httpVersion });
      case 'connect':
        return createConnectTransport({ baseUrl, interceptors, httpVersion });
    }
  };
  return createClientWith(options, factory);
}
