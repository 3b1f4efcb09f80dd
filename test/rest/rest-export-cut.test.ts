/**
 * An export cut short by the server (shutdown after the grace period) must end as an unfinished
 * body, never as a complete 200: a client that saw a clean end would take a partial export for
 * the whole log.
 */
import http from 'node:http';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startServer } from '../support/server.js';

afterAll(() => {
  vi.restoreAllMocks();
});

const CHUNK = 64 * 1024;

let sawAbort: () => void = () => undefined;
const aborted = new Promise<void>((resolve) => {
  sawAbort = resolve;
});

/** A lazy export far larger than socket buffers, which stops (as the use case does) on abort. */
async function* endless(_p: unknown, _f: unknown, _format: unknown, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  signal.addEventListener('abort', () => sawAbort(), { once: true });
  const line = Buffer.alloc(CHUNK, 'a');
  line[CHUNK - 1] = 10;
  for (let i = 0; i < 2000 && !signal.aborted; i++) yield line;
}

describe('GET /audit/export cut by shutdown', () => {
  it('the body is left unfinished, not ended cleanly', async () => {
      const srv = await startServer({ KAVACH_SHUTDOWN_GRACE_MS: '100' });
      vi.spyOn(srv.server.app.audit, 'export').mockImplementation(endless as never);
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.get(`${srv.url}/api/kavach/audit/export?format=csv`, { headers: { authorization: `Bearer ${srv.adminToken}` } }, resolve);
        req.on('error', reject);
      });
      expect(res.statusCode).toBe(200);
      res.pause();
      // The client reads nothing, so the export waits on backpressure until the grace ends.
      const closing = srv.close();
      await aborted;
      const ended = new Promise<{ complete: boolean }>((resolve) => {
        res.on('data', () => undefined);
        res.on('error', () => undefined);
        res.on('close', () => resolve({ complete: res.complete }));
      });
      res.resume();
      const outcome = await ended;
      await closing;
      expect(outcome.complete).toBe(false);
  });
});
