/**
 * A frozen database (SIGSTOP of the MongoDB-compatible server): the process is there and its
 * port accepts connections, but nothing answers. Every call must still get an answer, and that
 * answer is Unavailable (never allowed, never a hang until the client's own deadline); health
 * goes NOT_SERVING while it is frozen and back to SERVING by itself after SIGCONT.
 *
 * Timing is never asserted tightly: calls carry a generous client deadline (15 s, against a
 * store limit of 1 s), and a call that got no answer in time would show as DeadlineExceeded.
 */
import http from 'node:http';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Status } from '../../gen/health/v1/health_pb.js';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { AgentType } from '../../gen/kavach/v1/types_pb.js';
import { freshDatabaseName, isSkip, startMongoTestServer, type MongoTestServer } from '../support/mongo-server.js';
import { signUpOwner } from '../support/owners.js';
import { REPLICA_ADMIN_TOKEN, eventually, startReplicas, type Replica } from '../support/replicas.js';

const CLIENT_DEADLINE_MS = 15_000;
const STORE_TIMEOUT_MS = 1000;

async function outcome(p: Promise<{ allowed: boolean } | object>): Promise<Code | 'allowed' | 'denied' | 'ok'> {
  try {
    const res = await p;
    if ('allowed' in res) return res.allowed ? 'allowed' : 'denied';
    return 'ok';
  } catch (e) {
    return ConnectError.from(e).code;
  }
}

function healthzStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/healthz`, { agent: false, timeout: CLIENT_DEADLINE_MS }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

const started = await startMongoTestServer({ private: true });
const required = process.env.CI === 'true';

if (isSkip(started) || started.pid === undefined || started.restart === undefined) {
  const reason = isSkip(started) ? started.skipReason : 'the server found is not a process this test can freeze';
  // Loud: without a server the suite's title says why; under CI=true the missing server is a failure.
  describe.skipIf(!required)(`a frozen database [${required ? 'required' : 'skipped'}: ${reason}]`, () => {
    it('needs a MongoDB-compatible server process it can SIGSTOP and SIGCONT', () => {
      throw new Error(reason);
    });
  });
} else {
  const db: MongoTestServer = started;
  const pid = started.pid;
  let frozen = false;
  const freeze = (): void => {
    process.kill(pid, 'SIGSTOP');
    frozen = true;
  };
  const thaw = (): void => {
    if (frozen) process.kill(pid, 'SIGCONT');
    frozen = false;
  };

  describe('a frozen database', () => {
    let replica: Replica;
    let agentToken = '';
    let agentId = '';
    const transport = () => createGrpcTransport({ baseUrl: replica.url });
    const call = (token: string) => ({ headers: { authorization: `Bearer ${token}` }, timeoutMs: CLIENT_DEADLINE_MS });
    const request = { action: 'read', resource: 'mcp:github:repos' };
    const healthStatus = async () => (await createClient(Health, transport()).check({}, { timeoutMs: CLIENT_DEADLINE_MS })).status;

    beforeAll(async () => {
      [replica] = (await startReplicas(1, db.uri, freshDatabaseName('frozen'), {
        KAVACH_STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS),
      })) as [Replica];
      const ownerId = await signUpOwner(transport(), REPLICA_ADMIN_TOKEN);
      const created = await createClient(AgentService, transport()).createAgent(
        { ownerId, name: 'frozen', type: AgentType.SERVICE, permissions: [{ resource: 'mcp:*', actions: ['read'] }] },
        call(REPLICA_ADMIN_TOKEN),
      );
      agentToken = created.token;
      agentId = created.agent?.id ?? '';
    }, 60_000);
    afterAll(async () => {
      thaw();
      await replica?.close();
      await db.stop();
    });

    it('answers every call Unavailable while frozen, never allows, reports NOT_SERVING, and recovers after SIGCONT', async () => {
      const authz = createClient(AuthorizeService, transport());
      const agents = createClient(AgentService, transport());
      expect(await outcome(authz.authorize(request, call(agentToken)))).toBe('allowed');
      expect(await healthStatus()).toBe(Status.SERVING);
      expect(await healthzStatus(replica.url)).toBe(200);

      freeze();
      try {
        // One after another: the first waits out the store limit, the later ones fail fast.
        const during = [];
        for (let i = 0; i < 3; i++) during.push(await outcome(authz.authorize(request, call(agentToken))));
        during.push(await outcome(authz.authorize({ ...request, agentId }, call(REPLICA_ADMIN_TOKEN))));
        during.push(await outcome(agents.getAgent({ agentId }, call(REPLICA_ADMIN_TOKEN))));
        // And several at once.
        const concurrent = await Promise.all(
          Array.from({ length: 5 }, () => outcome(authz.authorize(request, call(agentToken)))),
        );
        expect([...during, ...concurrent]).toEqual(Array.from({ length: 10 }, () => Code.Unavailable));

        expect(await eventually(async () => (await healthStatus()) === Status.NOT_SERVING, 10_000, 100)).toBe(true);
        expect(await healthzStatus(replica.url)).toBe(503);
        // Still NOT_SERVING a few pings later: the frozen store never answers a ping.
        await new Promise((resolve) => setTimeout(resolve, 2 * STORE_TIMEOUT_MS));
        expect(await healthStatus()).toBe(Status.NOT_SERVING);
        expect(await outcome(authz.authorize(request, call(agentToken)))).toBe(Code.Unavailable);
      } finally {
        thaw();
      }

      expect(await eventually(async () => (await healthStatus()) === Status.SERVING, 30_000, 100)).toBe(true);
      expect(await healthzStatus(replica.url)).toBe(200);
      const recovered = await eventually(async () => (await outcome(authz.authorize(request, call(agentToken)))) === 'allowed', 30_000, 200);
      expect(recovered).toBe(true);
    }, 120_000);
  });
}
