/** AgentStore.list cases: newest-first order, paging, cursors and filters computed at `now`. */
import { expect, it } from 'vitest';
import type { AgentRecord } from '../../../src/domain/records.js';
import type { AgentFilter } from '../../../src/store/store.js';
import { anAgent, randomId } from '../../support/builders.js';
import {
  allPages,
  at,
  expectKavachError,
  HOUR,
  ids,
  MALFORMED_CURSORS,
  newestFirst,
  type StoreUnderTest,
} from '../contract-support.js';

export function agentListCases(store: StoreUnderTest): void {
  const seed = async (agents: readonly AgentRecord[]) => {
    for (const agent of agents) expect(await store().agents.create(agent, 1_000_000, at(0))).toBe(true);
  };
  const listAll = async (tenantId: string, filter: AgentFilter, limit = 1000) =>
    (await allPages((page) => store().agents.list(tenantId, filter, page), limit)).flat();

  it('lists agents newest first by creation time', async () => {
    const tenantId = randomId('ten');
    const agents = [at(3000), at(1000), at(5000), at(2000)].map((createdAt) => anAgent({ tenantId, createdAt }));
    await seed(agents);
    const result = await store().agents.list(tenantId, { now: at(0) }, { limit: 10 });
    expect(ids(result.items)).toEqual(ids(newestFirst(agents, (a) => a.createdAt)));
    expect(result.items[0]).toEqual(agents[2]);
    expect(result.nextCursor).toBeUndefined();
  });

  it('orders agents created at the same instant by id, descending', async () => {
    const tenantId = randomId('ten');
    const agents = Array.from({ length: 5 }, () => anAgent({ tenantId, createdAt: at(1000) }));
    await seed(agents);
    const result = await store().agents.list(tenantId, { now: at(0) }, { limit: 10 });
    const expected = [...ids(agents)].sort().reverse();
    expect(ids(result.items)).toEqual(expected);
  });

  it('pages through agents with no agent missing or repeated, across equal creation times', async () => {
    const tenantId = randomId('ten');
    const agents = Array.from({ length: 11 }, (_, i) => anAgent({ tenantId, createdAt: at(Math.floor(i / 4) * 1000) }));
    await seed(agents);
    const pages = await allPages((page) => store().agents.list(tenantId, { now: at(0) }, page), 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 3, 2]);
    expect(ids(pages.flat())).toEqual(ids(newestFirst(agents, (a) => a.createdAt)));
  });

  it('gives no cursor on a last page that is exactly full', async () => {
    const tenantId = randomId('ten');
    await seed(Array.from({ length: 4 }, (_, i) => anAgent({ tenantId, createdAt: at(i) })));
    const first = await store().agents.list(tenantId, { now: at(0) }, { limit: 2 });
    expect(first.nextCursor).toBeDefined();
    const second = await store().agents.list(tenantId, { now: at(0) }, { limit: 2, cursor: first.nextCursor });
    expect(second.items).toHaveLength(2);
    expect(second.nextCursor).toBeUndefined();
  });

  it('lists nothing, with no cursor, for a tenant without agents', async () => {
    await seed([anAgent()]);
    expect(await store().agents.list(randomId('ten'), { now: at(0) }, { limit: 5 })).toEqual({
      items: [],
      nextCursor: undefined,
    });
  });

  it('rejects a malformed agent cursor as an invalid page_token', async () => {
    const agent = anAgent();
    await seed([agent]);
    for (const cursor of MALFORMED_CURSORS) {
      await expectKavachError(
        store().agents.list(agent.tenantId, { now: at(0) }, { limit: 5, cursor }),
        'invalid_argument',
        'page_token',
        `cursor ${JSON.stringify(cursor.slice(0, 24))}`,
      );
    }
  });

  it('filters agents by owner and by type', async () => {
    const tenantId = randomId('ten');
    const ownerId = randomId('usr');
    const mine = [anAgent({ tenantId, ownerId, type: 'service' }), anAgent({ tenantId, ownerId, type: 'delegated' })];
    const theirs = anAgent({ tenantId, type: 'service' });
    await seed([...mine, theirs]);
    expect(new Set(ids(await listAll(tenantId, { ownerId, now: at(0) })))).toEqual(new Set(ids(mine)));
    expect(new Set(ids(await listAll(tenantId, { type: 'service', now: at(0) })))).toEqual(
      new Set([mine[0]?.id, theirs.id]),
    );
    expect(ids(await listAll(tenantId, { ownerId, type: 'service', now: at(0) }))).toEqual([mine[0]?.id]);
  });

  it('filters agents by status as computed at `now`: active, expired or revoked', async () => {
    const tenantId = randomId('ten');
    const now = at(HOUR);
    const noExpiry = anAgent({ tenantId });
    const expiresLater = anAgent({ tenantId, expiresAt: at(HOUR + 1) });
    const expiresNow = anAgent({ tenantId, expiresAt: now });
    const expiredBefore = anAgent({ tenantId, expiresAt: at(HOUR - 1) });
    const revoked = anAgent({ tenantId, status: 'revoked', revokedAt: at(1) });
    const revokedAndExpired = anAgent({ tenantId, status: 'revoked', revokedAt: at(1), expiresAt: at(2) });
    await seed([noExpiry, expiresLater, expiresNow, expiredBefore, revoked, revokedAndExpired]);

    const statusOf = async (status: AgentFilter['status']) => new Set(ids(await listAll(tenantId, { status, now })));
    expect(await statusOf('active')).toEqual(new Set([noExpiry.id, expiresLater.id]));
    expect(await statusOf('expired')).toEqual(new Set([expiresNow.id, expiredBefore.id]));
    expect(await statusOf('revoked')).toEqual(new Set([revoked.id, revokedAndExpired.id]));
    expect((await statusOf(undefined)).size).toBe(6);
  });

  it('computes agent status at the `now` it is given, not at the wall clock', async () => {
    const tenantId = randomId('ten');
    const farFuture = anAgent({ tenantId, expiresAt: new Date('2090-01-01T00:00:00.000Z') });
    const longPast = anAgent({ tenantId, expiresAt: new Date('2001-01-01T00:00:00.000Z') });
    await seed([farFuture, longPast]);
    const in2095 = new Date('2095-01-01T00:00:00.000Z');
    const in2000 = new Date('2000-01-01T00:00:00.000Z');
    expect(ids(await listAll(tenantId, { status: 'expired', now: in2095 })).sort()).toEqual(
      [farFuture.id, longPast.id].sort(),
    );
    expect(ids(await listAll(tenantId, { status: 'active', now: in2000 })).sort()).toEqual(
      [farFuture.id, longPast.id].sort(),
    );
  });

  it('pages through a filtered agent list without leaking non-matching agents', async () => {
    const tenantId = randomId('ten');
    const ownerId = randomId('usr');
    const now = at(HOUR);
    const matching = Array.from({ length: 7 }, (_, i) => anAgent({ tenantId, ownerId, createdAt: at(i * 10) }));
    const noise = [
      ...Array.from({ length: 4 }, (_, i) => anAgent({ tenantId, createdAt: at(i * 10 + 5) })),
      ...Array.from({ length: 3 }, (_, i) => anAgent({ tenantId, ownerId, createdAt: at(i * 10 + 1), expiresAt: at(1) })),
    ];
    await seed([...matching, ...noise]);
    const found = await listAll(tenantId, { ownerId, status: 'active', now }, 2);
    expect(ids(found)).toEqual(ids(newestFirst(matching, (a) => a.createdAt)));
  });
}
