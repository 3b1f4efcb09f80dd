/**
 * `kavach audit tail` against the real server: it prints live entries (plain or JSON), picks up
 * after a connection dropped mid-stream with its last cursor (nothing printed twice or missed),
 * stops with exit code 0 when interrupted, and gives up on a bad credential.
 */
import { PassThrough } from 'node:stream';
import { fromJsonString } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Interceptor } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { AgentType, AuditEntrySchema } from '../../gen/kavach/v1/types_pb.js';
import { runCli } from '../../src/cli/run.js';
import { startServer, type RunningServer } from '../support/server.js';
import { signUpOwner } from '../support/owners.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { stream, text: () => text, lines: () => text.split('\n').filter((l) => l !== '') };
}

/** Ends the first `drops` tail streams with Unavailable after `after` messages, like a dropped connection. */
function dropping(after: number, drops: number): Interceptor {
  let left = drops;
  return (next) => async (req) => {
    const res = await next(req);
    if (!res.stream || left <= 0) return res;
    left -= 1;
    const source = res.message;
    return {
      ...res,
      message: (async function* () {
        let n = 0;
        for await (const m of source) {
          yield m;
          if (++n >= after) throw new ConnectError('connection reset by test', Code.Unavailable);
        }
      })(),
    };
  };
}

describe('kavach audit tail', () => {
  let srv: RunningServer;
  beforeEach(async () => {
    srv = await startServer({ KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '100', KAVACH_AUDIT_TAIL_POLL_MS: '20' });
  });
  afterEach(async () => {
    await srv.close();
  });

  async function anAgent() {
    const transport = createGrpcTransport({ baseUrl: srv.url });
    const ownerId = await signUpOwner(transport, srv.adminToken);
    const res = await createClient(AgentService, transport).createAgent(
      { ownerId, name: 'cli', type: AgentType.AUTONOMOUS, permissions: [{ resource: 'mcp:github:*', actions: ['read'] }] },
      { headers: { authorization: `Bearer ${srv.adminToken}` } },
    );
    const authz = createClient(AuthorizeService, transport);
    const token = res.token;
    return {
      id: res.agent?.id ?? '',
      decide: async (resource: string) =>
        (await authz.authorize({ action: 'read', resource }, { headers: { authorization: `Bearer ${token}` } })).auditId,
    };
  }

  function run(argv: string[], interceptors: Interceptor[] = []) {
    const out = capture();
    const err = capture();
    const abort = new AbortController();
    const exit = runCli(['audit', 'tail', '--url', srv.url, ...argv], {
      stdout: out.stream,
      stderr: err.stream,
      color: false,
      env: { KAVACH_TOKEN: srv.adminToken },
      signal: abort.signal,
      transport: createGrpcTransport({ baseUrl: srv.url, interceptors }),
    });
    return { out, err, abort, exit };
  }

  const following = (err: ReturnType<typeof capture>, times = 1) =>
    vi.waitFor(() => expect(err.text().split('following the audit log').length - 1).toBeGreaterThanOrEqual(times), { timeout: 10_000 });

  it('prints each new entry as JSON, resumes across dropped connections exactly once, and exits 0 on interrupt', async () => {
    const agent = await anAgent();
    // Every stream is cut after 3 messages (heartbeats included), three times over.
    const cli = run(['--json', '--agent', agent.id], [dropping(3, 3)]);
    await following(cli.err);
    const written: string[] = [];
    for (let i = 0; i < 12; i++) written.push(await agent.decide(i % 2 === 0 ? 'mcp:github:repos' : 'mcp:slack:post'));
    await vi.waitFor(() => expect(cli.out.lines().length).toBeGreaterThanOrEqual(12), { timeout: 10_000 });
    cli.abort.abort();
    expect(await cli.exit).toBe(0);
    const printed = cli.out.lines().map((line) => fromJsonString(AuditEntrySchema, line).id);
    expect(printed).toEqual(written);
    expect(cli.err.text()).toContain('connection lost (Unavailable');
  });

  it('prints one readable line per entry', async () => {
    const agent = await anAgent();
    const cli = run(['--agent', agent.id, '--result', 'denied']);
    await following(cli.err);
    await agent.decide('mcp:github:repos');
    await agent.decide('mcp:slack:post');
    await vi.waitFor(() => expect(cli.out.lines()).toHaveLength(1), { timeout: 10_000 });
    cli.abort.abort();
    expect(await cli.exit).toBe(0);
    expect(cli.out.lines()[0]).toMatch(/denied\s+read {2}mcp:slack:post {2}by agent:agt_\S+ {2}NO_MATCHING_PERMISSION/);
  });

  it('gives up with exit code 1 on a credential the server refuses', async () => {
    const cli = run(['--token', 'kv_not_a_real_token_000000000000000000000000000']);
    expect(await cli.exit).toBe(1);
    expect(cli.err.text()).toContain('Unauthenticated');
  });
});
