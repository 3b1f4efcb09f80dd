import { Writable } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import {
  Code,
  ConnectError,
  createClient,
  createContextValues,
  createRouterTransport,
  type StreamRequest,
  type StreamResponse,
} from '@connectrpc/connect';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Health, HealthCheckResponseSchema, HealthCheckResponse_ServingStatus as Status } from '../../../gen/health/v1/health_pb.js';
import { callMetaKey } from '../../../src/api/context-keys.js';
import type { CallMeta } from '../../../src/app/auth/principal.js';
import { observeInterceptor } from '../../../src/api/observe.js';
import { createMetrics } from '../../../src/observability/metrics.js';

function setup() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const metrics = createMetrics({ processMetrics: false });
  const transport = createRouterTransport(
    (router) =>
      router.service(Health, {
        check(req) {
          if (req.service === 'boom') throw new Error('secret detail');
          if (req.service === 'missing') throw new ConnectError('no such service', Code.NotFound);
          return { status: Status.SERVING };
        },
        async *watch() {
          yield { status: Status.SERVING };
          yield { status: Status.NOT_SERVING };
        },
      }),
    { router: { interceptors: [observeInterceptor(metrics, logger)] } },
  );
  return { client: createClient(Health, transport), lines, metrics, logger };
}

describe('observeInterceptor', () => {
  it('counts, times and logs each finished unary call once, without headers', async () => {
    const { client, lines, metrics } = setup();
    await client.check({}, { headers: { authorization: 'Bearer kv_super_secret' } });
    await client.check({ service: 'missing' }).catch(() => undefined);
    const text = await metrics.render();
    expect(text).toContain('kavach_rpc_calls_total{procedure="/grpc.health.v1.Health/Check",code="ok"} 1');
    expect(text).toContain('kavach_rpc_calls_total{procedure="/grpc.health.v1.Health/Check",code="not_found"} 1');
    expect(lines.map((l) => l.code)).toEqual(['ok', 'not_found']);
    expect(lines[0]).toMatchObject({ procedure: '/grpc.health.v1.Health/Check', msg: 'rpc finished' });
    expect(typeof lines[0]?.durationMs).toBe('number');
    expect(JSON.stringify(lines)).not.toContain('kv_super_secret');
  });

  it('logs a server fault as an error', async () => {
    const { client, lines } = setup();
    await client.check({ service: 'boom' }).catch(() => undefined);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, code: 'unknown', msg: 'rpc failed' });
  });

  it('tracks a stream as open until it ends, then logs it once', async () => {
    const { client, lines, metrics } = setup();
    const stream = client.watch({})[Symbol.asyncIterator]();
    await stream.next();
    expect(await metrics.render()).toContain('kavach_open_streams{procedure="/grpc.health.v1.Health/Watch"} 1');
    expect(lines).toHaveLength(0);
    while (!(await stream.next()).done);
    expect(await metrics.render()).toContain('kavach_open_streams{procedure="/grpc.health.v1.Health/Watch"} 0');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ procedure: '/grpc.health.v1.Health/Watch', code: 'ok' });
  });

  it('logs a stream that failed after the client went away as canceled, not as a server fault', async () => {
    const { lines, metrics, logger } = setup();
    const controller = new AbortController();
    // The transport's view of a stream whose client hung up: the call's signal aborts, then
    // the next write fails with a plain error (here thrown by the response stream itself).
    async function* response() {
      yield create(HealthCheckResponseSchema, { status: Status.SERVING });
      controller.abort();
      throw new Error('write after end');
    }
    const req = {
      stream: true,
      service: Health,
      method: Health.method.watch,
      header: new Headers({ 'content-type': 'application/grpc' }),
      signal: controller.signal,
      contextValues: createContextValues().set(callMetaKey, { requestId: 'req-1' } as CallMeta),
    } as unknown as StreamRequest;
    const next = (async () => ({ stream: true, message: response() })) as unknown as Parameters<ReturnType<typeof observeInterceptor>>[0];
    const res = (await observeInterceptor(metrics, logger)(next)(req)) as StreamResponse;
    await expect(async () => {
      for await (const _ of res.message) void _;
    }).rejects.toThrow('write after end');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, code: 'canceled', msg: 'rpc canceled by the client' });
    expect(await metrics.render()).toContain('kavach_rpc_calls_total{procedure="/grpc.health.v1.Health/Watch",code="canceled"} 1');
  });
});
