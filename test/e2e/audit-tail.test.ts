/**
 * TailAudit over the real server (127.0.0.1:0) with the connect-node gRPC transport (h2c): live
 * decisions arrive while a backend authorizes, a dropped connection resumes exactly once, and a
 * graceful shutdown ends the open tail with a status instead of leaving it hanging.
 */
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuditService, type TailAuditResponse } from '../../gen/kavach/v1/audit_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { AgentType, AuditResult } from '../../gen/kavach/v1/types_pb.js';
import { entriesFrom, reader } from '../api/audit-given.js';
import { startServer, type RunningServer } from '../support/server.js';
import { signUpOwner } from '../support/owners.js';

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('TailAudit over gRPC', () => {
  let srv: RunningServer;
  let closed = false;

  beforeEach(async () => {
    srv = await startServer({ KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '200', KAVACH_AUDIT_TAIL_POLL_MS: '50' });
    closed = false;
  });
  afterEach(async () => {
    if (!closed) await srv.close();
  });

  function clients() {
    const transport = createGrpcTransport({ baseUrl: srv.url });
    return {
      agents: createClient(AgentService, transport),
      authz: createClient(AuthorizeService, transport),
      audit: createClient(AuditService, transport),
    };
  }

  async function anAgent() {
    const { agents } = clients();
    const ownerId = await signUpOwner(createGrpcTransport({ baseUrl: srv.url }), srv.adminToken);
    const res = await agents.createAgent(
      { ownerId, name: 'tailed', type: AgentType.AUTONOMOUS, permissions: [{ resource: 'mcp:github:*', actions: ['read'] }] },
      bearer(srv.adminToken),
    );
    return { id: res.agent?.id ?? '', token: res.token };
  }

  async function openTail(filter: { agentId?: string }, cursor = '', signal?: AbortSignal) {
    const stream = reader<TailAuditResponse>(
      clients().audit.tailAudit({ filter, cursor }, { ...bearer(srv.adminToken), ...(signal === undefined ? {} : { signal }) }),
    );
    if (cursor === '') expect((await stream.next()).event.case).toBe('heartbeat');
    return stream;
  }

  it('streams the decisions of a backend authorizing with the agent token, as they are made', async () => {
    const agent = await anAgent();
    const tail = await openTail({ agentId: agent.id });
    const { authz } = clients();
    const ids: string[] = [];
    for (const resource of ['mcp:github:repos', 'mcp:slack:post', 'mcp:github:issues']) {
      ids.push((await authz.authorize({ action: 'read', resource }, bearer(agent.token))).auditId);
    }
    const { entries } = await entriesFrom(tail, 3);
    expect(entries.map((e) => e.entry.id)).toEqual(ids);
    expect(entries.map((e) => e.entry.result)).toEqual([AuditResult.ALLOWED, AuditResult.DENIED, AuditResult.ALLOWED]);
    await tail.return();
  });

  it('resumes after a dropped connection with every later decision exactly once', async () => {
    const agent = await anAgent();
    const { authz } = clients();
    const abort = new AbortController();
    const first = await openTail({ agentId: agent.id }, '', abort.signal);
    const written: string[] = [];
    const authorize = async (n: number) => {
      for (let i = 0; i < n; i++) written.push((await authz.authorize({ action: 'read', resource: `mcp:github:r${i}` }, bearer(agent.token))).auditId);
    };
    await authorize(5);
    const before = await entriesFrom(first, 3);
    abort.abort();
    await authorize(5);
    const second = await openTail({ agentId: agent.id }, before.last);
    const after = await entriesFrom(second, 7);
    expect([...before.entries, ...after.entries].map((e) => e.entry.id)).toEqual(written);
    await second.return();
  });

  it('ends an open tail with Unavailable when the server shuts down, and releases its subscription', async () => {
    const agent = await anAgent();
    const tail = await openTail({ agentId: agent.id });
    expect(srv.server.app.auditTail.subscriberCount()).toBe(1);
    const closing = srv.close();
    closed = true;
    const err = ConnectError.from(await tail.error());
    expect(err.code).toBe(Code.Unavailable);
    await closing;
    expect(srv.server.app.auditTail.subscriberCount()).toBe(0);
  });
});
