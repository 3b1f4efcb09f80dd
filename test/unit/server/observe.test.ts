import { Writable } from 'node:stream';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Status } from '../../../gen/health/v1/health_pb.js';
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
  return { client: createClient(Health, transport), lines, metrics };
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
});
