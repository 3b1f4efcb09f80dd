/**
 * The console's static-file handler (src/server/console.ts): only files inside the built
 * directory, correct types, immutable caching for hashed assets only, the SPA fallback for page
 * paths, RPC paths and non-GET requests left to the API, and the security headers on every
 * answer. Raw sockets send the paths, so no client normalises `..` away first.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, createConsoleHandler } from '../../../src/server/console.js';

let dir: string;
let server: http.Server;
let port: number;

/** Sends one raw HTTP/1.1 request and returns the status line, headers and body. */
function raw(method: string, target: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let data = '';
    socket.on('data', (c) => (data += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'console-'));
  mkdirSync(path.join(dir, 'dist', 'assets'), { recursive: true });
  writeFileSync(path.join(dir, 'dist', 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(path.join(dir, 'dist', 'assets', 'app-abc123.js'), 'export {}');
  writeFileSync(path.join(dir, 'dist', 'assets', 'app-abc123.css'), 'body{}');
  writeFileSync(path.join(dir, 'dist', 'assets', 'notes.md'), 'not a served type');
  writeFileSync(path.join(dir, 'secret.txt'), 'outside the root');
  writeFileSync(path.join(dir, 'dist-evil.txt'), 'a sibling that shares the prefix');
  const handler = createConsoleHandler(path.join(dir, 'dist'));
  if (handler === undefined) throw new Error('handler expected');
  server = http.createServer((req, res) => {
    if (handler(req, res)) return;
    res.writeHead(418);
    res.end('api');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('console static files', () => {
  it('serves index.html at / and for page paths, not cached, with the security headers', async () => {
    for (const p of ['/', '/agents', '/agents/agt_123', '/audit?x=1']) {
      const r = await raw('GET', p);
      expect(r.status, p).toBe(200);
      expect(r.body).toContain('<title>console</title>');
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('serves hashed assets with their type and an immutable cache header', async () => {
    const js = await raw('GET', '/assets/app-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await raw('GET', '/assets/app-abc123.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await raw('HEAD', '/assets/app-abc123.js');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('9');
  });

  it('gzips for a client that accepts it, and says it varies by accept-encoding', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/assets/app-abc123.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(r.headers.get('content-encoding')).toBe('gzip');
    expect(r.headers.get('vary')).toBe('accept-encoding');
    expect(await r.text()).toBe('export {}');
    const plain = await raw('GET', '/assets/app-abc123.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe('export {}');
  });

  it('never serves a file outside the built directory, however the path is spelled', async () => {
    for (const p of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/..%2fdist-evil.txt', '/../dist-evil.txt', '/assets/%2e%2e/%2e%2e/secret.txt']) {
      const r = await raw('GET', p);
      expect(r.body, p).not.toContain('outside the root');
      expect(r.body, p).not.toContain('shares the prefix');
      expect(r.status, p).toBe(404);
    }
    for (const p of ['/%00index.html', '/a%5c..%5csecret.txt', '/%zz']) {
      const r = await raw('GET', p);
      expect(r.body, p).not.toContain('outside the root');
      expect([400, 404], p).toContain(r.status);
    }
  });

  it('answers 404 for a missing asset or an unknown file type instead of the app', async () => {
    expect((await raw('GET', '/assets/missing.js')).status).toBe(404);
    expect((await raw('GET', '/assets/notes.md')).status).toBe(404);
    expect((await raw('GET', '/favicon.ico')).status).toBe(404);
  });

  it('leaves RPC paths and non-GET requests to the API', async () => {
    expect((await raw('POST', '/')).status).toBe(418);
    expect((await raw('GET', '/kavach.v1.AgentService/ListAgents')).status).toBe(418);
    expect((await raw('GET', '/grpc.health.v1.Health/Check')).status).toBe(418);
    expect((await raw('OPTIONS', '/agents')).status).toBe(418);
  });

  it('is absent when the bundle was not built', () => {
    expect(createConsoleHandler(path.join(dir, 'nowhere'))).toBeUndefined();
  });
});
