/**
 * CORS for browser clients (connect-web, gRPC-Web). Origins come from `KAVACH_CORS_ORIGINS`;
 * `*` allows any. A preflight from an allowed origin gets the methods and headers the Connect
 * protocols need plus ours; any other origin gets no CORS headers, so the browser blocks it.
 */
import type http from 'node:http';
import type http2 from 'node:http2';
import { cors } from '@connectrpc/connect';
import { REQUEST_ID_HEADER } from './request-id.js';

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

// PATCH and DELETE are the REST surface's (`/api/kavach`); Connect needs only GET and POST.
const ALLOWED_METHODS = [...new Set([...cors.allowedMethods, 'PATCH', 'DELETE'])].join(', ');
const ALLOWED_HEADERS = [...cors.allowedHeaders, 'authorization', 'kavach-tenant', REQUEST_ID_HEADER].join(', ');
const EXPOSED_HEADERS = [...cors.exposedHeaders, REQUEST_ID_HEADER].join(', ');
/** How long browsers may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE = '7200';

export interface CorsPolicy {
  /**
   * Adds CORS headers for an allowed origin. Returns true when the request was a preflight (or
   * another OPTIONS request) and has been answered; the caller must not handle it further.
   */
  handle(req: Req, res: Res): boolean;
}

export function createCorsPolicy(origins: readonly string[]): CorsPolicy {
  const any = origins.includes('*');
  const allowed = new Set(origins.map((o) => o.toLowerCase()));
  const isAllowed = (origin: string): boolean => any || allowed.has(origin.toLowerCase());

  return {
    handle(req, res) {
      const origin = req.headers.origin;
      const ok = typeof origin === 'string' && origin !== '' && isAllowed(origin);
      if (ok) {
        // The origin is echoed (not `*`) so the answer stays right when a browser sends
        // credentials; Vary keeps shared caches from reusing it for another origin.
        res.setHeader('access-control-allow-origin', origin);
        res.setHeader('vary', 'Origin');
        res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
      }
      if (req.method !== 'OPTIONS') return false;
      if (ok && req.headers['access-control-request-method'] !== undefined) {
        res.setHeader('access-control-allow-methods', ALLOWED_METHODS);
        res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
        res.setHeader('access-control-max-age', PREFLIGHT_MAX_AGE);
        res.writeHead(204);
        res.end();
        return true;
      }
      // A preflight from an origin not allowed, or a plain OPTIONS: no CORS grant.
      res.setHeader('allow', 'GET, POST, OPTIONS');
      res.writeHead(typeof origin === 'string' && !ok ? 403 : 204);
      res.end();
      return true;
    },
  };
}
