/**
 * Serves the Kavach Console (clients/console/dist, built by Vite) at `/` on the API's own port,
 * so the browser app is same-origin with the RPCs it calls. Only files inside the built
 * directory are served (the path is resolved and checked against the root, and only a fixed set
 * of file types is known); any other page path falls back to index.html so that the app's own
 * routes survive a reload. Every answer carries a strict Content-Security-Policy (no inline
 * script, no other origin) and the usual security headers. RPC paths (`/kavach.v1.X/Method`,
 * `/grpc.health.v1...`) and non-GET requests are left alone.
 */
import { readFileSync, statSync } from 'node:fs';
import type http from 'node:http';
import type http2 from 'node:http2';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../clients/console/dist', import.meta.url));

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** An RPC path's first segment is a dotted service name such as kavach.v1.AgentService. */
const RPC_PATH = /^\/[A-Za-z_][\w]*(\.[\w]+)+\//;

interface File {
  readonly body: Buffer;
  /** The body gzipped once at first use (the bundle is ~390 KiB raw, ~120 KiB gzipped). */
  readonly gzip: Buffer;
  readonly type: string;
  readonly immutable: boolean;
}

const withGzip = (body: Buffer) => ({ body, gzip: gzipSync(body, { level: 9 }) });

/**
 * Returns the console's request handler (true when it answered), or undefined when the bundle
 * is not there (the API then serves alone). Files are read once and kept: the bundle is small
 * and never changes while the server runs.
 */
export function createConsoleHandler(root: string = DEFAULT_CONSOLE_DIR): ((req: Req, res: Res) => boolean) | undefined {
  const base = path.resolve(root);
  let index: { body: Buffer; gzip: Buffer };
  try {
    index = withGzip(readFileSync(path.join(base, 'index.html')));
  } catch {
    return undefined;
  }
  const cache = new Map<string, File | null>();
  const load = (urlPath: string): File | null => {
    const hit = cache.get(urlPath);
    if (hit !== undefined) return hit;
    let found: File | null = null;
    const file = path.resolve(base, `.${urlPath}`);
    const type = TYPES[path.extname(file).toLowerCase()];
    if (file.startsWith(base + path.sep) && type !== undefined) {
      try {
        if (statSync(file).isFile()) {
          found = { ...withGzip(readFileSync(file)), type, immutable: urlPath.startsWith('/assets/') };
        }
      } catch {
        found = null;
      }
    }
    if (cache.size < 1000) cache.set(urlPath, found);
    return found;
  };

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const raw = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (RPC_PATH.test(raw)) return false;
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(raw);
    } catch {
      urlPath = '\0';
    }
    for (const [name, value] of Object.entries(CONSOLE_HEADERS)) res.setHeader(name, value);
    const gzipOk = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const send = (status: number, type: string, content: Buffer | string | { body: Buffer; gzip: Buffer }, cacheControl: string): void => {
      let body: Buffer | string;
      if (typeof content === 'string' || Buffer.isBuffer(content)) body = content;
      else {
        res.setHeader('vary', 'accept-encoding');
        if (gzipOk) res.setHeader('content-encoding', 'gzip');
        body = gzipOk ? content.gzip : content.body;
      }
      res.setHeader('content-type', type);
      res.setHeader('cache-control', cacheControl);
      res.setHeader('content-length', Buffer.byteLength(body));
      res.writeHead(status);
      if (req.method === 'HEAD') res.end();
      else res.end(body);
    };
    if (urlPath.includes('\0') || urlPath.includes('\\')) {
      send(400, 'text/plain; charset=utf-8', 'bad path\n', 'no-store');
      return true;
    }
    const file = urlPath === '/' ? null : load(urlPath);
    if (file !== null) {
      send(200, file.type, file, file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      return true;
    }
    // A missing asset is a real 404; a page path is one of the app's routes.
    if (urlPath.startsWith('/assets/') || path.extname(urlPath) !== '') {
      send(404, 'text/plain; charset=utf-8', 'not found\n', 'no-store');
      return true;
    }
    send(200, TYPES['.html'] ?? 'text/html', index, 'no-cache');
    return true;
  };
}
