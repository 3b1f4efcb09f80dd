/**
 * AuditStore cases for the global log: seqs assigned by append (gap-free, even under concurrent
 * appends), readAfter, headSeq/oldestSeq, the filtered seq-ordered scan, and retention.
 */
import { expect, it } from 'vitest';
import type { StoredAuditRecord } from '../../../src/domain/records.js';
import type { AuditFilter } from '../../../src/store/store.js';
import { anAuditRecord, randomId } from '../../support/builders.js';
import { at, auditFilterFixture, expectKavachError, ids, type StoreUnderTest } from '../contract-support.js';

const seqs = (items: readonly { readonly seq: number }[]) => items.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

export function auditSeqCases(store: StoreUnderTest): void {
  /** Every entry after `afterSeq`, read in pages of `limit`. */
  const readAll = async (afterSeq = 0, limit = 1000): Promise<StoredAuditRecord[]> => {
    const out: StoredAuditRecord[] = [];
    let last = afterSeq;
    for (;;) {
      const batch = await store().audit.readAfter(last, limit);
      expect(batch.length).toBeLessThanOrEqual(limit);
      out.push(...batch);
      if (batch.length < limit) return out;
      last = batch[batch.length - 1]?.seq ?? last;
    }
  };
  const scanAll = async (tenantId: string, filter: AuditFilter, limit = 1000): Promise<StoredAuditRecord[]> => {
    const out: StoredAuditRecord[] = [];
    let last = 0;
    for (;;) {
      const batch = await store().audit.scan(tenantId, filter, last, limit);
      out.push(...batch);
      if (batch.length < limit) return out;
      last = batch[batch.length - 1]?.seq ?? last;
    }
  };

  it('starts an empty log with head seq 0 and no oldest seq', async () => {
    expect(await store().audit.headSeq()).toBe(0);
    expect(await store().audit.oldestSeq()).toBeUndefined();
    expect(await store().audit.readAfter(0, 10)).toEqual([]);
  });

  it('resolves append with the entries as stored, numbered 1, 2, 3... in the order given', async () => {
    const first = [anAuditRecord(), anAuditRecord(), anAuditRecord()];
    const stored = await store().audit.append(first);
    expect(stored).toEqual(first.map((e, i) => ({ ...e, seq: i + 1 })));
    const second = await store().audit.append([anAuditRecord(), anAuditRecord()]);
    expect(seqs(second)).toEqual([4, 5]);
    expect(await store().audit.headSeq()).toBe(5);
    expect(await store().audit.oldestSeq()).toBe(1);
    expect(await store().audit.append([])).toEqual([]);
  });

  it('gives concurrent appends consecutive seqs with no gap and no repeat', async () => {
    const sizes = [1, 5, 2, 8, 1, 3, 13, 1, 4, 2, 7, 1];
    const results = await Promise.all(
      sizes.map((n) => store().audit.append(Array.from({ length: n }, () => anAuditRecord()))),
    );
    const total = sizes.reduce((a, b) => a + b, 0);
    for (const batch of results) {
      const first = batch[0]?.seq ?? 0;
      expect(seqs(batch)).toEqual(range(first, first + batch.length - 1));
    }
    expect(results.flatMap(seqs).sort((a, b) => a - b)).toEqual(range(1, total));
    const read = await readAll(0, 7);
    expect(seqs(read)).toEqual(range(1, total));
    expect(new Set(ids(read))).toEqual(new Set(results.flat().map((e) => e.id)));
    expect(await store().audit.headSeq()).toBe(total);
  });

  it('reads entries of every tenant after a seq, ascending, exactly as append returned them', async () => {
    const stored = [
      ...(await store().audit.append([anAuditRecord(), anAuditRecord()])),
      ...(await store().audit.append([anAuditRecord({ tenantId: randomId('ten') })])),
      ...(await store().audit.append([anAuditRecord(), anAuditRecord(), anAuditRecord()])),
    ];
    expect(await store().audit.readAfter(0, 100)).toEqual(stored);
    expect(await store().audit.readAfter(2, 2)).toEqual(stored.slice(2, 4));
    expect(await store().audit.readAfter(5, 100)).toEqual(stored.slice(5));
    expect(await store().audit.readAfter(6, 100)).toEqual([]);
    expect(await store().audit.readAfter(60, 100)).toEqual([]);
  });

  it('does not use up seqs on an append that fails on a taken id', async () => {
    const taken = (await store().audit.append([anAuditRecord()]))[0];
    if (taken === undefined) return expect.fail('append returned nothing');
    await expectKavachError(
      store().audit.append([anAuditRecord(), { ...anAuditRecord(), id: taken.id, tenantId: taken.tenantId }]),
      'already_exists',
    );
    await store().audit.append([anAuditRecord(), anAuditRecord()]);
    const head = await store().audit.headSeq();
    expect(seqs(await readAll())).toEqual(range(1, head));
  });

  it('scans one tenant ascending by seq from after a seq, in batches', async () => {
    const tenantId = randomId('ten');
    const mine = Array.from({ length: 9 }, (_, i) => anAuditRecord({ tenantId, time: at((9 - i) * 1000) }));
    await store().audit.append(mine.slice(0, 4));
    await store().audit.append([anAuditRecord(), anAuditRecord()]);
    await store().audit.append(mine.slice(4));
    const all = await scanAll(tenantId, {}, 2);
    expect(ids(all)).toEqual(ids(mine));
    const ascending = seqs(all);
    expect([...ascending].sort((a, b) => a - b)).toEqual(ascending);
    const afterFourth = await store().audit.scan(tenantId, {}, all[3]?.seq ?? 0, 100);
    expect(ids(afterFourth)).toEqual(ids(mine.slice(4)));
    expect(await store().audit.scan(randomId('ten'), {}, 0, 100)).toEqual([]);
  });

  it('scans with every filter: agent, owner, actions, resource prefix, result and time range', async () => {
    const { tenantId, agentId, hits, misses, filter } = auditFilterFixture(5);
    await store().audit.append([hits[0], misses[0], hits[1], ...misses.slice(1, 4), hits[2], hits[3], ...misses.slice(4), hits[4]].filter((e) => e !== undefined));
    expect(ids(await scanAll(tenantId, filter, 2))).toEqual(ids(hits));
    expect(ids(await scanAll(tenantId, { agentId }))).toHaveLength(11);
    expect(ids(await scanAll(tenantId, { actions: ['read'] }))).toEqual([misses[2]?.id]);
    expect(ids(await scanAll(tenantId, { resourcePrefix: 'mcp:gitlab' }))).toEqual([misses[3]?.id]);
    expect(ids(await scanAll(tenantId, { result: 'allowed' }))).toEqual([misses[4]?.id]);
    expect(ids(await scanAll(tenantId, { until: at(1000) }))).toEqual([misses[5]?.id]);
  });

  it('deletes the oldest entries in seq order while they are older than the cutoff, and returns how many', async () => {
    const times = [0, 1, 2, 10, 3, 20, 30].map((s) => at(s * 1000));
    const stored = await store().audit.append(times.map((time) => anAuditRecord({ time })));
    // Seqs 1-3 are older than 5 s; seq 4 (10 s) is not, so seq 5 (3 s) stays behind it.
    expect(await store().audit.deleteOlderThan(at(5000), 100)).toBe(3);
    expect(await store().audit.oldestSeq()).toBe(4);
    expect(await store().audit.readAfter(0, 100)).toEqual(stored.slice(3));
    expect(await store().audit.get(stored[0]?.tenantId ?? '', stored[0]?.id ?? '')).toBeUndefined();
    expect(await store().audit.deleteOlderThan(at(5000), 100)).toBe(0);
  });

  it('deletes at most the limit per call', async () => {
    await store().audit.append(Array.from({ length: 10 }, (_, i) => anAuditRecord({ time: at(i) })));
    expect(await store().audit.deleteOlderThan(at(1_000_000), 4)).toBe(4);
    expect(await store().audit.oldestSeq()).toBe(5);
    expect(await store().audit.deleteOlderThan(at(1_000_000), 4)).toBe(4);
    expect(await store().audit.oldestSeq()).toBe(9);
  });

  it('never deletes the newest entry, so seqs are never reused', async () => {
    await store().audit.append(Array.from({ length: 5 }, (_, i) => anAuditRecord({ time: at(i) })));
    expect(await store().audit.deleteOlderThan(at(1_000_000), 100)).toBe(4);
    expect(await store().audit.oldestSeq()).toBe(5);
    expect(await store().audit.headSeq()).toBe(5);
    expect(await store().audit.deleteOlderThan(at(1_000_000), 100)).toBe(0);
    const next = await store().audit.append([anAuditRecord({ time: at(10) })]);
    expect(seqs(next)).toEqual([6]);
    expect(seqs(await store().audit.readAfter(0, 100))).toEqual([5, 6]);
  });
}
