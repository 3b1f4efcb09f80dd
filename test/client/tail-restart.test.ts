/**
 * tailAudit across a server restart on the same data directory and address, over each
 * transport: the tail reconnects by itself with its last cursor and yields every entry written
 * before, during and after the outage exactly once, in log order.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createKavachClient, type KavachError, type TailItem } from '../../clients/ts/src/node.js';
import { startServer, type RunningServer } from '../support/server.js';
import { TRANSPORTS, aUserWithAgents } from './journey.js';

const ADMIN = 'test-admin-token-for-restarts-0123456789abcdef';
const ENV = { KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '100', KAVACH_AUDIT_TAIL_POLL_MS: '20', KAVACH_SHUTDOWN_GRACE_MS: '200' };

describe.each(TRANSPORTS)('tailAudit over %s', (transport) => {
  let dataDir = '';
  let srv: RunningServer | undefined;
  afterEach(async () => {
    await srv?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('resumes across a server restart without losing or repeating an entry', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'kavach-tail-'));
    srv = await startServer(ENV, undefined, { dataDir, adminToken: ADMIN });
    const port = srv.port;
    const anonymous = createKavachClient({ baseUrl: srv.url, transport });
    const { user, main } = await aUserWithAgents(anonymous);
    const agentId = main.agent?.id ?? '';
    const decide = async (i: number) => (await user.guard(main.token, 'read', `mcp:github:repo${i}`)).auditId;

    const abort = new AbortController();
    const received: TailItem[] = [];
    const reconnects: KavachError[] = [];
    let connects = 0;
    const tail = user.tailAudit({
      filter: { agentId, actions: ['read'] },
      signal: abort.signal,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      onConnect: () => void connects++,
      onReconnect: (error) => void reconnects.push(error),
    });
    const reading = (async () => {
      for await (const item of tail) received.push(item);
    })();
    await vi.waitFor(() => expect(connects).toBe(1), { timeout: 10_000 });

    const written: string[] = [];
    for (let i = 0; i < 5; i++) written.push(await decide(i));
    await vi.waitFor(() => expect(received).toHaveLength(5), { timeout: 10_000 });

    await srv.close();
    srv = undefined;
    await vi.waitFor(() => expect(reconnects.length).toBeGreaterThan(0), { timeout: 10_000 });
    srv = await startServer(ENV, undefined, { dataDir, adminToken: ADMIN, port });
    // Written while the tail is still reconnecting: it must pick these up from its cursor.
    for (let i = 5; i < 10; i++) written.push(await decide(i));
    await vi.waitFor(() => expect(connects).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    for (let i = 10; i < 15; i++) written.push(await decide(i));

    await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(15), { timeout: 10_000 });
    abort.abort();
    await reading;
    expect(received.map((r) => r.entry.id)).toEqual(written);
    expect(received.map((r) => r.entry.resource)).toEqual(written.map((_, i) => `mcp:github:repo${i}`));
    expect(reconnects.every((e) => e.codeName !== '')).toBe(true);
  });
});
