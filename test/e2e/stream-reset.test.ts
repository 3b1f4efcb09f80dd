/**
 * A client whose connection dies under an open stream (a process that exits with unread
 * heartbeats makes its kernel send a TCP reset) is a client that went away: the call is logged
 * and counted as canceled, never as an Internal server fault. Node reports such a stream as
 * closed with INTERNAL_ERROR, which connect-es turns into Code.Internal.
 */
import http2 from 'node:http2';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  srv = await startServer({ KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '50' }, undefined, { logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await srv.close();
});

const tailLine = (): Record<string, unknown> | undefined => lines.find((l) => l.procedure === '/kavach.v1.AuditService/TailAudit');

describe('a connection reset under an open TailAudit stream', () => {
  it('is logged and counted as canceled, not as an internal fault', async () => {
    const session = http2.connect(srv.url);
    session.on('error', () => undefined);
    const stream = session.request({
      ':method': 'POST',
      ':path': '/kavach.v1.AuditService/TailAudit',
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization: `Bearer ${srv.adminToken}`,
    });
    stream.on('error', () => undefined);
    // An empty TailAuditRequest: no cursor, so the first heartbeat arrives at once.
    stream.end(Buffer.alloc(5));
    await new Promise((resolve) => stream.once('data', resolve));
    stream.pause();
    // A TCP reset, as the kernel sends for a socket closed with unread data.
    (session.socket as unknown as { resetAndDestroy(): void }).resetAndDestroy();
    while (tailLine() === undefined) await new Promise<void>((resolve) => (logged = resolve));
    expect(tailLine()).toMatchObject({ code: 'canceled', level: 30 });
    const metrics = await srv.server.metrics.render();
    expect(metrics).toContain('kavach_rpc_calls_total{procedure="/kavach.v1.AuditService/TailAudit",code="canceled"} 1');
    expect(metrics).not.toContain('procedure="/kavach.v1.AuditService/TailAudit",code="internal"');
  });
});
