/**
 * A database outage: while the MongoDB-compatible server is down, RPCs answer Unavailable
 * (never Internal, and Authorize never allows); when it comes back, the service recovers by
 * itself. Uses a private server process (FerretDB in CI) that the test kills and restarts.
 */
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { AgentType } from '../../gen/kavach/v1/types_pb.js';
import { freshDatabaseName, isSkip, startMongoTestServer, type MongoTestServer } from '../support/mongo-server.js';
import { REPLICA_ADMIN_TOKEN, eventually, startReplicas, type Replica } from '../support/replicas.js';
import { signUpOwner } from '../support/owners.js';

const admin = { headers: { authorization: `Bearer ${REPLICA_ADMIN_TOKEN}` } };

async function outcome(p: Promise<{ allowed: boolean }>): Promise<Code | 'allowed' | 'denied'> {
  try {
    return (await p).allowed ? 'allowed' : 'denied';
  } catch (e) {
    return ConnectError.from(e).code;
  }
}

const started = await startMongoTestServer({ private: true });
const required = process.env.CI === 'true';

if (isSkip(started) || started.kill === undefined || started.restart === undefined) {
  const reason = isSkip(started) ? started.skipReason : 'the server found cannot be stopped and restarted by the test';
  // Loud: without a server the suite's title says why; under CI=true the missing server is a failure.
  describe.skipIf(!required)(`a database outage [${required ? 'required' : 'skipped'}: ${reason}]`, () => {
    it('needs a MongoDB-compatible server it can stop and restart', () => {
      throw new Error(reason);
    });
  });
} else {
  const db: MongoTestServer = started;
  describe('a database outage', () => {
    let replica: Replica;
    let agentToken = '';
    const authz = () => createClient(AuthorizeService, createGrpcTransport({ baseUrl: replica.url }));
    const request = { action: 'read', resource: 'mcp:github:repos' };

    beforeAll(async () => {
      [replica] = (await startReplicas(1, db.uri, freshDatabaseName('outage'))) as [Replica];
      const agents = createClient(AgentService, createGrpcTransport({ baseUrl: replica.url }));
      const ownerId = await signUpOwner(createGrpcTransport({ baseUrl: replica.url }), REPLICA_ADMIN_TOKEN);
      const created = await agents.createAgent(
        { ownerId, name: 'outage', type: AgentType.SERVICE, permissions: [{ resource: 'mcp:*', actions: ['read'] }] },
        admin,
      );
      agentToken = created.token;
    }, 60_000);
    afterAll(async () => {
      await replica?.close();
      await db.stop();
    });

    it('answers Unavailable while the database is down, never allows, and recovers when it is back', async () => {
      const asAgent = { headers: { authorization: `Bearer ${agentToken}` } };
      expect(await outcome(authz().authorize(request, asAgent))).toBe('allowed');

      await db.kill?.();
      // The first calls after a kill may meet stale pooled sockets; every answer must still be Unavailable.
      const during = [];
      for (let i = 0; i < 3; i++) during.push(await outcome(authz().authorize(request, asAgent)));
      expect(during).toEqual([Code.Unavailable, Code.Unavailable, Code.Unavailable]);
      expect(await outcome(authz().authorize({ ...request, agentId: 'agt_missing' }, admin))).toBe(Code.Unavailable);

      await db.restart?.();
      const recovered = await eventually(async () => (await outcome(authz().authorize(request, asAgent))) === 'allowed', 30_000, 200);
      expect(recovered).toBe(true);
    }, 90_000);
  });
}
