/**
 * The audit log on the mongo engine: append-only documents, filtered, paged and counted by
 * queries, plus the global log order (`seq`) for the live tail and the export.
 *
 * Seqs without transactions. An append reserves its range by inserting a batch document whose
 * `_id` is the first seq: one past the `end` of the newest batch it read. Two appenders that
 * read the same newest batch pick the same `_id`, and the unique `_id` lets exactly one of them
 * in; the other reads again. So the successful batches form one chain 1..n, 2..m, ... with no
 * gap or overlap, every batch's seqs are consecutive, and no replica can reuse a seq.
 *
 * The batch carries its entries until they are written as `audit` documents (in seq order),
 * and an appender writes (or finishes writing) the newest batch's entries before it reserves
 * the next range. Hence an entry with seq s is only ever written once every entry below s is:
 * the readable seqs are always one contiguous range, so `readAfter`/`scan` never skip an entry
 * that appears later, and an appender that dies half-way never leaves a hole — the next append
 * completes its batch.
 */
import type { Filter } from 'mongodb';

import { decodeSeqCursor, seqPageOf } from '../cursor.js';
import { clampLimit, seqOf } from '../limits.js';
import { storeConflict, storeUnavailable } from '../errors.js';
import type { AuditRecord, StoredAuditRecord } from '../../domain/records.js';
import type { AuditFilter, AuditStore, Page } from '../store.js';
import { auditFromDoc, auditToDoc, docKey, storedAuditFromDoc, type AuditBatchDoc, type AuditDoc } from './codec.js';
import { escapeRegex, isDuplicateKey, sleep, type Guard } from './driver.js';
import type { Collections } from './schema.js';

/**
 * Most bytes (as JSON, a close estimate of BSON) of entries carried by one batch document, far
 * below MongoDB's 16 MB document limit. An append larger than this (never made by the audit
 * writer: it appends at most 500 request-sized entries at a time) is split into several
 * batches, each with consecutive seqs.
 */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/** Reservation attempts before an append gives up as unavailable (extreme contention). */
const MAX_RESERVE_ATTEMPTS = 200;

/** The query for a filter; every index on `audit` leads with tenantId. */
function filterOf(tenantId: string, filter: AuditFilter): Filter<AuditDoc> {
  const query: Filter<AuditDoc> = { tenantId };
  if (filter.agentId !== undefined) query.agentId = filter.agentId;
  if (filter.ownerId !== undefined) query.ownerId = filter.ownerId;
  if (filter.actions !== undefined && filter.actions.length > 0) query.action = { $in: [...filter.actions] };
  if (filter.resourcePrefix !== undefined && filter.resourcePrefix !== '') {
    // An anchored, escaped, case-sensitive regex: the prefix matches literally (% and _ are not
    // wildcards here), and MongoDB serves an anchored prefix from the (tenantId, resource) index.
    query.resource = { $regex: `^${escapeRegex(filter.resourcePrefix)}` };
  }
  if (filter.result !== undefined) query.result = filter.result;
  if (filter.since !== undefined || filter.until !== undefined) {
    query.time = {
      ...(filter.since === undefined ? {} : { $gte: new Date(filter.since.getTime()) }),
      ...(filter.until === undefined ? {} : { $lt: new Date(filter.until.getTime()) }),
    };
  }
  return query;
}

/** Splits an append into runs of entries that fit one batch document, in order. */
function chunks(entries: readonly AuditRecord[]): AuditRecord[][] {
  const out: AuditRecord[][] = [];
  let current: AuditRecord[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = JSON.stringify(entry).length + 256;
    if (current.length > 0 && bytes + size > MAX_BATCH_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * `maxTimeMS` bounds, on the server, the reads whose cost a caller's filter decides (QueryAudit's
 * page and count, ExportAudit's scan): once Kavach gave up on one (store/time-limit.ts), the
 * database stops working on it too.
 */
export function createAuditStore(c: Collections, guard: Guard, limits: { maxTimeMS?: number | undefined } = {}): AuditStore {
  const bounded = limits.maxTimeMS === undefined ? {} : { maxTimeMS: limits.maxTimeMS };
  const newestBatch = () => c.auditBatches.findOne({}, { sort: { _id: -1 } });

  /**
   * Writes a batch's entries as audit documents, in seq order. Idempotent: an entry already
   * written (by the batch's appender or another helper) is skipped, and the rest still follow
   * in order, so every entry is written only after the one before it.
   */
  const complete = async (batch: AuditBatchDoc): Promise<void> => {
    let rest = batch.entries ?? [];
    while (rest.length > 0) {
      try {
        await c.audit.insertMany(rest, { ordered: true });
        rest = [];
      } catch (err) {
        const failed = firstFailedIndex(err);
        if (failed === undefined || !isDuplicateKey(err)) throw err;
        rest = rest.slice(failed + 1);
      }
    }
    await c.auditBatches.updateOne({ _id: batch._id }, { $set: { done: true }, $unset: { entries: '' } });
  };

  /**
   * The index of the first entry whose id is taken (stored, or repeated earlier in `entries`),
   * or -1. Checked after the newest batch was completed and right before reserving the next
   * range: a successful reservation then follows a fully written log, so no entry can reach a
   * batch (and a seq) while its id is already taken — which would leave that seq without an
   * entry, a gap that readers of the log would wait on forever.
   */
  const firstTakenId = async (entries: readonly AuditRecord[]): Promise<number> => {
    const keys = entries.map((e) => docKey(e.tenantId, e.id));
    const stored = new Set(
      (await c.audit.find({ _id: { $in: keys } }, { projection: { _id: 1 } }).toArray()).map((d) => d._id),
    );
    const seen = new Set<string>();
    for (const [i, key] of keys.entries()) {
      if (stored.has(key) || seen.has(key)) return i;
      seen.add(key);
    }
    return -1;
  };

  /**
   * Appends one chunk: reserves the next range and writes it. Stops before the first entry whose
   * id is taken and reports it with `taken`.
   */
  const appendChunk = async (entries: readonly AuditRecord[]): Promise<{ stored: StoredAuditRecord[]; taken: boolean }> => {
    for (let attempt = 0; attempt < MAX_RESERVE_ATTEMPTS; attempt++) {
      const newest = await newestBatch();
      if (newest !== null && !newest.done) await complete(newest);
      const taken = await firstTakenId(entries);
      const accepted = taken === -1 ? entries : entries.slice(0, taken);
      if (accepted.length === 0) return { stored: [], taken: true };
      const first = (newest?.end ?? 0) + 1;
      const docs = accepted.map((e, i) => auditToDoc(e, first + i));
      const batch: AuditBatchDoc = { _id: first, end: first + docs.length - 1, done: false, entries: docs };
      try {
        await c.auditBatches.insertOne(batch);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // Another appender reserved this range first: complete it and go again.
        await sleep(Math.random() * Math.min(20, attempt + 1));
        continue;
      }
      await complete(batch);
      return { stored: accepted.map((e, i) => ({ ...e, seq: first + i })), taken: taken !== -1 };
    }
    throw storeUnavailable(new Error('could not reserve audit seqs: too many concurrent appends'));
  };

  const append = async (entries: readonly AuditRecord[]): Promise<StoredAuditRecord[]> => {
    const out: StoredAuditRecord[] = [];
    for (const chunk of chunks(entries)) {
      const { stored, taken } = await appendChunk(chunk);
      out.push(...stored);
      // The entries before the taken one stay appended, with their seqs (the contract allows it).
      if (taken) throw storeConflict('an audit entry with this id already exists');
    }
    return out;
  };

  const query = async (tenantId: string, filter: AuditFilter, page: Page) => {
    const cursorSeq = page.cursor === undefined ? undefined : decodeSeqCursor(page.cursor);
    const limit = clampLimit(page.limit);
    const where = filterOf(tenantId, filter);
    const pageWhere: Filter<AuditDoc> = cursorSeq === undefined ? where : { $and: [where, { seq: { $lt: cursorSeq } }] };
    const [total, docs] = await Promise.all([
      c.audit.countDocuments(where, bounded),
      c.audit
        .find(pageWhere, bounded)
        .sort({ seq: -1 })
        .limit(limit + 1)
        .toArray(),
    ]);
    const paged = seqPageOf(docs, limit, (doc) => doc.seq);
    return { items: paged.items.map(auditFromDoc), nextCursor: paged.nextCursor, total };
  };

  const deleteOlderThan = async (time: Date, limit: number): Promise<number> => {
    const max = clampLimit(limit, 10_000);
    const newest = await c.audit.findOne({}, { sort: { seq: -1 }, projection: { seq: 1 } });
    if (newest === null) return 0;
    const oldest = await c.audit
      .find({}, { projection: { seq: 1, time: 1 } })
      .sort({ seq: 1 })
      .limit(max)
      .toArray();
    let through = 0;
    for (const row of oldest) {
      if (row.time.getTime() >= time.getTime() || row.seq >= newest.seq) break;
      through = row.seq;
    }
    if (through === 0) return 0;
    const deleted = (await c.audit.deleteMany({ seq: { $lte: through } })).deletedCount;
    // Batch documents of deleted entries go too, except the newest: it holds the next seq.
    const newestBatchDoc = await newestBatch();
    if (newestBatchDoc !== null) {
      await c.auditBatches.deleteMany({ end: { $lte: through }, _id: { $lt: newestBatchDoc._id }, done: true });
    }
    return deleted;
  };

  return {
    append: (entries) => guard(() => append(entries), 'an audit entry with this id'),
    get: (tenantId, id) =>
      guard(async () => {
        const doc = await c.audit.findOne({ _id: docKey(tenantId, id) });
        return doc === null ? undefined : auditFromDoc(doc);
      }),
    query: (tenantId, filter, page) => guard(() => query(tenantId, filter, page)),
    readAfter: (afterSeq, limit) =>
      guard(async () =>
        (
          await c.audit
            .find({ seq: { $gt: seqOf(afterSeq) } })
            .sort({ seq: 1 })
            .limit(clampLimit(limit))
            .toArray()
        ).map(storedAuditFromDoc),
      ),
    // The newest readable entry, not the newest reserved batch: a batch still being written
    // holds seqs nobody can read yet, and a tail starting "now" must not skip past them.
    headSeq: () =>
      guard(async () => (await c.audit.findOne({}, { sort: { seq: -1 }, projection: { seq: 1 } }))?.seq ?? 0),
    oldestSeq: () =>
      guard(async () => (await c.audit.findOne({}, { sort: { seq: 1 }, projection: { seq: 1 } }))?.seq ?? undefined),
    scan: (tenantId, filter, afterSeq, limit) =>
      guard(async () =>
        (
          await c.audit
            .find({ $and: [filterOf(tenantId, filter), { seq: { $gt: seqOf(afterSeq) } }] }, bounded)
            .sort({ seq: 1 })
            .limit(clampLimit(limit))
            .toArray()
        ).map(storedAuditFromDoc),
      ),
    deleteOlderThan: (time, limit) => guard(() => deleteOlderThan(time, limit)),
  };
}

/** The batch index of the first failed write of an ordered insertMany, when the error says. */
function firstFailedIndex(err: unknown): number | undefined {
  const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
  const first: unknown = Array.isArray(writeErrors) ? writeErrors[0] : writeErrors;
  const index = typeof first === 'object' && first !== null ? (first as { index?: unknown }).index : undefined;
  return typeof index === 'number' ? index : undefined;
}
