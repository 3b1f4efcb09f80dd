/**
 * The audit tail across replicas: two servers on one MongoDB database (FerretDB in CI) write
 * decisions at the same time, and one tailer that drops its connection to replica A and resumes
 * on replica B with its last cursor receives every entry of both exactly once, in the log's order.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TailAuditResponse } from '../../gen/kavach/v1/audit_service_pb.js';
import { AgentType } from '../../gen/kavach/v1/types_pb.js';
import { openMongoStore } from '../../src/store/mongo/open.js';
import { entriesFrom, reader } from '../api/audit-given.js';
import { describeMongo } from '../support/mongo-context.js';
import { freshDatabaseName } from '../support/mongo-server.js';
import { aSignUpRequest } from '../support/requests.js';
import { admin, as, replicaClients, startReplicas, type Replica } from '../support/replicas.js';

const clients = replicaClients;

describeMongo('the audit tail across replicas', (mongo) => {
  let replicas: Replica[] = [];
  let database = '';

  beforeEach(async () => {
    database = freshDatabaseName('audit_tail');
    replicas = await startReplicas(2, mongo.uri, database, {
      KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '200',
      KAVACH_AUDIT_TAIL_POLL_MS: '50',
    });
  });
  afterEach(async () => {
    await Promise.all(replicas.map((r) => r.close()));
  });

  it('delivers entries written on both replicas exactly once, in order, to a tailer that moves from A to B', async () => {
    const [a, b] = replicas.map(clients) as [ReturnType<typeof clients>, ReturnType<typeof clients>];
    const owner = await a.auth.signUp(aSignUpRequest(), admin);
    const created = await a.agents.createAgent(
      { ownerId: owner.user?.id ?? '', name: 'busy', type: AgentType.AUTONOMOUS, permissions: [{ resource: 'mcp:github:*', actions: ['read'] }] },
      admin,
    );
    const agentId = created.agent?.id ?? '';
    const filter = { agentId, actions: ['read'] };

    const abort = new AbortController();
    const onA = reader<TailAuditResponse>(a.audit.tailAudit({ filter }, { ...admin, signal: abort.signal }));
    expect((await onA.next(10_000)).event.case).toBe('heartbeat');

    const PER_REPLICA = 12;
    const write = (on: ReturnType<typeof clients>, name: string) => async () => {
      for (let i = 0; i < PER_REPLICA; i++) {
        await on.authz.authorize({ action: 'read', resource: `mcp:github:${name}${i}` }, as(created.token));
      }
    };
    const writers = Promise.all([write(a, 'a')(), write(b, 'b')()]);

    const first = await entriesFrom(onA, 7, 15_000);
    abort.abort();
    const onB = reader<TailAuditResponse>(b.audit.tailAudit({ filter, cursor: first.last }, admin));
    await writers;
    const rest = await entriesFrom(onB, 2 * PER_REPLICA - 7, 15_000);
    await onB.return();

    const received = [...first.entries, ...rest.entries].map((e) => e.entry.id);
    expect(new Set(received).size).toBe(received.length);

    const store = await openMongoStore({ uri: mongo.uri, database });
    try {
      const log = (await store.audit.readAfter(0, 1000)).filter((e) => e.agentId === agentId && e.action === 'read');
      expect(log).toHaveLength(2 * PER_REPLICA);
      expect(received).toEqual(log.map((e) => e.id));
    } finally {
      await store.close();
    }
  });
});
