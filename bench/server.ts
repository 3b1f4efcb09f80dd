/**
 * The benchmark's server process: the real composition root on the embedded store, configured
 * from the environment like `npm start`, printing `READY {"port":…}` once it listens. With
 * KAVACH_GRPC_PORT set, the native gRPC port is listed as `grpc`; with BENCH_ROUTING=1 two more
 * listeners join, for docs/grpc.md's measurements:
 *   - `inject`: the shared-port alternative, the dual listener's sniffing handing every HTTP/2
 *     connection to the same grpc-js server (`createConnectionInjector`);
 *   - `bare`: bare grpc-js answering Health/Check with a constant, no adapter and no interceptors
 *     (the floor for the empty call).
 */
import * as grpc from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import type { AddressInfo } from 'node:net';
import { HealthCheckResponseSchema, HealthCheckResponse_ServingStatus } from '../gen/health/v1/health_pb.js';
import { loadConfig } from '../src/config.js';
import { createServer } from '../src/server/server.js';
import { createDualListener } from '../src/server/dual-listener.js';

const config = loadConfig();
const server = await createServer(config);
const { port } = await server.listen();
const ports: Record<string, number> = { port };
const grpcUrl = server.grpcUrl();
if (grpcUrl !== undefined) ports.grpc = Number(new URL(grpcUrl).port);

const extras: { close(): void }[] = [];
if (process.env.BENCH_ROUTING === '1' && server.nativeGrpc !== undefined) {
  const injector = server.nativeGrpc.server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const shared = createDualListener({ h2c: (socket) => injector.injectConnection(socket), http1: (socket) => socket.destroy() });
  await new Promise<void>((resolve) => shared.listen(0, '127.0.0.1', resolve));
  ports.inject = (shared.address() as AddressInfo).port;
  extras.push(shared, { close: () => injector.destroy() });

  const bare = new grpc.Server();
  const answer = Buffer.from(toBinary(HealthCheckResponseSchema, create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING })));
  const identity = (b: Buffer) => b;
  bare.addService(
    { check: { path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    { check: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, answer) },
  );
  ports.bare = await new Promise<number>((resolve, reject) =>
    bare.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  extras.push({ close: () => bare.forceShutdown() });
}

process.stdout.write(`READY ${JSON.stringify(ports)}\n`);
const stop = () => {
  for (const e of extras) e.close();
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
