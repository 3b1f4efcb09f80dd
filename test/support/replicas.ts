/**
 * Several real Kavach servers (replicas) sharing one MongoDB database, each with its own store
 * handle, app, cache and port: what a deployment with N stateless replicas looks like.
 */
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { pino } from 'pino';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuditService } from '../../gen/kavach/v1/audit_service_pb.js';
import { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { DelegationService } from '../../gen/kavach/v1/delegation_service_pb.js';
import { loadConfig } from '../../src/config.js';
import { createServer, type KavachServer } from '../../src/server/server.js';

export interface Replica {
  readonly url: string;
  readonly server: KavachServer;
  close(): Promise<void>;
}

export const REPLICA_ADMIN_TOKEN = 'replica-admin-token-0123456789abcdefghijkl';

/** Call options sending `token` as the bearer credential. */
export const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
/** Call options for the replicas' shared admin token. */
export const admin = as(REPLICA_ADMIN_TOKEN);

/** gRPC clients (connect-node, h2c) for every Kavach service on one replica. */
export function replicaClients(replica: Replica) {
  const transport = createGrpcTransport({ baseUrl: replica.url });
  return {
    agents: createClient(AgentService, transport),
    authz: createClient(AuthorizeService, transport),
    auth: createClient(AuthService, transport),
    delegations: createClient(DelegationService, transport),
    audit: createClient(AuditService, transport),
  };
}
export type ReplicaClients = ReturnType<typeof replicaClients>;

/** Starts `count` replicas on `uri`/`database`; `env` adds KAVACH_* settings. */
export async function startReplicas(
  count: number,
  uri: string,
  database: string,
  env: Record<string, string> = {},
): Promise<Replica[]> {
  const replicas: Replica[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const config = loadConfig({
        KAVACH_SHUTDOWN_GRACE_MS: '2000',
        ...env,
        KAVACH_HOST: '127.0.0.1',
        KAVACH_PORT: '0',
        KAVACH_STORE: 'mongo',
        MONGODB_URI: uri,
        KAVACH_MONGODB_DATABASE: database,
        KAVACH_ADMIN_TOKEN: REPLICA_ADMIN_TOKEN,
      });
      const server = await createServer(config, { logger: pino({ level: process.env.KAVACH_TEST_LOG ?? 'silent' }) });
      await server.listen();
      replicas.push({ url: server.url(), server, close: () => server.close() });
    }
    return replicas;
  } catch (err) {
    await Promise.all(replicas.map((r) => r.close()));
    throw err;
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it became true. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
