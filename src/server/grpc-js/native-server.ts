/**
 * The native gRPC listener: a grpc-js server on its own port (docs/grpc.md says why not the
 * shared one), serving the adapter's services with the request size limit, and draining on
 * shutdown like the Connect listener: no new calls, open streams end (the stream-shutdown
 * interceptor), unary calls get the grace period, then everything left is cut.
 */
import * as grpc from '@grpc/grpc-js';
import { grpcJsServices, type GrpcJsAdapterOptions } from './adapter.js';

export interface NativeGrpcOptions extends GrpcJsAdapterOptions {
  /** Largest accepted request message, in bytes (larger ones get RESOURCE_EXHAUSTED). */
  readonly maxRequestBytes: number;
}

export interface NativeGrpcServer {
  readonly server: grpc.Server;
  /** Binds `host:port` (0 picks a free port) and resolves with the port. */
  listen(host: string, port: number): Promise<number>;
  /**
   * Graceful stop, like ConnectionTracker.drain: resolves true when every call finished within
   * `graceMs`; otherwise calls `onGraceExpired` (which aborts the calls) and, `forceAfterMs`
   * later, cuts every connection; resolves false.
   */
  drain(options: { graceMs: number; forceAfterMs?: number; onGraceExpired?: () => void }): Promise<boolean>;
}

export function createNativeGrpcServer(options: NativeGrpcOptions): NativeGrpcServer {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxRequestBytes,
  });
  for (const service of grpcJsServices(options)) server.addService(service.definition, service.implementation);
  let bound = false;

  return {
    server,
    listen(host, port) {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, actual) => {
          if (err !== null) reject(err);
          else {
            bound = true;
            resolve(actual);
          }
        });
      });
    },
    async drain({ graceMs, forceAfterMs = 1000, onGraceExpired }) {
      if (!bound) {
        server.forceShutdown();
        return true;
      }
      const stopped = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      let timer: NodeJS.Timeout | undefined;
      const wait = (ms: number) =>
        Promise.race([stopped.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]).finally(() =>
          clearTimeout(timer),
        );
      if (await wait(graceMs)) return true;
      onGraceExpired?.();
      // forceShutdown destroys every session; tryShutdown's callback is not awaited after it.
      if (!(await wait(forceAfterMs))) server.forceShutdown();
      return false;
    },
  };
}
