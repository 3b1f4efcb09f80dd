/**
 * Deadlines over the real server, with the deadline sent the way each protocol sends it
 * (`grpc-timeout` on gRPC and gRPC-Web, `connect-timeout-ms` on Connect) by a client that never
 * gives up first, so the status asserted is the one the server sent: a stream whose deadline
 * passed never ends OK, and a unary call answered after its deadline is DeadlineExceeded.
 * Also: a stream the client cancels is logged as `canceled`, not as a server error.
 */
import { Writable } from 'node:stream';
import { create, toBinary } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportAuditRequestSchema, TailAuditRequestSchema, AuditService } from '../../gen/kavach/v1/audit_service_pb.js';
import { SignUpRequestSchema } from '../../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { HealthCheckRequestSchema } from '../../gen/health/v1/health_pb.js';
import { RAW_PROTOCOLS, rawCall } from '../support/raw-call.js';
import { aSignUpRequest } from '../support/requests.js';
import { eventually } from '../support/replicas.js';
import { startServer, type RunningServer } from '../support/server.js';

describe.each(RAW_PROTOCOLS)('deadlines over %s', (protocol) => {
  let srv: RunningServer;
  let admin: Record<string, string>;
  beforeAll(async () => {
    srv = await startServer({ KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '100' });
    admin = { authorization: `Bearer ${srv.adminToken}` };
  });
  afterAll(() => srv.close());

  it('ends TailAudit with DEADLINE_EXCEEDED, after the messages sent before it, never OK', async () => {
    const outcome = await rawCall(srv.url, protocol, {
      procedure: '/kavach.v1.AuditService/TailAudit',
      kind: 'stream',
      message: toBinary(TailAuditRequestSchema, create(TailAuditRequestSchema)),
      timeoutMs: 700,
      headers: admin,
    });
    expect(outcome.code).toBe('deadline_exceeded');
    // The first heartbeat goes out at once; the stream really was cut mid-way.
    expect(outcome.messages).toBeGreaterThan(0);
  });

  it('ends ExportAudit with DEADLINE_EXCEEDED when the deadline has passed, not with an empty OK export', async () => {
    const outcome = await rawCall(srv.url, protocol, {
      procedure: '/kavach.v1.AuditService/ExportAudit',
      kind: 'stream',
      message: toBinary(ExportAuditRequestSchema, create(ExportAuditRequestSchema)),
      timeoutMs: 0,
      headers: admin,
    });
    expect(outcome).toEqual({ code: 'deadline_exceeded', messages: 0 });
  });

  it('answers a unary call whose deadline passes while its handler works with DEADLINE_EXCEEDED', async () => {
    // SignUp hashes the password with argon2 (~100 ms here): a 1 ms deadline passes mid-handler.
    const outcome = await rawCall(srv.url, protocol, {
      procedure: '/kavach.v1.AuthService/SignUp',
      kind: 'unary',
      message: toBinary(SignUpRequestSchema, create(SignUpRequestSchema, aSignUpRequest())),
      timeoutMs: 1,
    });
    expect(outcome.code).toBe('deadline_exceeded');
  });

  it('still answers calls with a generous deadline normally', async () => {
    const outcome = await rawCall(srv.url, protocol, {
      procedure: '/grpc.health.v1.Health/Check',
      kind: 'unary',
      message: toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema)),
      timeoutMs: 30_000,
    });
    expect(outcome).toEqual({ code: 'ok', messages: 1 });
  });
});

describe('a long ExportAudit whose deadline passes while it is being sent (gRPC, slow reader)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
    // 3,000 audit entries: decisions on agents that do not exist, 100 per batch.
    const authz = createClient(AuthorizeService, createGrpcTransport({ baseUrl: srv.url }));
    for (let b = 0; b < 30; b++) {
      const checks = Array.from({ length: 100 }, (_, i) => ({ agentId: `agt_missing${b}x${i}`, action: 'read', resource: `mcp:export:item${i}` }));
      await authz.authorizeBatch({ checks }, { headers: { authorization: `Bearer ${srv.adminToken}` } });
    }
  }, 60_000);
  afterAll(() => srv.close());

  const exportCall = (timeoutMs: number | undefined, pauseReadingMs?: number) =>
    rawCall(srv.url, 'grpc', {
      procedure: '/kavach.v1.AuditService/ExportAudit',
      kind: 'stream',
      message: toBinary(ExportAuditRequestSchema, create(ExportAuditRequestSchema)),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(pauseReadingMs === undefined ? {} : { pauseReadingMs }),
      headers: { authorization: `Bearer ${srv.adminToken}` },
    });

  it('ends with DEADLINE_EXCEEDED after the chunks sent in time, never with OK on a truncated export', async () => {
    const whole = await exportCall(undefined);
    expect(whole.code).toBe('ok');
    // The reader pauses well past the deadline, so the server is mid-export when it passes.
    const cut = await exportCall(300, 1500);
    expect(cut.code).toBe('deadline_exceeded');
    expect(cut.messages).toBeGreaterThan(0);
    expect(cut.messages).toBeLessThan(whole.messages);
  });
});

describe('a stream the client cancels', () => {
  let srv: RunningServer;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    srv = await startServer({ KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '100' }, undefined, { logger: pino({ level: 'debug' }, sink) });
  });
  afterAll(() => srv.close());

  const transports = [
    ['gRPC (h2c)', () => createGrpcTransport({ baseUrl: srv.url })],
    ['Connect over HTTP/1.1', () => createConnectTransport({ baseUrl: srv.url, httpVersion: '1.1' })],
  ] as const;

  it.each(transports)('is logged as canceled, below error level, over %s', async (_name, transport) => {
    const audit = createClient(AuditService, transport());
    const controller = new AbortController();
    const before = lines.length;
    const tail = audit.tailAudit({}, { headers: { authorization: `Bearer ${srv.adminToken}` }, signal: controller.signal });
    const stream = tail[Symbol.asyncIterator]();
    expect((await stream.next()).value?.event.case).toBe('heartbeat');
    controller.abort();
    await stream.next().catch(() => undefined);
    const tailLine = () => lines.slice(before).find((l) => l.procedure === '/kavach.v1.AuditService/TailAudit');
    expect(await eventually(async () => tailLine() !== undefined, 10_000, 20)).toBe(true);
    expect(tailLine()).toMatchObject({ code: 'canceled' });
    expect(tailLine()?.level).toBeLessThan(50);
    const metrics = await srv.server.metrics.render();
    expect(metrics).not.toMatch(/kavach_rpc_calls_total\{procedure="\/kavach.v1.AuditService\/TailAudit",code="unknown"\}/);
  });
});
