/** AuditStore cases: durable append, lookups, filtered queries with exact totals, paging. */
import { expect, it } from 'vitest';
import type { AuditRecord } from '../../../src/domain/records.js';
import type { AuditFilter } from '../../../src/store/store.js';
import { anAuditRecord, randomId } from '../../support/builders.js';
import {
  allPages,
  at,
  auditFilterFixture,
  expectKavachError,
  ids,
  MALFORMED_CURSORS,
  type StoreUnderTest,
} from '../contract-support.js';

export function auditCases(store: StoreUnderTest): void {
  const queryAll = async (tenantId: string, filter: AuditFilter, limit = 1000) =>
    (await allPages((page) => store().audit.query(tenantId, filter, page), limit)).flat();
  const matching = async (tenantId: string, filter: AuditFilter) => new Set(ids(await queryAll(tenantId, filter)));

  it('reads an appended entry back by id exactly as written', async () => {
    const entry = anAuditRecord({
      time: new Date('2026-05-06T07:08:09.012Z'),
      actor: { kind: 'user', id: 'usr_x' },
      arguments: { path: '/a', nested: { n: 1.5, flags: [true, false, null] }, token: '[REDACTED]' },
      result: 'pending_approval',
      reason: 'APPROVAL_REQUIRED',
      delegationChain: ['agt_root', 'agt_mid'],
      approvalId: 'apr_x',
    });
    await store().audit.append([entry]);
    const read = await store().audit.get(entry.tenantId, entry.id);
    expect(read).toEqual(entry);
    expect(read?.time).toBeInstanceOf(Date);
  });

  it('reads a non-decision entry with an empty reason back as written', async () => {
    const entry = anAuditRecord({ reason: '', action: 'agent.revoked', actor: { kind: 'admin', id: 'admin' } });
    await store().audit.append([entry]);
    expect(await store().audit.get(entry.tenantId, entry.id)).toEqual(entry);
  });

  it("returns undefined for a missing entry and for another tenant's entry", async () => {
    const entry = anAuditRecord();
    await store().audit.append([entry]);
    expect(await store().audit.get(entry.tenantId, randomId('aud'))).toBeUndefined();
    expect(await store().audit.get(randomId('ten'), entry.id)).toBeUndefined();
  });

  it('makes every entry of a batch readable once append resolves', async () => {
    const tenantId = randomId('ten');
    const batch = Array.from({ length: 250 }, (_, i) => anAuditRecord({ tenantId, time: at(i) }));
    await store().audit.append(batch);
    const page = await store().audit.query(tenantId, {}, { limit: 10 });
    expect(page.total).toBe(250);
    expect(await store().audit.get(tenantId, batch[137]?.id ?? '')).toEqual(batch[137]);
  });

  it('accepts an empty batch', async () => {
    await store().audit.append([]);
    expect((await store().audit.query(randomId('ten'), {}, { limit: 10 })).total).toBe(0);
  });

  it('refuses an entry whose id is taken, leaving the original untouched', async () => {
    const entry = anAuditRecord();
    await store().audit.append([entry]);
    await expectKavachError(
      store().audit.append([anAuditRecord({ id: entry.id, tenantId: entry.tenantId })]),
      'already_exists',
    );
    expect(await store().audit.get(entry.tenantId, entry.id)).toEqual(entry);
  });

  it('refuses a batch that repeats an id', async () => {
    const entry = anAuditRecord();
    await expectKavachError(store().audit.append([entry, { ...entry, message: 'again' }]), 'already_exists');
  });

  it('queries newest first in log (seq) order, whatever times the entries carry', async () => {
    const tenantId = randomId('ten');
    // Two replicas' clocks disagree: an entry logged later may carry an earlier time.
    const entries = [5, 1, 3, 3, 3, 9, 1].map((s) => anAuditRecord({ tenantId, time: at(s * 1000) }));
    await store().audit.append(entries.slice(0, 3));
    await store().audit.append(entries.slice(3));
    const result = await store().audit.query(tenantId, {}, { limit: 100 });
    expect(ids(result.items)).toEqual(ids(entries).reverse());
    expect(result.nextCursor).toBeUndefined();
  });

  it('pages through entries with no gap or repeat, and gives the same exact total on every page', async () => {
    const tenantId = randomId('ten');
    const entries = Array.from({ length: 17 }, (_, i) => anAuditRecord({ tenantId, time: at(Math.floor(i / 3)) }));
    await store().audit.append(entries);
    let cursor: string | undefined;
    const seen: AuditRecord[] = [];
    do {
      const page = await store().audit.query(tenantId, {}, { limit: 5, cursor });
      expect(page.total).toBe(17);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(ids(seen)).toEqual(ids(entries).reverse());
  });

  it('reports the same total whatever the page size', async () => {
    const tenantId = randomId('ten');
    await store().audit.append(Array.from({ length: 12 }, () => anAuditRecord({ tenantId })));
    for (const limit of [1, 5, 12, 1000]) {
      const page = await store().audit.query(tenantId, {}, { limit });
      expect(page.total).toBe(12);
      expect(page.items).toHaveLength(Math.min(limit, 12));
    }
  });

  it('keeps paging older entries without gaps while newer entries are appended between pages', async () => {
    const tenantId = randomId('ten');
    const original = Array.from({ length: 10 }, (_, i) => anAuditRecord({ tenantId, time: at(i * 1000) }));
    await store().audit.append(original);
    const first = await store().audit.query(tenantId, {}, { limit: 4 });
    const seen = [...first.items];
    let cursor = first.nextCursor;
    let round = 0;
    while (cursor !== undefined) {
      round += 1;
      await store().audit.append([anAuditRecord({ tenantId, time: at(100_000 + round) })]);
      const page = await store().audit.query(tenantId, {}, { limit: 4, cursor });
      expect(page.total).toBe(10 + round);
      seen.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(ids(seen)).toEqual(ids(original).reverse());
  });

  it('rejects a malformed audit cursor, or a list cursor, as an invalid page_token', async () => {
    const entry = anAuditRecord();
    await store().audit.append([entry]);
    const b64 = (json: string) => Buffer.from(json, 'utf8').toString('base64url');
    const notAuditCursors = [b64('[1,"x"]'), b64('{"seq":0}'), b64('{"seq":1.5}'), b64('{"seq":"7"}'), b64('{"seq":7,"x":1}')];
    for (const cursor of [...MALFORMED_CURSORS, ...notAuditCursors]) {
      await expectKavachError(
        store().audit.query(entry.tenantId, {}, { limit: 5, cursor }),
        'invalid_argument',
        'page_token',
        `cursor ${JSON.stringify(cursor.slice(0, 24))}`,
      );
    }
  });

  it('returns no entries, a zero total and no cursor when nothing matches', async () => {
    const entry = anAuditRecord();
    await store().audit.append([entry]);
    const result = await store().audit.query(entry.tenantId, { agentId: randomId('agt') }, { limit: 10 });
    expect(result).toEqual({ items: [], nextCursor: undefined, total: 0 });
  });

  it("hides a tenant's entries from every other tenant's queries", async () => {
    const entry = anAuditRecord();
    await store().audit.append([entry, anAuditRecord({ agentId: entry.agentId })]);
    const other = randomId('ten');
    expect((await store().audit.query(other, {}, { limit: 10 })).total).toBe(0);
    const own = await store().audit.query(entry.tenantId, { agentId: entry.agentId }, { limit: 10 });
    expect(ids(own.items)).toEqual([entry.id]);
    expect(own.total).toBe(1);
  });

  it('filters entries by agent and by owner', async () => {
    const tenantId = randomId('ten');
    const agentId = randomId('agt');
    const ownerId = randomId('usr');
    const a = anAuditRecord({ tenantId, agentId, ownerId });
    const b = anAuditRecord({ tenantId, ownerId });
    const c = anAuditRecord({ tenantId, agentId: randomId('agt') });
    await store().audit.append([a, b, c]);
    expect(await matching(tenantId, { agentId })).toEqual(new Set([a.id]));
    expect(await matching(tenantId, { ownerId })).toEqual(new Set([a.id, b.id]));
    expect(await matching(tenantId, { agentId, ownerId })).toEqual(new Set([a.id]));
  });

  it('filters entries by any of several actions, and matches all when the list is empty', async () => {
    const tenantId = randomId('ten');
    const [read, write, del] = ['read', 'write', 'delete'].map((action) => anAuditRecord({ tenantId, action }));
    await store().audit.append([read, write, del].filter((e) => e !== undefined));
    expect(await matching(tenantId, { actions: ['read', 'delete'] })).toEqual(new Set([read?.id, del?.id]));
    expect(await matching(tenantId, { actions: ['write'] })).toEqual(new Set([write?.id]));
    expect((await matching(tenantId, { actions: [] })).size).toBe(3);
    expect((await store().audit.query(tenantId, { actions: ['read', 'write'] }, { limit: 1 })).total).toBe(2);
  });

  it('filters entries by resource prefix', async () => {
    const tenantId = randomId('ten');
    const resources = ['mcp:github:repos', 'mcp:github:issues:1', 'mcp:gitlab:repos', 'fs:mcp:github'];
    const entries = resources.map((resource) => anAuditRecord({ tenantId, resource }));
    await store().audit.append(entries);
    expect(await matching(tenantId, { resourcePrefix: 'mcp:github:' })).toEqual(new Set(ids(entries.slice(0, 2))));
    expect(await matching(tenantId, { resourcePrefix: 'mcp:git' })).toEqual(new Set(ids(entries.slice(0, 3))));
    expect(await matching(tenantId, { resourcePrefix: 'mcp:github:repos' })).toEqual(new Set([entries[0]?.id]));
  });

  it('matches % and _ in a resource prefix literally, not as wildcards', async () => {
    const tenantId = randomId('ten');
    const resources = ['files:100%_done:a', 'files:100%Xdone:b', 'files:100Y_done:c', 'files:1000_done:d', 'files:a\\b:e'];
    const entries = resources.map((resource) => anAuditRecord({ tenantId, resource }));
    await store().audit.append(entries);
    expect(await matching(tenantId, { resourcePrefix: 'files:100%_' })).toEqual(new Set([entries[0]?.id]));
    expect(await matching(tenantId, { resourcePrefix: 'files:100%' })).toEqual(new Set([entries[0]?.id, entries[1]?.id]));
    expect(await matching(tenantId, { resourcePrefix: 'files:100_' })).toEqual(new Set());
    expect(await matching(tenantId, { resourcePrefix: '%' })).toEqual(new Set());
    expect(await matching(tenantId, { resourcePrefix: '_' })).toEqual(new Set());
    expect(await matching(tenantId, { resourcePrefix: 'files:a\\b' })).toEqual(new Set([entries[4]?.id]));
    expect((await store().audit.query(tenantId, { resourcePrefix: 'files:100%_' }, { limit: 10 })).total).toBe(1);
  });

  it('matches a resource prefix case-sensitively, as resources are', async () => {
    const tenantId = randomId('ten');
    const lower = anAuditRecord({ tenantId, resource: 'mcp:github:repos' });
    const upper = anAuditRecord({ tenantId, resource: 'MCP:GitHub:repos' });
    await store().audit.append([lower, upper]);
    expect(await matching(tenantId, { resourcePrefix: 'mcp:github' })).toEqual(new Set([lower.id]));
    expect(await matching(tenantId, { resourcePrefix: 'MCP:' })).toEqual(new Set([upper.id]));
  });

  it('filters entries by result', async () => {
    const tenantId = randomId('ten');
    const allowed = anAuditRecord({ tenantId, result: 'allowed' });
    const denied = anAuditRecord({ tenantId, result: 'denied', reason: 'NO_MATCHING_PERMISSION' });
    const limited = anAuditRecord({ tenantId, result: 'rate_limited', reason: 'RATE_LIMITED' });
    await store().audit.append([allowed, denied, limited]);
    expect(await matching(tenantId, { result: 'denied' })).toEqual(new Set([denied.id]));
    expect(await matching(tenantId, { result: 'rate_limited' })).toEqual(new Set([limited.id]));
    expect(await matching(tenantId, { result: 'pending_approval' })).toEqual(new Set());
  });

  it('filters entries by time with an inclusive since and an exclusive until', async () => {
    const tenantId = randomId('ten');
    const entries = [0, 1000, 2000, 3000].map((ms) => anAuditRecord({ tenantId, time: at(ms) }));
    await store().audit.append(entries);
    const [e0, e1, e2, e3] = ids(entries);
    expect(await matching(tenantId, { since: at(1000) })).toEqual(new Set([e1, e2, e3]));
    expect(await matching(tenantId, { until: at(2000) })).toEqual(new Set([e0, e1]));
    expect(await matching(tenantId, { since: at(1000), until: at(3000) })).toEqual(new Set([e1, e2]));
    expect(await matching(tenantId, { since: at(1001), until: at(2001) })).toEqual(new Set([e2]));
    expect(await matching(tenantId, { since: at(2000), until: at(2000) })).toEqual(new Set());
  });

  it('combines every filter and pages the matches with an exact total', async () => {
    const { tenantId, hits, misses, filter } = auditFilterFixture(7);
    await store().audit.append([...hits, ...misses]);
    const first = await store().audit.query(tenantId, filter, { limit: 3 });
    expect(first.total).toBe(7);
    expect(ids(await queryAll(tenantId, filter, 3))).toEqual(ids(hits).reverse());
  });

  it('returns fresh entry objects that do not write through to the store', async () => {
    const entry = anAuditRecord({ delegationChain: ['agt_a'] });
    await store().audit.append([entry]);
    const first = await store().audit.get(entry.tenantId, entry.id);
    (first?.delegationChain as string[]).push('agt_b');
    (first?.arguments as Record<string, unknown>).extra = 1;
    first?.time.setTime(0);
    expect(await store().audit.get(entry.tenantId, entry.id)).toEqual(entry);
  });
}
