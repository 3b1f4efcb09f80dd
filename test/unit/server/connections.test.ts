import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnectionTracker } from '../../../src/server/connections.js';

let server: http.Server | undefined;
let agent: http.Agent | undefined;
afterEach(async () => {
  agent?.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** An HTTP/1.1 server whose handler is the test's, with every connection and request tracked. */
async function serve(handler: http.RequestListener) {
  const tracker = createConnectionTracker();
  server = http.createServer((req, res) => {
    tracker.trackHttp1Request(req, res);
    handler(req, res);
  });
  server.on('connection', (socket) => tracker.trackSocket(socket));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  agent = new http.Agent({ keepAlive: true });
  const port = (server.address() as AddressInfo).port;
  const get = () =>
    new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, agent }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
        })
        .on('error', reject);
    });
  return { tracker, get };
}

describe('connection tracker', () => {
  it('closes an idle keep-alive connection at once', async () => {
    const { tracker, get } = await serve((_req, res) => res.end('hi'));
    expect((await get()).body).toBe('hi');
    expect(tracker.size).toBe(1);
    expect(await tracker.drain({ graceMs: 60_000 })).toBe(true);
    expect(tracker.size).toBe(0);
  });

  it('lets a request in flight finish, then closes its connection', async () => {
    let finish: () => void = () => undefined;
    let started: () => void = () => undefined;
    const inHandler = new Promise<void>((resolve) => (started = resolve));
    const { tracker, get } = await serve((_req, res) => {
      finish = () => res.end('done');
      started();
    });
    const response = get();
    await inHandler;
    const drained = tracker.drain({ graceMs: 60_000 });
    finish();
    expect(await response).toMatchObject({ status: 200, body: 'done', connection: 'close' });
    expect(await drained).toBe(true);
    expect(tracker.size).toBe(0);
  });

  it('after the grace period, says so and destroys what is left', async () => {
    let started: () => void = () => undefined;
    const inHandler = new Promise<void>((resolve) => (started = resolve));
    const { tracker, get } = await serve(() => started());
    const response = get().catch((e: unknown) => e);
    await inHandler;
    let expired = false;
    const clean = await tracker.drain({ graceMs: 10, forceAfterMs: 10, onGraceExpired: () => (expired = true) });
    expect(clean).toBe(false);
    expect(expired).toBe(true);
    expect(tracker.size).toBe(0);
    expect(await response).toBeInstanceOf(Error);
  });
});
