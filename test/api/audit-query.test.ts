/**
 * AuditService.QueryAudit in process (docs/ARCHITECTURE.md#audit): filters, newest-first paging that stays
 * stable while entries arrive, an exact total, and visibility forced by who asks.
 */
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { AuditService } from '../../gen/kavach/v1/audit_service_pb.js';
import { ActorKind, AuditResult, ReasonCode, type AuditEntry } from '../../gen/kavach/v1/types_pb.js';
import { aDecidingAgent, idsOf, queryAll, twoOwnersWithDecisions } from './audit-given.js';
import { MINUTE_MS, codeOf, signUp, useInProcess } from './given.js';

/** Newest first by (time, id), as QueryAudit promises. */
describe('QueryAudit filters', () => {
  const env = useInProcess();

  it('returns the entry behind an audit_id with every field', async () => {
    const agent = await aDecidingAgent(env());
    const auditId = await agent.decide('read', 'repos');
    const { entries } = await queryAll(env().client(AuditService, env().adminToken), { agentId: agent.id, actions: ['read'] });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      id: auditId,
      tenantId: 'default',
      actor: { kind: ActorKind.AGENT, id: agent.id },
      agentId: agent.id,
      ownerId: agent.ownerId,
      action: 'read',
      resource: `${agent.prefix}repos`,
      result: AuditResult.ALLOWED,
      reason: ReasonCode.ALLOWED,
      clientIp: '127.0.0.1',
    });
    expect(entries[0]?.time).toBeDefined();
  });

  it('applies each filter, and all of them together, with an exact total', async () => {
    const a = await aDecidingAgent(env());
    const b = await aDecidingAgent(env());
    await a.decide('read', 'repos:1');
    await a.decide('write', 'repos:2');
    env().clock.advance(MINUTE_MS);
    const middle = env().clock.now();
    await a.decide('read', 'issues:1');
    await b.decide('read', 'repos:1');
    env().clock.advance(MINUTE_MS);
    const late = env().clock.now();
    await b.decide('delete', 'repos:2');
    const admin = env().client(AuditService, env().adminToken);
    const all = (await queryAll(admin)).entries;

    const cases: Array<[string, Parameters<typeof queryAll>[1], (e: AuditEntry) => boolean]> = [
      ['agent', { agentId: a.id }, (e) => e.agentId === a.id],
      ['owner', { ownerId: b.ownerId }, (e) => e.ownerId === b.ownerId],
      ['actions', { actions: ['write', 'delete'] }, (e) => e.action === 'write' || e.action === 'delete'],
      ['resource prefix', { resourcePrefix: `${a.prefix}repos` }, (e) => e.resource.startsWith(`${a.prefix}repos`)],
      ['result', { result: AuditResult.DENIED }, (e) => e.result === AuditResult.DENIED],
      ['since', { since: timestampFromDate(middle) }, (e) => Number(e.time?.seconds) * 1000 >= middle.getTime()],
      ['until', { until: timestampFromDate(middle) }, (e) => Number(e.time?.seconds) * 1000 < middle.getTime()],
      [
        'all together',
        { agentId: b.id, ownerId: b.ownerId, actions: ['read'], resourcePrefix: b.prefix, result: AuditResult.ALLOWED, since: timestampFromDate(middle), until: timestampFromDate(late) },
        (e) => e.agentId === b.id && e.action === 'read',
      ],
    ];
    for (const [name, filter, expected] of cases) {
      const want = all.filter(expected);
      expect(want.length, name).toBeGreaterThan(0);
      const page = await admin.queryAudit({ filter, pageSize: 1 });
      expect(page.total, name).toBe(BigInt(want.length));
      const got = await queryAll(admin, filter, 2);
      expect(idsOf(got.entries), name).toEqual(idsOf(want));
    }
  });

  it('matches an empty result set with a zero total and no page token', async () => {
    const agent = await aDecidingAgent(env());
    await agent.decide();
    const page = await env().client(AuditService, env().adminToken).queryAudit({ filter: { resourcePrefix: 'nothing:here' } });
    expect(page).toMatchObject({ entries: [], total: 0n, nextPageToken: '' });
  });

  it('refuses bad sizes and malformed page tokens as InvalidArgument', async () => {
    const admin = env().client(AuditService, env().adminToken);
    expect(await codeOf(admin.queryAudit({ pageSize: 1001 }))).toBe(Code.InvalidArgument);
    expect(await codeOf(admin.queryAudit({ pageToken: 'not a token' }))).toBe(Code.InvalidArgument);
    expect(await codeOf(admin.queryAudit({ filter: { actions: Array.from({ length: 33 }, (_, i) => `a${i}`) } }))).toBe(Code.InvalidArgument);
    expect(await codeOf(admin.queryAudit({ filter: { resourcePrefix: 'x'.repeat(513) } }))).toBe(Code.InvalidArgument);
    expect(await codeOf(admin.queryAudit({ filter: { agentId: 'not an id!' } }))).toBe(Code.InvalidArgument);
  });
});

describe('QueryAudit paging', () => {
  const env = useInProcess();

  it('pages newest first with no entry missing or repeated while new entries arrive, and an exact total each time', async () => {
    const agent = await aDecidingAgent(env());
    const logged: string[] = [];
    for (let i = 0; i < 11; i++) {
      logged.push(await agent.decide(i % 3 === 0 ? 'write' : 'read', `r${i}`));
      // Several entries share each millisecond: the log's order, not the clock, decides.
      if (i % 4 === 3) env().clock.advance(1);
    }
    const admin = env().client(AuditService, env().adminToken);
    const decisions = { resourcePrefix: agent.prefix };
    const before = (await queryAll(admin, decisions)).entries;
    expect(idsOf(before)).toEqual([...logged].reverse());

    let written = 0;
    const paged = await queryAll(admin, decisions, 3, async () => {
      env().clock.advance(1);
      await agent.decide('read', `late${written}`);
      written += 1;
    });
    const original = new Set(idsOf(before));
    const seenOriginal = idsOf(paged.entries).filter((id) => original.has(id));
    expect(seenOriginal).toEqual(idsOf(before));
    expect(new Set(idsOf(paged.entries)).size).toBe(paged.entries.length);
    expect(paged.totals).toEqual(paged.totals.map((_, i) => BigInt(11 + i)));
  });

  it('uses 100 entries per page by default', async () => {
    const agent = await aDecidingAgent(env());
    await Promise.all(Array.from({ length: 105 }, (_, i) => agent.decide('read', `r${i}`)));
    const page = await env().client(AuditService, env().adminToken).queryAudit({ filter: { resourcePrefix: agent.prefix } });
    expect(page.entries).toHaveLength(100);
    expect(page.total).toBe(105n);
    expect(page.nextPageToken).not.toBe('');
  });
});

describe('QueryAudit visibility', () => {
  const env = useInProcess();

  it('shows a user only entries about their own agents and themselves', async () => {
    const { alice, mine, theirs } = await twoOwnersWithDecisions(env());
    const { entries } = await queryAll(env().client(AuditService, alice.sessionToken));
    expect(entries.length).toBeGreaterThanOrEqual(3);
    expect(entries.every((e) => e.ownerId === alice.userId)).toBe(true);
    expect(entries.some((e) => e.agentId === mine.id && e.action === 'read')).toBe(true);
    expect(entries.some((e) => e.action === 'auth.sign_up')).toBe(true);
    expect(entries.some((e) => e.agentId === theirs.id)).toBe(false);
  });

  it("gives a user who filters by another owner or another owner's agent nothing, not an error", async () => {
    const alice = await signUp(env());
    const bob = await signUp(env());
    const theirs = await aDecidingAgent(env(), bob.sessionToken);
    await theirs.decide();
    const asAlice = env().client(AuditService, alice.sessionToken);
    for (const filter of [{ ownerId: bob.userId }, { agentId: theirs.id }, { resourcePrefix: theirs.prefix }]) {
      const page = await asAlice.queryAudit({ filter });
      expect(page).toMatchObject({ entries: [], total: 0n, nextPageToken: '' });
    }
  });

  it('shows an agent only entries about itself, whatever it filters by', async () => {
    const me = await aDecidingAgent(env());
    const other = await aDecidingAgent(env(), env().adminToken, me.ownerId);
    await me.decide('read');
    await me.decide('write');
    await other.decide('read');
    const asMe = env().client(AuditService, me.token);
    const { entries } = await queryAll(asMe);
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(entries.every((e) => e.agentId === me.id)).toBe(true);
    expect((await asMe.queryAudit({ filter: { ownerId: me.ownerId } })).entries.every((e) => e.agentId === me.id)).toBe(true);
    expect(await asMe.queryAudit({ filter: { agentId: other.id } })).toMatchObject({ entries: [], total: 0n });
  });

  it("never shows one tenant's entries to another tenant's admin", async () => {
    const agent = await aDecidingAgent(env());
    await agent.decide();
    const elsewhere = env().client(AuditService, env().adminToken, { 'kavach-tenant': 'other-tenant' });
    expect((await elsewhere.queryAudit({ filter: { agentId: agent.id } })).total).toBe(0n);
    expect((await elsewhere.queryAudit({})).entries.every((e) => e.tenantId === 'other-tenant')).toBe(true);
  });

  it('needs a credential', async () => {
    expect(await codeOf(env().client(AuditService).queryAudit({}))).toBe(Code.Unauthenticated);
  });
});
