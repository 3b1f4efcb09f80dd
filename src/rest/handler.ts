/**
 * The REST surface at `/api/kavach` (REST.md), mounted in the server's one request handler so
 * it shares the port, CORS, request ids and size limit with the RPCs. Routing is find-my-way's;
 * each request is authenticated by the same authenticator as the RPCs' authn interceptor,
 * handled by one route, counted and timed per route pattern and status, and logged once.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { Logger } from 'pino';
import type { App } from '../app/app.js';
import type { CallMeta } from '../app/auth/principal.js';
import { unauthenticated } from '../domain/errors.js';
import type { Metrics } from '../observability/metrics.js';
import { agentRoutes } from './agent-routes.js';
import { auditRoutes } from './audit-routes.js';
import { authRoutes } from './auth-routes.js';
import { delegationRoutes } from './delegation-routes.js';
import { toRestError } from './errors.js';
import { queryOf, readJsonBody, sendJson, sendNoContent, type Req, type Res } from './http-io.js';
import { openApiDocument } from './openapi.js';
import type { RestCall, RestResult, RestRoute } from './route.js';

export const REST_PREFIX = '/api/kavach';

export interface RestDeps {
  readonly app: App;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** KAVACH_MAX_REQUEST_BYTES: the largest body read. */
  readonly maxRequestBytes: number;
  /** Aborts the work of requests still running when the server gives up on them. */
  readonly shutdownSignal?: AbortSignal;
}

/** Every route of the surface, in REST.md's order; the OpenAPI test walks this list. */
export function restRoutes(app: App): RestRoute[] {
  return [
    ...authRoutes(app),
    ...agentRoutes(app),
    ...delegationRoutes(app),
    ...auditRoutes(app),
    { method: 'GET', path: '/openapi.json', public: true, handle: async () => ({ status: 200, body: openApiDocument }) },
  ];
}

const header = (req: Req, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** Returns a handler that answers `/api/kavach/...` requests and returns false for any other. */
export function createRestHandler(deps: RestDeps): (req: Req, res: Res, meta: CallMeta) => boolean {
  const { app, logger, metrics } = deps;
  const router = FindMyWay({ maxParamLength: 512 });
  for (const route of restRoutes(app)) {
    router.on(route.method as HTTPMethod, REST_PREFIX + route.path, () => undefined, route);
  }

  const find = (method: HTTPMethod, path: string): ReturnType<typeof router.find> => {
    try {
      return router.find(method, path);
    } catch {
      // A malformed percent-encoding in a path parameter: no route can match it.
      return null;
    }
  };

  const run = async (req: Req, res: Res, meta: CallMeta, route: RestRoute, params: RestCall['params'], search: string, signal: AbortSignal): Promise<number> => {
    try {
      const authorization = header(req, 'authorization');
      const principal = await app.authenticator.authenticate(authorization, header(req, 'kavach-tenant'), meta);
      if (principal.kind === 'anonymous' && route.public !== true) {
        throw unauthenticated('a bearer credential is required: send "authorization: Bearer <token>"');
      }
      // GET and DELETE routes name the query parameters they take; POST and PATCH take none.
      if (route.method === 'POST' || route.method === 'PATCH') queryOf(search, []);
      let body: Promise<unknown> | undefined;
      const call: RestCall = {
        principal,
        meta,
        params,
        search,
        body: () => (body ??= readJsonBody(req, deps.maxRequestBytes)),
        req,
        res,
        signal,
      };
      const result: RestResult = await route.handle(call);
      if ('streamed' in result) return result.streamed;
      if (result.status === 204) sendNoContent(res);
      else sendJson(res, result.status, 'body' in result ? result.body : undefined);
      return result.status;
    } catch (error) {
      const mapped = toRestError(error, logger, meta.requestId);
      // A stream that failed after its status line has already been cut short.
      if (res.headersSent) return mapped.status;
      const headers: Record<string, string> = mapped.retryAfterSeconds === undefined ? {} : { 'retry-after': String(mapped.retryAfterSeconds) };
      // An unread body would otherwise keep arriving on a keep-alive connection.
      if (mapped.status === 413) headers.connection = 'close';
      sendJson(res, mapped.status, mapped.body, headers);
      return mapped.status;
    }
  };

  return (req, res, meta) => {
    const url = req.url ?? '';
    if (url !== REST_PREFIX && !url.startsWith(`${REST_PREFIX}/`) && !url.startsWith(`${REST_PREFIX}?`)) return false;
    const started = performance.now();
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const search = q === -1 ? '' : url.slice(q + 1);
    const found = find((req.method ?? 'GET') as HTTPMethod, path);
    const route = found?.store as RestRoute | undefined;
    const label = route === undefined ? 'unmatched' : route.path;
    const aborter = new AbortController();
    const onClose = (): void => {
      // A work cut short by this abort ends as the client's doing (499), never as a server fault.
      if (!res.writableFinished) aborter.abort(new ConnectError('the client went away', Code.Canceled));
    };
    res.once('close', onClose);
    const onShutdown = (): void => aborter.abort(deps.shutdownSignal?.reason);
    deps.shutdownSignal?.addEventListener('abort', onShutdown, { once: true });
    const done = (status: number): void => {
      res.off('close', onClose);
      deps.shutdownSignal?.removeEventListener('abort', onShutdown);
      const seconds = (performance.now() - started) / 1000;
      const labels = { route: label, method: req.method ?? '', status: String(status) };
      metrics.restRequests.inc(labels);
      metrics.restDuration.observe(labels, seconds);
      // Never the headers or the body: they carry credentials and passwords.
      const line = { requestId: meta.requestId, route: label, method: req.method, status, durationMs: Math.round(seconds * 1e6) / 1e3 };
      if (status >= 500) logger.error(line, 'rest request failed');
      else if (logger.isLevelEnabled('info')) logger.info(line, 'rest request finished');
    };
    if (route === undefined || found === null) {
      const known = (['GET', 'POST', 'PATCH', 'DELETE'] as const).some((m) => find(m, path) !== null) ? true : null;
      const status = known === null ? 404 : 405;
      const message = known === null ? `no REST route ${path}` : `${path} does not answer ${req.method ?? ''}`;
      sendJson(res, status, { error: { code: status === 404 ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED', message, details: {} } });
      done(status);
      return true;
    }
    run(req, res, meta, route, found.params, search, aborter.signal).then(done, (err: unknown) => {
      // `run` answers every error itself; this is only a failure while writing that answer.
      logger.error({ err, requestId: meta.requestId }, 'rest response failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
      done(500);
    });
    return true;
  };
}
