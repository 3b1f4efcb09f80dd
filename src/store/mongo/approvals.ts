/**
 * Approvals on the mongo engine. Three small collections next to `approvals` make every
 * "exactly one" promise an insert or a delete (see driver.ts for why updates cannot):
 *
 * - `approval_open`, `_id` = (tenant, agent, request hash, generation): the approvals opened for
 *   a request, one per generation. Opening generation g + 1 (an insert) is what creates a
 *   pending approval, and it is tried only once generation g is no longer pending (decided or
 *   lapsed), so concurrent identical requests create one. It holds a copy of the approval, so a
 *   caller that loses the race can complete the winner's insert of the approval itself instead
 *   of waiting for it. Never deleted: a deleted and re-inserted `_id` could be hit by a stale
 *   filter, since FerretDB deletes and updates by `_id` after evaluating the filter.
 * - `approval_decisions`, `_id` = the approval: inserted by whoever decides it — an owner's
 *   decision or the expiry sweep. Exactly one insert succeeds; that caller alone then writes
 *   the approval's new status, so the approval document has one writer at a time.
 * - `approval_grants`, `_id` = the approval, `expiresAt` = use-by: inserted once approved.
 *   `consume` deletes it with `expiresAt > now`; exactly one caller sees `deletedCount: 1`.
 */
import type { Filter } from 'mongodb';

import type { Actor } from '../../domain/types.js';
import { decodeCursor, pageOf } from '../cursor.js';
import { clampLimit } from '../limits.js';
import { storeUnavailable } from '../errors.js';
import type { ApprovalRecord } from '../../domain/records.js';
import type { ApprovalFilter, ApprovalStore, Page, PageResult } from '../store.js';
import {
  applyDecision,
  approvalFromDoc,
  approvalOpenKey,
  approvalToDoc,
  decisionFields,
  docKey,
  type ApprovalDecisionDoc,
  type ApprovalDoc,
} from './codec.js';
import { insertOnce, isDuplicateKey, type Guard } from './driver.js';
import type { Collections } from './schema.js';

/** Who decides an approval that lapsed while pending. */
const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'system' };

/** Rounds of "the open request points at a finished approval: replace it" before giving up. */
const MAX_OPEN_ROUNDS = 10;

/**
 * A decision older than this (in the contract's time) whose approval still reads pending was
 * left half-done by a caller that died; the expiry sweep then finishes writing it.
 */
const STUCK_DECISION_MS = 60_000;

function pendingAt(doc: ApprovalDoc, now: Date): boolean {
  return doc.status === 'pending' && doc.expiresAt.getTime() > now.getTime();
}

/** Whether `stored` is the document `mine` (as inserted from an open marker's copy). */
function isCopyOf(stored: ApprovalDoc | null, mine: ApprovalDoc): boolean {
  return (
    stored !== null &&
    stored.agentId === mine.agentId &&
    stored.requestHash === mine.requestHash &&
    stored.createdAt.getTime() === mine.createdAt.getTime() &&
    stored.arguments === mine.arguments
  );
}

function and<T>(conditions: Filter<T>[]): Filter<T> {
  return conditions.length === 1 ? (conditions[0] as Filter<T>) : ({ $and: conditions } as Filter<T>);
}

/** The status filter as computed at `now`, matching what `approvalFromDoc(doc, now)` returns. */
function statusFilter(status: ApprovalFilter['status'], now: Date): Filter<ApprovalDoc> | undefined {
  switch (status) {
    case 'pending':
      return { status: 'pending', expiresAt: { $gt: now } };
    case 'approved':
      return { status: 'approved', expiresAt: { $gt: now } };
    case 'expired':
      return { $or: [{ status: 'expired' }, { status: { $in: ['pending', 'approved'] }, expiresAt: { $lte: now } }] };
    case 'denied':
      return { status: 'denied' };
    case 'consumed':
      return { status: 'consumed' };
    case undefined:
      return undefined;
  }
}

export function createApprovalStore(c: Collections, guard: Guard): ApprovalStore {
  const byKey = (key: string) => c.approvals.findOne({ _id: key });

  const getOrCreatePending = async (candidate: ApprovalRecord, now: Date) => {
    const { tenantId, agentId, requestHash } = candidate;
    const mine = approvalToDoc(candidate);
    for (let round = 0; round < MAX_OPEN_ROUNDS; round++) {
      const current = await c.approvalOpen.findOne({ tenantId, agentId, requestHash }, { sort: { gen: -1 } });
      if (current !== null) {
        let approval = await byKey(current.approval._id);
        if (approval === null) {
          // Its opener has not inserted it yet (or died before it could): insert its copy.
          await insertOnce((d) => c.approvals.insertOne(d), current.approval);
          approval = await byKey(current.approval._id);
        }
        if (approval !== null && isCopyOf(approval, current.approval) && pendingAt(approval, now)) {
          return { approval: approvalFromDoc(approval), created: false };
        }
        // Decided or lapsed (or the id held another record): the next generation may open.
      }
      const gen = (current?.gen ?? 0) + 1;
      const opened = await insertOnce((d) => c.approvalOpen.insertOne(d), {
        _id: approvalOpenKey(tenantId, agentId, requestHash, gen),
        tenantId,
        agentId,
        requestHash,
        gen,
        approvalId: candidate.id,
        approval: mine,
      });
      if (!opened) continue; // another caller opened this generation first: look at it
      try {
        await c.approvals.insertOne(mine);
      } catch (err) {
        // A caller that lost the race may have inserted our copy for us. Anything else under
        // this id is a taken approval id: this generation then stands for no pending approval,
        // and the next caller opens the following one.
        if (isDuplicateKey(err) && isCopyOf(await byKey(mine._id), mine)) {
          return { approval: approvalFromDoc(mine), created: true };
        }
        throw err;
      }
      return { approval: approvalFromDoc(mine), created: true };
    }
    throw storeUnavailable(new Error('could not open an approval request: it kept changing concurrently'));
  };

  /**
   * Claims the decision of an approval. Returns the decision that holds: ours with `won`, or
   * the one another caller inserted first.
   */
  const claimDecision = async (
    decision: ApprovalDecisionDoc,
  ): Promise<{ won: true } | { won: false; decision: ApprovalDecisionDoc | null }> => {
    if (await insertOnce((d) => c.approvalDecisions.insertOne(d), decision)) return { won: true };
    return { won: false, decision: await c.approvalDecisions.findOne({ _id: decision._id }) };
  };

  /** Writes a won decision onto the approval (its single writer now). */
  const writeDecision = async (doc: ApprovalDoc, decision: ApprovalDecisionDoc): Promise<ApprovalDoc> => {
    await c.approvals.updateOne({ _id: doc._id }, { $set: decisionFields(decision) });
    return applyDecision(doc, decision);
  };

  const decide = async (
    tenantId: string,
    id: string,
    d: Parameters<ApprovalStore['decide']>[2],
  ): Promise<{ approval: ApprovalRecord; changed: boolean } | undefined> => {
    const doc = await byKey(docKey(tenantId, id));
    if (doc === null) return undefined;
    if (!pendingAt(doc, d.at)) return { approval: approvalFromDoc(doc), changed: false };
    const decision: ApprovalDecisionDoc = {
      _id: doc._id,
      status: d.status,
      at: new Date(d.at.getTime()),
      by: { kind: d.by.kind, id: d.by.id },
      reason: d.reason,
      expiresAt: new Date((d.status === 'approved' ? d.useBy : doc.expiresAt).getTime()),
    };
    const claim = await claimDecision(decision);
    if (!claim.won) {
      // Someone decided first (its write to the approval may still be on its way): report the
      // record as that decision leaves it.
      const settled = claim.decision === null ? doc : applyDecision(doc, claim.decision);
      return { approval: approvalFromDoc(settled), changed: false };
    }
    const decided = await writeDecision(doc, decision);
    // The grant is inserted only once the approval reads approved, so a consumer can never
    // mark it consumed before this decision's own write lands.
    if (d.status === 'approved') {
      await insertOnce((g) => c.approvalGrants.insertOne(g), { _id: doc._id, expiresAt: decision.expiresAt });
    }
    return { approval: approvalFromDoc(decided), changed: true };
  };

  const consume = async (tenantId: string, id: string, now: Date): Promise<boolean> => {
    const key = docKey(tenantId, id);
    const taken = await c.approvalGrants.deleteOne({ _id: key, expiresAt: { $gt: now } });
    if (taken.deletedCount !== 1) return false;
    // Only the one consumer gets here, and the decision's write is done: a single writer.
    await c.approvals.updateOne({ _id: key }, { $set: { status: 'consumed' } });
    return true;
  };

  const expirePending = async (now: Date, limit: number): Promise<ApprovalRecord[]> => {
    const max = Math.max(0, Math.trunc(limit));
    const changed: ApprovalRecord[] = [];
    if (max === 0) return changed;
    // Grants past their use-by time can never be consumed: drop them while here.
    await c.approvalGrants.deleteMany({ expiresAt: { $lte: now } });
    let seen = 0;
    // Candidates lost to a concurrent decision do not count against `limit`: read on past them.
    for (let batch = 0; batch < 10 && changed.length < max; batch++) {
      const due = await c.approvals
        .find({ status: 'pending', expiresAt: { $lte: now } })
        .sort({ expiresAt: 1, _id: 1 })
        .skip(seen)
        .limit(max - changed.length)
        .toArray();
      if (due.length === 0) break;
      for (const doc of due) {
        const decision: ApprovalDecisionDoc = {
          _id: doc._id,
          status: 'expired',
          at: new Date(now.getTime()),
          by: { ...SYSTEM_ACTOR },
          reason: null,
          expiresAt: doc.expiresAt,
        };
        const claim = await claimDecision(decision);
        if (claim.won) {
          changed.push(approvalFromDoc(await writeDecision(doc, decision)));
          continue;
        }
        seen += 1;
        const held = claim.decision;
        if (held !== null && held.at.getTime() + STUCK_DECISION_MS <= now.getTime()) {
          // Its decider died between claiming and writing: finish the write (status only; a
          // grant is never re-created, so an approval can never be used twice).
          await c.approvals.updateOne({ _id: doc._id, status: 'pending' }, { $set: decisionFields(held) });
          seen -= 1; // it no longer matches the query, so it no longer shifts the skip
        }
      }
    }
    changed.sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return changed;
  };

  const list = async (tenantId: string, filter: ApprovalFilter, page: Page): Promise<PageResult<ApprovalRecord>> => {
    const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const limit = clampLimit(page.limit);
    const now = new Date(filter.now.getTime());
    const base: Filter<ApprovalDoc> = { tenantId };
    if (filter.ownerId !== undefined) base.ownerId = filter.ownerId;
    if (filter.agentId !== undefined) base.agentId = filter.agentId;
    const conditions: Filter<ApprovalDoc>[] = [base];
    const status = statusFilter(filter.status, now);
    if (status !== undefined) conditions.push(status);
    if (cursor !== undefined) {
      const t = new Date(cursor.t);
      conditions.push({ $or: [{ createdAt: { $lt: t } }, { createdAt: t, id: { $lt: cursor.id } }] });
    }
    const docs = await c.approvals
      .find(and(conditions))
      .sort({ createdAt: -1, id: -1 })
      .limit(limit + 1)
      .toArray();
    return pageOf(
      docs.map((d) => approvalFromDoc(d, now)),
      limit,
      (a) => ({ t: a.createdAt.getTime(), id: a.id }),
    );
  };

  return {
    getOrCreatePending: (candidate, now) => guard(() => getOrCreatePending(candidate, now), 'an approval with this id'),
    findApproved: (tenantId, agentId, requestHash, now) =>
      guard(async () => {
        const doc = await c.approvals.findOne(
          { tenantId, agentId, requestHash, status: 'approved', expiresAt: { $gt: now } },
          { sort: { createdAt: -1, id: -1 } },
        );
        return doc === null ? undefined : approvalFromDoc(doc);
      }),
    consume: (tenantId, id, now) => guard(() => consume(tenantId, id, now)),
    get: (tenantId, id) =>
      guard(async () => {
        const doc = await byKey(docKey(tenantId, id));
        return doc === null ? undefined : approvalFromDoc(doc);
      }),
    list: (tenantId, filter, page) => guard(() => list(tenantId, filter, page)),
    decide: (tenantId, id, decision) => guard(() => decide(tenantId, id, decision)),
    expirePending: (now, limit) => guard(() => expirePending(now, limit)),
  };
}
