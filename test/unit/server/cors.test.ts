import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createCorsPolicy } from '../../../src/server/cors.js';

let server: http.Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A server that applies the policy, then answers 200 "rpc" to whatever it did not answer. */
async function serve(origins: string[]): Promise<string> {
  const policy = createCorsPolicy(origins);
  server = http.createServer((req, res) => {
    if (policy.handle(req, res)) return;
    res.end('rpc');
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const preflight = (origin: string) => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
});

describe('CORS policy', () => {
  it('answers a preflight from a listed origin with methods, headers and max-age', async () => {
    const url = await serve(['https://a.example']);
    const res = await fetch(`${url}/kavach.v1.AgentService/ListAgents`, preflight('https://a.example'));
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://a.example');
    expect(res.headers.get('access-control-allow-methods')).toBe('POST, GET, PATCH, DELETE');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(res.headers.get('access-control-allow-headers')).toContain('kavach-tenant');
    expect(res.headers.get('access-control-max-age')).toBe('7200');
    expect(res.headers.get('vary')).toBe('Origin');
  });

  it('with "*" allows any origin, echoing it', async () => {
    const url = await serve(['*']);
    const res = await fetch(url, preflight('http://localhost:5173'));
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('grants nothing to an unlisted origin, nor when no origin is configured', async () => {
    for (const origins of [['https://a.example'], []]) {
      const url = await serve(origins);
      const res = await fetch(url, preflight('https://b.example'));
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-methods')).toBeNull();
      await new Promise((resolve) => server?.close(resolve));
      server = undefined;
    }
  });

  it('adds allow-origin and exposed headers to an actual request, which then proceeds', async () => {
    const url = await serve(['https://a.example']);
    const res = await fetch(url, { method: 'POST', headers: { origin: 'https://a.example' }, body: '{}' });
    expect(await res.text()).toBe('rpc');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://a.example');
    const exposed = res.headers.get('access-control-expose-headers') ?? '';
    for (const h of ['Grpc-Status', 'Grpc-Message', 'x-request-id']) expect(exposed).toContain(h);
  });

  it('leaves requests without an Origin alone', async () => {
    const url = await serve(['*']);
    const res = await fetch(url, { method: 'POST', body: '{}' });
    expect(await res.text()).toBe('rpc');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
