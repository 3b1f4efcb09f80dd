import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Status } from '../../../gen/health/v1/health_pb.js';
import { streamShutdownInterceptor } from '../../../src/api/stream-shutdown.js';

/** A Health whose Watch sends one message and then waits forever, ignoring its signal. */
function stubbornHealth(shutdown: AbortSignal) {
  let resolveUnary: () => void = () => undefined;
  const unaryGate = new Promise<void>((resolve) => (resolveUnary = resolve));
  const transport = createRouterTransport(
    (router) =>
      router.service(Health, {
        async check() {
          await unaryGate;
          return { status: Status.SERVING };
        },
        async *watch() {
          yield { status: Status.SERVING };
          await new Promise(() => undefined);
        },
      }),
    { router: { interceptors: [streamShutdownInterceptor(shutdown)] } },
  );
  return { client: createClient(Health, transport), resolveUnary };
}

describe('streamShutdownInterceptor', () => {
  it('ends an open stream with Unavailable when shutdown begins, even if its handler ignores the signal', async () => {
    const shutdown = new AbortController();
    const { client } = stubbornHealth(shutdown.signal);
    const stream = client.watch({})[Symbol.asyncIterator]();
    expect((await stream.next()).value?.status).toBe(Status.SERVING);
    const pending = stream.next();
    shutdown.abort();
    const err = await pending.catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.Unavailable, rawMessage: 'server is shutting down' });
  });

  it('refuses a new stream once shutdown began', async () => {
    const shutdown = new AbortController();
    shutdown.abort();
    const { client } = stubbornHealth(shutdown.signal);
    const err = await client.watch({})[Symbol.asyncIterator]().next().catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.Unavailable });
  });

  it('lets a unary call in flight finish', async () => {
    const shutdown = new AbortController();
    const { client, resolveUnary } = stubbornHealth(shutdown.signal);
    const call = client.check({});
    shutdown.abort();
    resolveUnary();
    expect((await call).status).toBe(Status.SERVING);
  });
});
