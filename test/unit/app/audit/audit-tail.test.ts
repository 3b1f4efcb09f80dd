/**
 * The per-process tail feed (src/app/audit/audit-tail.ts) over an in-memory log: live delivery, replay
 * handing over to live without loss or repeat, reads that show a gap (a MongoDB scan racing an
 * insert), retention, slow readers and the poller's lifetime.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { KavachError } from '../../../../src/domain/errors.js';
import { createTailHub, type TailHub, type TailSubscription } from '../../../../src/app/audit/audit-tail.js';
import type { StoredAuditRecord } from '../../../../src/domain/records.js';
import type { AuditStore } from '../../../../src/store/store.js';
import { anAuditRecord } from '../../../support/builders.js';

/** The part of an AuditStore the feed uses, over an array; `hidden` seqs are not readable yet. */
function memoryLog() {
  const entries: StoredAuditRecord[] = [];
  const hidden = new Set<number>();
  let reads = 0;
  const store = {
    readAfter: (after: number, limit: number) => {
      reads += 1;
      return Promise.resolve(entries.filter((e) => e.seq > after && !hidden.has(e.seq)).slice(0, limit));
    },
    headSeq: () => Promise.resolve(entries.filter((e) => !hidden.has(e.seq)).reduce((max, e) => Math.max(max, e.seq), 0)),
    oldestSeq: () => Promise.resolve(entries[0]?.seq),
  } as unknown as AuditStore;
  return {
    store,
    hidden,
    reads: () => reads,
    append(count: number, overrides: Parameters<typeof anAuditRecord>[0] = {}): StoredAuditRecord[] {
      const last = entries.at(-1)?.seq ?? 0;
      const added = Array.from({ length: count }, (_, i) => ({ ...anAuditRecord(overrides), seq: last + i + 1 }));
      for (const e of added) entries.push(e);
      return added;
    },
    dropOldest(count: number): void {
      entries.splice(0, count);
    },
  };
}

const never = new AbortController().signal;

/** Takes `count` entries from a subscription (each wait at most 2 s). */
async function take(sub: TailSubscription, count: number): Promise<number[]> {
  const seqs: number[] = [];
  while (seqs.length < count) {
    const e = await sub.next(2000, never);
    if (e === undefined) throw new Error(`only ${seqs.length} of ${count} entries arrived`);
    seqs.push(e.seq);
  }
  return seqs;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the tail feed', () => {
  let hub: TailHub | undefined;
  const open = (store: AuditStore, pageSize = 500) => {
    hub = createTailHub({ store, logger: pino({ level: 'silent' }), pollIntervalMs: 5, pageSize });
    return hub;
  };
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });
  const all = () => true;

  it('starts at the present and delivers later entries in order, at once on wake', async () => {
    const log = memoryLog();
    log.append(3);
    const sub = await open(log.store).subscribe({ afterSeq: undefined, match: all, bufferSize: 100 });
    expect(sub.position).toBe(3);
    log.append(4);
    hub?.wake();
    expect(await take(sub, 4)).toEqual([4, 5, 6, 7]);
    expect(sub.position).toBe(7);
  });

  it('replays from an older seq and then goes live, without losing or repeating an entry', async () => {
    const log = memoryLog();
    log.append(50);
    const feed = open(log.store, 7);
    const live = await feed.subscribe({ afterSeq: undefined, match: all, bufferSize: 1000 });
    const resumed = await feed.subscribe({ afterSeq: 10, match: all, bufferSize: 1000 });
    const got: number[] = [];
    for (let round = 0; round < 20; round++) {
      log.append(3);
      feed.wake();
      got.push(...(await take(resumed, 5)));
    }
    got.push(...(await take(resumed, 50 + 60 - 10 - got.length)));
    expect(got).toEqual(range(11, 110));
    expect(await take(live, 60)).toEqual(range(51, 110));
  });

  it('holds back entries after a gap until the gap fills, then delivers them in order', async () => {
    const log = memoryLog();
    const sub = await open(log.store).subscribe({ afterSeq: undefined, match: all, bufferSize: 100 });
    log.append(3);
    log.hidden.add(2);
    hub?.wake();
    expect(await take(sub, 1)).toEqual([1]);
    expect(await sub.next(50, never)).toBeUndefined();
    log.hidden.clear();
    expect(await take(sub, 2)).toEqual([2, 3]);
  });

  it('tells a resuming reader whose history retention deleted that it is out of range', async () => {
    const log = memoryLog();
    log.append(10);
    log.dropOldest(5);
    await expect(open(log.store).subscribe({ afterSeq: 2, match: all, bufferSize: 10 })).rejects.toMatchObject({ kind: 'out_of_range' });
    const edge = await hub?.subscribe({ afterSeq: 5, match: all, bufferSize: 10 });
    expect(edge && (await take(edge, 5))).toEqual([6, 7, 8, 9, 10]);
  });

  it('refuses a resume point ahead of the log as out of range', async () => {
    const log = memoryLog();
    log.append(2);
    await expect(open(log.store).subscribe({ afterSeq: 3, match: all, bufferSize: 10 })).rejects.toMatchObject({ kind: 'out_of_range' });
  });

  it('moves the position of a filtered reader past entries it does not want', async () => {
    const log = memoryLog();
    const sub = await open(log.store).subscribe({ afterSeq: undefined, match: (e) => e.action === 'write', bufferSize: 100 });
    log.append(2, { action: 'read' });
    log.append(1, { action: 'write' });
    log.append(2, { action: 'read' });
    hub?.wake();
    expect(await take(sub, 1)).toEqual([3]);
    expect(await sub.next(50, never)).toBeUndefined();
    expect(sub.position).toBe(5);
  });

  it('cuts off a reader whose queue is full with resource_exhausted and forgets it', async () => {
    const log = memoryLog();
    const sub = await open(log.store).subscribe({ afterSeq: undefined, match: all, bufferSize: 3 });
    log.append(4);
    hub?.wake();
    await expect.poll(() => hub?.subscriberCount()).toBe(0);
    const error = await sub.next(1000, never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KavachError);
    expect(error).toMatchObject({ kind: 'resource_exhausted' });
  });

  it('polls only while someone subscribes', async () => {
    const log = memoryLog();
    const feed = open(log.store);
    const sub = await feed.subscribe({ afterSeq: undefined, match: all, bufferSize: 10 });
    await expect.poll(() => log.reads()).toBeGreaterThan(2);
    sub.close();
    expect(feed.subscriberCount()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const reads = log.reads();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log.reads()).toBe(reads);
    const again = await feed.subscribe({ afterSeq: undefined, match: all, bufferSize: 10 });
    log.append(1);
    expect(await take(again, 1)).toEqual([1]);
  });

  it('ends every subscription with unavailable when it closes', async () => {
    const log = memoryLog();
    const sub = await open(log.store).subscribe({ afterSeq: undefined, match: all, bufferSize: 10 });
    await hub?.close();
    await expect(sub.next(1000, never)).rejects.toMatchObject({ kind: 'unavailable' });
    await expect(hub?.subscribe({ afterSeq: undefined, match: all, bufferSize: 10 })).rejects.toMatchObject({ kind: 'unavailable' });
  });

  it('returns nothing once the caller aborts', async () => {
    const log = memoryLog();
    const sub = await open(log.store).subscribe({ afterSeq: undefined, match: all, bufferSize: 10 });
    const abort = new AbortController();
    const waiting = sub.next(10_000, abort.signal);
    abort.abort();
    expect(await waiting).toBeUndefined();
  });
});
