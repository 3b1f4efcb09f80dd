/**
 * Plain HTTP beside the RPCs on the same port: `GET /healthz` for load balancers and
 * `GET /metrics` for Prometheus. Neither needs a credential, and neither reveals a secret.
 */
import type http from 'node:http';
import type http2 from 'node:http2';
import type { Metrics } from '../observability/metrics.js';

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export interface HttpEndpointDeps {
  readonly isServing: () => boolean;
  readonly metrics: Metrics;
  readonly onError: (err: unknown) => void;
}

function path(req: Req): string {
  return (req.url ?? '').split('?', 1)[0] ?? '';
}

/** Answers `/healthz` and `/metrics`; returns false for any other request. */
export function createHttpEndpoints(deps: HttpEndpointDeps): (req: Req, res: Res) => boolean {
  return (req, res) => {
    const p = path(req);
    if (p !== '/healthz' && p !== '/metrics') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      res.writeHead(405);
      res.end();
      return true;
    }
    if (p === '/healthz') {
      const serving = deps.isServing();
      res.setHeader('content-type', 'application/json');
      res.setHeader('cache-control', 'no-store');
      res.writeHead(serving ? 200 : 503);
      res.end(JSON.stringify({ status: serving ? 'ok' : 'not_serving' }));
      return true;
    }
    deps.metrics.render().then(
      (text) => {
        res.setHeader('content-type', deps.metrics.contentType);
        res.setHeader('cache-control', 'no-store');
        res.writeHead(200);
        res.end(text);
      },
      (err: unknown) => {
        deps.onError(err);
        res.writeHead(500);
        res.end();
      },
    );
    return true;
  };
}
