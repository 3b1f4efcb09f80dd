/**
 * AuditService.TailAudit in process (docs/ARCHITECTURE.md#the-live-tail): live entries with cursors, heartbeats when
 * idle, exactly-once resume across disconnects while entries keep coming, the error codes of a
 * bad, expired or overtaken cursor and of a slow reader, and cancellation releasing the
 * server-side subscription.
 *
 * Heartbeats and polling run on real timers, shortened through the config; nothing here asserts
 * on how long anything took.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it, vi } from 'vitest';
import { AuditService, type TailAuditResponse } from '../../gen/kavach/v1/audit_service_pb.js';
import { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import type { InProcess } from '../support/app.js';
import { anAuditRecord } from '../support/builders.js';
import { aDecidingAgent, entriesFrom, idsOf, queryAll, reader, type FilterInit } from './audit-given.js';
import { signUp, useInProcess } from './given.js';

const FAST = { KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '100', KAVACH_AUDIT_TAIL_POLL_MS: '20' };
const DAY_MS = 24 * 60 * 60 * 1000;

/** Opens a tail; with no cursor it waits for the first heartbeat, so the subscription is live. */
async function openTail(env: InProcess, token: string, filter: FilterInit = {}, cursor = '') {
  const abort = new AbortController();
  const stream = reader<TailAuditResponse>(env.client(AuditService, token).tailAudit({ filter, cursor }, { signal: abort.signal }));
  let start = cursor;
  if (cursor === '') {
    const first = await stream.next();
    expect(first.event.case).toBe('heartbeat');
    start = first.cursor;
  }
  return { stream, abort, start };
}

const waitForSubscribers = (env: InProcess, n: number) =>
  vi.waitFor(() => expect(env.app.auditTail.subscriberCount()).toBe(n), { timeout: 5000, interval: 10 });

describe('TailAudit live', () => {
  const env = useInProcess(FAST);

  it('delivers new entries in order, each with its own cursor, equal to what QueryAudit returns', async () => {
    const agent = await aDecidingAgent(env());
    const { stream } = await openTail(env(), env().adminToken, { agentId: agent.id });
    const ids: string[] = [];
    for (const action of ['read', 'write', 'read']) {
      env().clock.advance(1);
      ids.push(await agent.decide(action));
    }
    const { entries } = await entriesFrom(stream, 3);
    expect(entries.map((e) => e.entry.id)).toEqual(ids);
    expect(new Set(entries.map((e) => e.cursor)).size).toBe(3);
    const queried = (await queryAll(env().client(AuditService, env().adminToken), { resourcePrefix: agent.prefix })).entries;
    expect(entries.map((e) => e.entry)).toEqual([...queried].reverse());
    await stream.return();
  });

  it('starts at the present: entries written before the call are not sent', async () => {
    const agent = await aDecidingAgent(env());
    await agent.decide('write', 'old');
    const { stream } = await openTail(env(), env().adminToken, { agentId: agent.id });
    const fresh = await agent.decide('read', 'new');
    const { entries } = await entriesFrom(stream, 1);
    expect(entries[0]?.entry.id).toBe(fresh);
    await stream.return();
  });

  it('sends heartbeats carrying the current cursor while idle', async () => {
    const agent = await aDecidingAgent(env());
    const { stream, start } = await openTail(env(), env().adminToken, { agentId: agent.id });
    const beat = await stream.next();
    expect(beat.event.case).toBe('heartbeat');
    expect(beat.cursor).toBe(start);

    // Entries the filter skips still move the heartbeat's cursor past them.
    const other = await aDecidingAgent(env());
    await other.decide();
    let moved: TailAuditResponse | undefined;
    while (moved === undefined) {
      const msg = await stream.next();
      expect(msg.event.case).toBe('heartbeat');
      if (msg.cursor !== start) moved = msg;
    }
    await stream.return();
    const resumed = await openTail(env(), env().adminToken, { agentId: agent.id }, moved.cursor);
    const mine = await agent.decide();
    const { entries } = await entriesFrom(resumed.stream, 1);
    expect(entries[0]?.entry.id).toBe(mine);
    await resumed.stream.return();
  });

  it('delivers entries written by another replica, which only the store knows about', async () => {
    const { stream } = await openTail(env(), env().adminToken);
    const elsewhere = [anAuditRecord({ tenantId: 'default' }), anAuditRecord({ tenantId: 'default' })];
    // Straight to the store: no local commit wakes the feed, so these arrive by polling.
    await env().store.audit.append(elsewhere);
    const { entries } = await entriesFrom(stream, 2);
    expect(entries.map((e) => e.entry.id)).toEqual(idsOf(elsewhere));
    await stream.return();
  });
});

describe('TailAudit resume', () => {
  const env = useInProcess(FAST);

  it('resumes from the last cursor with every later entry exactly once, in order, across forced disconnects', async () => {
    const agent = await aDecidingAgent(env());
    const filter = { resourcePrefix: agent.prefix };
    let stop = false;
    const written: string[] = [];
    const writer = (async () => {
      for (let i = 0; !stop && i < 400; i++) {
        written.push(await agent.decide(i % 5 === 0 ? 'write' : 'read', `r${i}`));
        if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();

    const received: string[] = [];
    let tail = await openTail(env(), env().adminToken, filter);
    for (let round = 0; round < 4; round++) {
      const { entries, last } = await entriesFrom(tail.stream, 15 + round * 7);
      received.push(...entries.map((e) => e.entry.id));
      // A forced disconnect: the client goes away mid-stream, then comes back with its cursor.
      tail.abort.abort();
      await waitForSubscribers(env(), 0);
      tail = await openTail(env(), env().adminToken, filter, last);
    }
    stop = true;
    await writer;
    const remaining = written.length - received.length;
    const { entries } = await entriesFrom(tail.stream, remaining);
    received.push(...entries.map((e) => e.entry.id));
    tail.abort.abort();

    expect(new Set(received).size).toBe(received.length);
    expect(received).toEqual(written);
    const inStore = (await env().store.audit.readAfter(0, 1000)).filter((e) => e.resource.startsWith(agent.prefix));
    expect(idsOf(inStore)).toEqual(written);
  });

  it('replays from the store when resuming far behind, then continues live', async () => {
    const agent = await aDecidingAgent(env());
    const { stream, start } = await openTail(env(), env().adminToken, { agentId: agent.id });
    await stream.return();
    const history = await env().store.audit.append(
      Array.from({ length: 1200 }, () => anAuditRecord({ tenantId: 'default', agentId: agent.id })),
    );
    const resumed = await openTail(env(), env().adminToken, { agentId: agent.id }, start);
    const live = await agent.decide();
    const { entries } = await entriesFrom(resumed.stream, 1201, 10_000);
    expect(entries.map((e) => e.entry.id)).toEqual([...idsOf(history), live]);
    await resumed.stream.return();
  });

  it('refuses a malformed cursor as InvalidArgument', async () => {
    const client = env().client(AuditService, env().adminToken);
    const bad = [
      'not a cursor!',
      'AAAA',
      Buffer.from('{"v":2,"s":1}').toString('base64url'),
      Buffer.from('{"v":1,"s":-1}').toString('base64url'),
      Buffer.from('{"v":1,"s":1.5}').toString('base64url'),
      Buffer.from('[1]').toString('base64url'),
      'A'.repeat(200),
    ];
    for (const cursor of bad) {
      const err = await reader(client.tailAudit({ cursor })).error();
      expect(ConnectError.from(err).code, cursor).toBe(Code.InvalidArgument);
    }
  });

  it('refuses a cursor ahead of the log as OUT_OF_RANGE', async () => {
    const { stream, start } = await openTail(env(), env().adminToken);
    await stream.return();
    const ahead = Buffer.from(JSON.stringify({ v: 1, s: JSON.parse(Buffer.from(start, 'base64url').toString()).s + 100 })).toString('base64url');
    const err = await reader(env().client(AuditService, env().adminToken).tailAudit({ cursor: ahead })).error();
    expect(ConnectError.from(err).code).toBe(Code.OutOfRange);
  });

  it('needs a credential', async () => {
    expect(ConnectError.from(await reader(env().client(AuditService).tailAudit({})).error()).code).toBe(Code.Unauthenticated);
  });
});

describe('TailAudit and retention', () => {
  const env = useInProcess({ ...FAST, KAVACH_AUDIT_RETENTION_DAYS: '1' });

  it('refuses a cursor older than the retention window as OUT_OF_RANGE, and accepts a recent one', async () => {
    const agent = await aDecidingAgent(env());
    const { stream } = await openTail(env(), env().adminToken, { agentId: agent.id });
    await agent.decide();
    await agent.decide();
    const { entries } = await entriesFrom(stream, 2);
    await stream.return();

    env().clock.advance(2 * DAY_MS);
    await agent.decide('read', 'after');
    expect(await env().app.auditRetention.runOnce()).toBeGreaterThan(0);

    const old = entries[0]?.cursor ?? '';
    const err = await reader(env().client(AuditService, env().adminToken).tailAudit({ cursor: old })).error();
    expect(ConnectError.from(err).code).toBe(Code.OutOfRange);

    // The newest deleted entry's cursor still resumes: nothing after it is gone.
    const lastDeleted = (await env().store.audit.oldestSeq()) ?? 1;
    const edge = Buffer.from(JSON.stringify({ v: 1, s: lastDeleted - 1 })).toString('base64url');
    const resumed = await openTail(env(), env().adminToken, { agentId: agent.id }, edge);
    expect((await resumed.stream.next()).event.case).toBe('entry');
    await resumed.stream.return();
  });
});

describe('TailAudit flow control', () => {
  const env = useInProcess({ ...FAST, KAVACH_AUDIT_TAIL_BUFFER: '5' });

  it('cuts off a reader that falls too far behind with RESOURCE_EXHAUSTED', async () => {
    const agent = await aDecidingAgent(env());
    const { stream } = await openTail(env(), env().adminToken, { agentId: agent.id });
    await env().store.audit.append(Array.from({ length: 60 }, () => anAuditRecord({ tenantId: 'default', agentId: agent.id })));
    env().app.auditTail.wake();
    // The feed drops the subscriber as soon as its queue is full, before the reader reads again.
    await waitForSubscribers(env(), 0);
    const err = await stream.error();
    expect(ConnectError.from(err).code).toBe(Code.ResourceExhausted);
  });

  it('ends the server-side subscription when the client cancels', async () => {
    const { stream, abort } = await openTail(env(), env().adminToken);
    expect(env().app.auditTail.subscriberCount()).toBe(1);
    abort.abort();
    await waitForSubscribers(env(), 0);
    await stream.return();
  });

  it('ends every subscription when the app closes', async () => {
    const { stream } = await openTail(env(), env().adminToken);
    await env().app.auditTail.close();
    expect(ConnectError.from(await stream.error()).code).toBe(Code.Unavailable);
    expect(env().app.auditTail.subscriberCount()).toBe(0);
  });
});

describe('TailAudit visibility', () => {
  const env = useInProcess(FAST);

  it("streams a user's own entries only, and only heartbeats for another owner's filter", async () => {
    const alice = await signUp(env());
    const bob = await signUp(env());
    const mine = await aDecidingAgent(env(), alice.sessionToken);
    const theirs = await aDecidingAgent(env(), bob.sessionToken);
    const all = await openTail(env(), alice.sessionToken);
    const spying = await openTail(env(), alice.sessionToken, { ownerId: bob.userId });
    await theirs.decide();
    const own = await mine.decide();
    const { entries } = await entriesFrom(all.stream, 1);
    expect(entries[0]?.entry.id).toBe(own);
    for (let i = 0; i < 3; i++) expect((await spying.stream.next()).event.case).toBe('heartbeat');
    await all.stream.return();
    await spying.stream.return();
  });

  it("streams an agent's own entries only", async () => {
    const me = await aDecidingAgent(env());
    const other = await aDecidingAgent(env(), env().adminToken, me.ownerId);
    const { stream } = await openTail(env(), me.token, { agentId: other.id, ownerId: me.ownerId });
    await other.decide();
    const own = await me.decide();
    // Its filter named the other agent: it is narrowed to nothing, so only heartbeats come.
    expect((await stream.next()).event.case).toBe('heartbeat');
    await stream.return();
    const mineOnly = await openTail(env(), me.token);
    const again = await me.decide();
    await other.decide();
    const { entries } = await entriesFrom(mineOnly.stream, 1);
    expect(entries[0]?.entry.id).toBe(again);
    expect(own).not.toBe(again);
    await mineOnly.stream.return();
  });

  it('refuses a bad filter as InvalidArgument', async () => {
    const stream = reader(env().client(AuditService, env().adminToken).tailAudit({ filter: { resourcePrefix: 'x'.repeat(600) } }));
    expect(ConnectError.from(await stream.error()).code).toBe(Code.InvalidArgument);
  });
});

describe('TailAudit and a credential that ends while the stream is open', () => {
  const env = useInProcess(FAST);

  it('ends the open tail of a user with Unauthenticated once the user signs out', async () => {
    const user = await signUp(env());
    const { stream } = await openTail(env(), user.sessionToken);
    await env().client(AuthService, user.sessionToken).signOut({ all: true });
    const error = await stream.error();
    expect(ConnectError.from(error).code).toBe(Code.Unauthenticated);
    await waitForSubscribers(env(), 0);
  });

  it('keeps the tail of the admin open across heartbeats', async () => {
    const { stream } = await openTail(env(), env().adminToken);
    for (let i = 0; i < 3; i++) expect((await stream.next()).event.case).toBe('heartbeat');
    await stream.return();
  });
});
