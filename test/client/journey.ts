/**
 * Shared by the client tests: a client for a running server that records which RPCs it made,
 * and a user with two agents.
 */
import { AgentService, AgentType, AuditService, AuthService, AuthorizeService, DelegationService } from '../../clients/ts/src/node.js';
import { createKavachClient, execute, read, readWrite, withApproval, type KavachClient, type TransportKind } from '../../clients/ts/src/node.js';
import type { Interceptor } from '@connectrpc/connect';

export const TRANSPORTS: readonly TransportKind[] = ['connect', 'grpc', 'grpc-web'];
export const ALL_RPCS = [AuthService, AgentService, AuthorizeService, AuditService, DelegationService].flatMap((s) =>
  s.methods.map((m) => `${s.typeName}/${m.name}`),
);

export function recordingClient(baseUrl: string, transport: TransportKind, token: string, extra: Interceptor[] = []) {
  const calls: string[] = [];
  const record: Interceptor = (next) => (req) => {
    calls.push(`${req.service.typeName}/${req.method.name}`);
    return next(req);
  };
  const client = createKavachClient({ baseUrl, transport, token, interceptors: [record, ...extra] });
  return { client, calls };
}

let users = 0;
export async function aUserWithAgents(anonymous: KavachClient) {
  const email = `user${++users}-${Date.now()}@example.com`;
  const signedUp = await anonymous.auth.signUp({ email, password: 'correct horse battery staple 9', name: 'Alice' });
  const user = anonymous.withToken(signedUp.sessionToken);
  const main = await user.agents.createAgent({
    name: 'github-reader',
    type: AgentType.AUTONOMOUS,
    permissions: [readWrite('mcp:github:*'), withApproval(execute('mcp:deploy:production'))],
  });
  const helper = await user.agents.createAgent({ name: 'helper', type: AgentType.DELEGATED, permissions: [read('mcp:docs:*')] });
  return { email, signedUp, user, main, helper };
}
