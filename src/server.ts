/**
 * The composition root (DESIGN.md §6): openStore -> createApp -> routes -> one port serving
 * gRPC, gRPC-Web and Connect over h2c and HTTP/1.1, plus health, reflection, `/healthz`,
 * `/metrics`, CORS, request ids, request size limits and a graceful shutdown.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createContextValues } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { Logger } from 'pino';
import { callMetaKey } from './api/context.js';
import { createHealth, type HealthService } from './api/health.js';
import { observeInterceptor } from './api/observe.js';
import { routes } from './api/routes.js';
import { createApp, type App } from './app/app.js';
import type { Config } from './config.js';
import { instrumentStore } from './observability/instrument-store.js';
import { createLogger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { callMetaOf, forwardedHops, peerIpOf } from './server/call-meta.js';
import { createConnectionTracker } from './server/connections.js';
import { createCorsPolicy } from './server/cors.js';
import { createDualListener } from './server/dual-listener.js';
import { createNativeGrpcServer, type NativeGrpcServer } from './server/grpc-js/native-server.js';
import { createHttpEndpoints } from './server/http-endpoints.js';
import { openStore } from './server/open-store.js';
import { REQUEST_ID_HEADER, requestIdFrom } from './server/request-id.js';
import { withOuterInterceptors } from './server/router.js';
import { shuttingDownError, streamShutdownInterceptor } from './server/stream-shutdown.js';

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
  const store = instrumentStore(await openStore(config, logger), metrics);
  let app: App;
  try {
    app = await createApp({ config, store, logger, now: options.now });
  } catch (err) {
    await store.close();
    throw err;
  }
  metrics.observeAuditQueue(() => app.auditQueueDepth());

  const health = createHealth();
  // Streams end as soon as shutdown starts; every other call only when the grace period is over.
  const streamsShutdown = new AbortController();
  const callsShutdown = new AbortController();
  // Every in-flight call listens on these; hundreds at once is normal, not a leak.
  setMaxListeners(0, streamsShutdown.signal, callsShutdown.signal);
  const outer = [observeInterceptor(metrics, logger), streamShutdownInterceptor(streamsShutdown.signal)];
  const requestIds = new WeakMap<NodeReq, string>();
  const kavachRoutes = routes(app, { health, logger });
  const rpc = connectNodeAdapter({
    routes: (router) => kavachRoutes(withOuterInterceptors(router, outer)),
    interceptors: outer,
    readMaxBytes: config.maxRequestBytes,
    // Compressing a response costs more server CPU than the decision it carries (gzip was ~20%
    // of an AuthorizeBatch call), and most answers are small. Requests may still be compressed;
    // of the responses, only large ones (the ~64 KiB ExportAudit chunks, big pages) are.
    compressMinBytes: 32 * 1024,
    shutdownSignal: callsShutdown.signal,
    contextValues: (req) =>
      createContextValues().set(callMetaKey, callMetaOf(req, requestIds.get(req) ?? requestIdFrom(undefined))),
  });
  // Native gRPC (grpc-js) on its own port: the same routes, interceptors and shutdown signals.
  const native =
    config.grpcPort === undefined
      ? undefined
      : createNativeGrpcServer({
          routes: kavachRoutes,
          interceptors: outer,
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

  const handle = (req: NodeReq, res: NodeRes): void => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    if (cors.handle(req, res)) return;
    if (endpoints(req, res)) return;
    requestIds.set(req, requestId);
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
  listener.on('error', (err) => logger.error({ err }, 'listener error'));

  let bound: { host: string; port: number } | undefined;
  let grpcPort: number | undefined;
  let closing: Promise<void> | undefined;

  const shutdown = async (): Promise<void> => {
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
      health.setServing(true);
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
