/**
 * The composition root (docs/ARCHITECTURE.md#layers): openStore -> createApp -> routes -> one port serving
 * gRPC, gRPC-Web and Connect over h2c and HTTP/1.1, plus health, reflection, `/healthz`,
 * `/metrics`, CORS, request ids, request size limits and a graceful shutdown.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createContextValues } from '@connectrpc/connect';
import { compressionBrotli, compressionGzip } from '@connectrpc/connect-node';
import { codeToString } from '@connectrpc/connect/protocol-connect';
import type { Logger } from 'pino';
import { callMetaKey } from '../api/context-keys.js';
import { createHealth, type HealthService } from '../api/health.js';
import { createInterceptors } from '../api/interceptors.js';
import { routes } from '../api/routes.js';
import { createApp, type App } from '../app/app.js';
import { createRestHandler } from '../rest/handler.js';
import type { Config } from '../config.js';
import { instrumentStore } from '../observability/instrument-store.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { callMetaOf, forwardedHops, peerIpOf } from './call-meta.js';
import { createConnectionTracker } from './connections.js';
import { createConsoleHandler } from './console.js';
import { createCorsPolicy } from './cors.js';
import { createDualListener } from './dual-listener.js';
import { specGrpcMessages } from './grpc-message.js';
import { createNativeGrpcServer, type NativeGrpcServer } from './grpc-js/native-server.js';
import { createHttpEndpoints } from './http-endpoints.js';
import { openStore } from './open-store.js';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js';
import { watchStoreHealth } from './store-health.js';
import { withTimeLimits } from '../store/time-limit.js';
import { guardHandler } from './edge-guard.js';
import { createRpcAdapter } from './rpc-adapter.js';
import { shuttingDownError } from '../api/stream-shutdown.js';

export interface ServerOptions {
  /** Defaults to a pino logger at `config.logLevel`. */
  readonly logger?: Logger;
  /** The clock the app uses; tests inject a fake one. */
  readonly now?: () => Date;
}

export interface KavachServer {
  readonly app: App;
  readonly metrics: Metrics;
  readonly health: HealthService;
  /** The native gRPC server (KAVACH_GRPC_PORT), e.g. to inject connections into; undefined when off. */
  readonly nativeGrpc: NativeGrpcServer | undefined;
  /** Binds `config.host:config.port` (port 0 picks a free port) and starts reporting SERVING. */
  listen(): Promise<{ host: string; port: number }>;
  /** `http://host:port` of the bound listener. Throws before `listen` resolved. */
  url(): string;
  /** `http://host:port` of the native gRPC listener (KAVACH_GRPC_PORT); undefined when there is none. */
  grpcUrl(): string | undefined;
  /**
   * Graceful shutdown, idempotent: health goes NOT_SERVING, no new connections are accepted,
   * open server streams end with Unavailable, unary calls get up to `config.shutdownGraceMs`
   * to finish (then they are aborted), every connection closes, then the app and the store.
   */
  close(): Promise<void>;
}

type NodeReq = http.IncomingMessage | http2.Http2ServerRequest;
type NodeRes = http.ServerResponse | http2.Http2ServerResponse;

function formatUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/** Opens the store and builds the app; the returned server is not listening yet. */
export async function createServer(config: Config, options: ServerOptions = {}): Promise<KavachServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const bounded = withTimeLimits(await openStore(config, logger), { timeoutMs: config.storeTimeoutMs });
  const store = instrumentStore(bounded.store, metrics);
  let app: App;
  try {
    app = await createApp({ config, store, logger, now: options.now });
  } catch (err) {
    await store.close();
    throw err;
  }
  metrics.observeAuditQueue(() => app.auditQueueDepth());

  const health = createHealth();
  const storeHealth = watchStoreHealth({ bounded, ping: () => store.ping(), health, logger });
  // Streams end as soon as shutdown starts; every other call only when the grace period is over.
  const streamsShutdown = new AbortController();
  const callsShutdown = new AbortController();
  // Every in-flight call listens on these; hundreds at once is normal, not a leak.
  setMaxListeners(0, streamsShutdown.signal, callsShutdown.signal);
  const requestIds = new WeakMap<NodeReq, string>();
  // One route table and one interceptor list, for the shared port and the native gRPC port alike.
  const kavachRoutes = routes(app, { health });
  const interceptors = createInterceptors({ app, logger, metrics, streamsShutdown: streamsShutdown.signal });
  const compressions = [compressionGzip, compressionBrotli];
  // Unknown JSON field names and enum names are errors, as in the protobuf JSON spec (connect-es
  // ignores them by default). Unknown binary fields are kept, so that the strict-input
  // interceptor can refuse them by number.
  const jsonOptions = { ignoreUnknownFields: false };
  const binaryOptions = { readUnknownFields: true };
  const rpc = createRpcAdapter({
    routes: kavachRoutes,
    interceptors,
    jsonOptions,
    binaryOptions,
    acceptCompression: compressions,
    readMaxBytes: config.maxRequestBytes,
    // Compressing a response costs more server CPU than the decision it carries (gzip was ~20%
    // of an AuthorizeBatch call), and most answers are small. Requests may still be compressed;
    // of the responses, only large ones (the ~64 KiB ExportAudit chunks, big pages) are.
    compressMinBytes: 32 * 1024,
    shutdownSignal: callsShutdown.signal,
    contextValues: (req) =>
      createContextValues().set(callMetaKey, callMetaOf(req, requestIds.get(req) ?? requestIdFrom(undefined))),
    wrap: (handler) =>
      guardHandler(handler, {
        maxRequestBytes: config.maxRequestBytes,
        binaryOptions,
        compressions,
        onRefused: (procedure, protocol, error, req) => {
          const code = codeToString(error.code);
          const requestId = req.contextValues?.get(callMetaKey).requestId;
          metrics.rpcCalls.inc({ procedure, code });
          logger.info({ requestId, procedure, protocol, code, reason: error.rawMessage }, 'rpc refused at the edge');
        },
      }),
    logger,
  });
  // Native gRPC (grpc-js) on its own port: the same routes, interceptors and shutdown signals.
  const native =
    config.grpcPort === undefined
      ? undefined
      : createNativeGrpcServer({
          routes: kavachRoutes,
          interceptors,
          shutdownSignal: callsShutdown.signal,
          maxRequestBytes: config.maxRequestBytes,
          contextValues: ({ remoteAddress, header, requestId }) =>
            createContextValues().set(callMetaKey, {
              peerIp: peerIpOf(remoteAddress),
              forwardedFor: forwardedHops(header.get('x-forwarded-for') ?? undefined),
              requestId,
            }),
        });
  const cors = createCorsPolicy(config.corsOrigins);
  const endpoints = createHttpEndpoints({
    isServing: () => health.isServing(),
    metrics,
    onError: (err) => logger.error({ err }, 'metrics rendering failed'),
  });
  // The browser console at `/` (issue 15); absent when its bundle was not built.
  const consoleApp = createConsoleHandler();

  const rest = createRestHandler({ app, logger, metrics, maxRequestBytes: config.maxRequestBytes, shutdownSignal: callsShutdown.signal });

  const handle = (req: NodeReq, res: NodeRes): void => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    if (cors.handle(req, res)) return;
    if (endpoints(req, res)) return;
    if (rest(req, res, callMetaOf(req, requestId))) return;
    if (consoleApp?.(req, res) === true) return;
    requestIds.set(req, requestId);
    specGrpcMessages(req, res);
    rpc(req, res);
  };

  const connections = createConnectionTracker();
  const http1 = http.createServer((req, res) => {
    connections.trackHttp1Request(req, res);
    handle(req, res);
  });
  const h2c = http2.createServer({}, handle);
  h2c.on('session', (session) => connections.trackSession(session));
  h2c.on('sessionError', (err) => logger.debug({ err }, 'http2 session error'));
  const listener = createDualListener(
    {
      h2c: (socket) => {
        connections.markHttp2(socket);
        h2c.emit('connection', socket);
      },
      http1: (socket) => http1.emit('connection', socket),
    },
    { onSocket: (socket) => connections.trackSocket(socket) },
  );
  let bound: { host: string; port: number } | undefined;
  // A failed listen (port in use…) rejects `listen()`, and main.ts reports it in one line.
  listener.on('error', (err) => {
    if (bound !== undefined) logger.error({ err }, 'listener error');
  });
  let grpcPort: number | undefined;
  let closing: Promise<void> | undefined;

  const shutdown = async (): Promise<void> => {
    storeHealth.stop();
    health.setServing(false);
    if (listener.listening) listener.close();
    // Let Watch streams write NOT_SERVING before they are ended.
    await new Promise<void>((resolve) => setImmediate(resolve));
    streamsShutdown.abort(shuttingDownError());
    const onGraceExpired = (): void => {
      if (callsShutdown.signal.aborted) return;
      logger.warn({ graceMs: config.shutdownGraceMs }, 'calls still running after the grace period; aborting them');
      callsShutdown.abort(shuttingDownError());
    };
    const [clean, nativeClean] = await Promise.all([
      connections.drain({ graceMs: config.shutdownGraceMs, onGraceExpired }),
      native?.drain({ graceMs: config.shutdownGraceMs, onGraceExpired }) ?? true,
    ]);
    http1.close();
    h2c.close();
    logger.info({ clean: clean && nativeClean }, 'connections closed');
    try {
      // Flushes queued audit entries, so it must run before the store closes.
      await app.close();
    } finally {
      await store.close();
    }
  };

  return {
    app,
    metrics,
    health,
    nativeGrpc: native,
    async listen() {
      if (bound !== undefined) return bound;
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(config.port, config.host, () => {
          listener.off('error', reject);
          resolve();
        });
      });
      // The http server never listens itself; this starts its header and request timeouts
      // (slow-client protection) for the connections the listener hands it.
      http1.emit('listening');
      const port = (listener.address() as AddressInfo).port;
      if (native !== undefined && config.grpcPort !== undefined) {
        try {
          grpcPort = await native.listen(config.host, config.grpcPort);
        } catch (err) {
          // Neither port half-open: the caller sees the bind error (e.g. the port is taken).
          listener.close();
          throw err;
        }
      }
      bound = { host: config.host, port };
      // SERVING while the store answers (store-health.ts).
      storeHealth.start();
      return bound;
    },
    url() {
      if (bound === undefined) throw new Error('the server is not listening');
      return formatUrl(bound.host, bound.port);
    },
    grpcUrl() {
      return grpcPort === undefined ? undefined : formatUrl(config.host, grpcPort);
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
