/**
 * A client that goes away in the middle of an export is the client's doing: the request is
 * logged at info with 499, never as a failed request (error level, 5xx).
 */
import http from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../support/server.js';

const lines: Record<string, unknown>[] = [];
let logged: () => void = () => undefined;
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    logged();
    done();
  },
});

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer({}, undefined, { logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await srv.close();
});

async function* endless(_p: unknown, _f: unknown, _format: unknown, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const line = Buffer.alloc(64 * 1024, 'a');
  line[line.length - 1] = 10;
  for (let i = 0; i < 2000 && !signal.aborted; i++) yield line;
}

const exportLine = (): Record<string, unknown> | undefined => lines.find((l) => l.route === '/audit/export');

describe('GET /audit/export left by its client', () => {
  it('is logged as 499 at info, not as a failed request', async () => {
    vi.spyOn(srv.server.app.audit, 'export').mockImplementation(endless as never);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.get(`${srv.url}/api/kavach/audit/export?format=csv`, { headers: { authorization: `Bearer ${srv.adminToken}` } }, resolve);
      req.on('error', reject);
    });
    expect(res.statusCode).toBe(200);
    res.destroy();
    while (exportLine() === undefined) await new Promise<void>((resolve) => (logged = resolve));
    expect(exportLine()).toMatchObject({ status: 499, level: 30 });
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});
