import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Status } from '../../../gen/health/v1/health_pb.js';
import { HEALTH_SERVICE_NAMES, createHealth } from '../../../src/api/health.js';

function setup() {
  const health = createHealth();
  const client = createClient(Health, createRouterTransport((router) => health.register(router)));
  return { health, client };
}

describe('grpc.health.v1.Health', () => {
  it('is NOT_SERVING until told otherwise, then SERVING, for "" and every kavach service', async () => {
    const { health, client } = setup();
    expect(HEALTH_SERVICE_NAMES).toHaveLength(6);
    for (const service of HEALTH_SERVICE_NAMES) {
      expect((await client.check({ service })).status).toBe(Status.NOT_SERVING);
    }
    health.setServing(true);
    for (const service of HEALTH_SERVICE_NAMES) {
      expect((await client.check({ service })).status).toBe(Status.SERVING);
    }
  });

  it('Check of an unknown service is NotFound', async () => {
    const { client } = setup();
    const err = await client.check({ service: 'nope.v1.Nothing' }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.NotFound });
  });

  it('Watch sends the current status at once, then every change', async () => {
    const { health, client } = setup();
    health.setServing(true);
    const abort = new AbortController();
    const seen: Status[] = [];
    for await (const res of client.watch({ service: 'kavach.v1.AuthorizeService' }, { signal: abort.signal })) {
      seen.push(res.status);
      if (seen.length === 1) health.setServing(false);
      if (seen.length === 2) health.setServing(true);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING, Status.SERVING]);
  });

  it('Watch of an unknown service says SERVICE_UNKNOWN and stays open', async () => {
    const { client } = setup();
    const abort = new AbortController();
    const stream = client.watch({ service: 'nope.v1.Nothing' }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.status).toBe(Status.SERVICE_UNKNOWN);
    const pending = stream.next();
    abort.abort();
    await expect(pending).rejects.toMatchObject({ code: Code.Canceled });
  });

  it('List reports every known service', async () => {
    const { health, client } = setup();
    health.setServing(true);
    const { statuses } = await client.list({});
    expect(Object.keys(statuses).sort()).toEqual([...HEALTH_SERVICE_NAMES].sort());
    expect(Object.values(statuses).every((s) => s.status === Status.SERVING)).toBe(true);
  });
});
