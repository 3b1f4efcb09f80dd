/**
 * The REST export streams with backpressure: it takes the next chunk from the export use case
 * only when the client has taken the last (so memory stays flat however large the log), and a
 * client that goes away stops the export. The use case is replaced by a lazy source of 64 KiB
 * chunks so the test sees exactly how many were pulled.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../support/server.js';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  vi.restoreAllMocks();
  await srv.close();
});

const CHUNK = 64 * 1024;
const TOTAL_CHUNKS = 800; // 50 MiB: far more than socket buffers hold

function lazyExport(state: { pulled: number; finished: boolean; aborted: boolean }) {
  return async function* (_p: unknown, _f: unknown, _format: unknown, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const line = Buffer.alloc(CHUNK, 'a');
    line[CHUNK - 1] = 10;
    try {
      for (let i = 0; i < TOTAL_CHUNKS && !signal.aborted; i++) {
        state.pulled += 1;
        yield line;
      }
    } finally {
      state.finished = true;
      state.aborted = signal.aborted;
    }
  };
}

/** Waits until `read()` stops changing (the server is blocked on the client), within a bound. */
async function settled(read: () => number): Promise<number> {
  let last = -1;
  let same = 0;
  for (let i = 0; i < 200 && same < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const now = read();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

function openExport(): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${srv.url}/api/kavach/audit/export?format=csv`, { headers: { authorization: `Bearer ${srv.adminToken}` } }, resolve);
    req.on('error', reject);
  });
}

describe('GET /audit/export', () => {
  it('pulls chunks only as fast as the client reads them, and sends them all', async () => {
    const state = { pulled: 0, finished: false, aborted: false };
    vi.spyOn(srv.server.app.audit, 'export').mockImplementation(lazyExport(state) as never);
    const res = await openExport();
    expect(res.statusCode).toBe(200);
    res.pause();
    const pulledWhilePaused = await settled(() => state.pulled);
    // What sits in socket buffers and the response's queue, not the whole export.
    expect(pulledWhilePaused).toBeLessThan(TOTAL_CHUNKS / 4);
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    res.resume();
    await new Promise((resolve) => res.on('end', resolve));
    expect(bytes).toBe(TOTAL_CHUNKS * CHUNK);
    expect(state).toMatchObject({ pulled: TOTAL_CHUNKS, finished: true, aborted: false });
  });

  it('stops the export when the client goes away', async () => {
    const state = { pulled: 0, finished: false, aborted: false };
    vi.spyOn(srv.server.app.audit, 'export').mockImplementation(lazyExport(state) as never);
    const res = await openExport();
    res.pause();
    await settled(() => state.pulled);
    res.destroy();
    await settled(() => Number(state.finished));
    expect(state.finished).toBe(true);
    expect(state.aborted).toBe(true);
    expect(state.pulled).toBeLessThan(TOTAL_CHUNKS / 4);
  });
});
