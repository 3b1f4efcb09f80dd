/**
 * Browser-safe transports (fetch): Connect and gRPC-Web. gRPC proper needs HTTP/2 trailers,
 * which browsers do not expose, so it is refused with a clear message.
 */
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-web';
import type { TransportFactory } from './client.js';

export const webTransports: TransportFactory = (kind, baseUrl, interceptors) => {
  switch (kind) {
    case 'connect':
      return createConnectTransport({ baseUrl, interceptors });
    case 'grpc-web':
      return createGrpcWebTransport({ baseUrl, interceptors });
    case 'grpc':
      throw new TypeError('transport "grpc" needs HTTP/2 and works only in Node (import @kavach/client/node); use "connect" or "grpc-web" in a browser');
  }
};
