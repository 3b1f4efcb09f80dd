/**
 * Delegations on the mongo engine. A delegation document carries its ancestors as a plain array
 * of ids, so the cascading revoke finds every descendant with one indexed query
 * (`ancestorIds: id`). The only write after create is revoke (active → revoked), so a lost
 * update between two concurrent revokes can only change which `revokedAt` survives, never
 * bring a delegation back.
 */
import type { Filter } from 'mongodb';

import { decodeCursor, pageOf } from '../cursor.js';
import { clampLimit, uniqueIds } from '../limits.js';
import type { DelegationRecord } from '../../domain/records.js';
import type { DelegationFilter, DelegationStore, Page, PageResult } from '../store.js';
import { delegationFromDoc, delegationToDoc, docKey, type DelegationDoc } from './codec.js';
import { type Guard } from './driver.js';
import type { Collections } from './schema.js';

function activeAt(now: Date): Filter<DelegationDoc> {
  return { status: 'active', $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] };
}

function direction(agentId: string, dir: DelegationFilter['direction']): Filter<DelegationDoc> {
  switch (dir) {
    case 'given':
      return { fromAgentId: agentId };
    case 'received':
      return { toAgentId: agentId };
    case 'both':
      return { $or: [{ fromAgentId: agentId }, { toAgentId: agentId }] };
  }
}

export function createDelegationStore(c: Collections, guard: Guard): DelegationStore {
  const byKey = (key: string) => c.delegations.findOne({ _id: key });

  const list = async (tenantId: string, filter: DelegationFilter, page: Page): Promise<PageResult<DelegationRecord>> => {
    const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const limit = clampLimit(page.limit);
    const conditions: Filter<DelegationDoc>[] = [{ tenantId }, direction(filter.agentId, filter.direction)];
    if (filter.onlyActive) conditions.push(activeAt(new Date(filter.now.getTime())));
    if (cursor !== undefined) {
      const t = new Date(cursor.t);
      conditions.push({ $or: [{ createdAt: { $lt: t } }, { createdAt: t, id: { $lt: cursor.id } }] });
    }
    const docs = await c.delegations
      .find({ $and: conditions })
      .sort({ createdAt: -1, id: -1 })
      .limit(limit + 1)
      .toArray();
    return pageOf(docs.map(delegationFromDoc), limit, (d) => ({ t: d.createdAt.getTime(), id: d.id }));
  };

  const revoke = async (tenantId: string, id: string, at: Date) => {
    const key = docKey(tenantId, id);
    if ((await byKey(key)) === null) return undefined;
    const set = { $set: { status: 'revoked', revokedAt: new Date(at.getTime()) } };
    const changed = (await c.delegations.updateOne({ _id: key, status: 'active' }, set)).matchedCount === 1;
    // Descendants are swept even when this one was revoked before (one may have been written since).
    const below = (await c.delegations.updateMany({ tenantId, ancestorIds: id, status: 'active' }, set)).modifiedCount;
    const doc = await byKey(key);
    if (doc === null) return undefined;
    return { delegation: delegationFromDoc(doc), changed, revokedCount: (changed ? 1 : 0) + below };
  };

  return {
    create: (d) =>
      guard(async () => {
        await c.delegations.insertOne(delegationToDoc(d));
      }, 'a delegation with this id'),
    get: (tenantId, id) =>
      guard(async () => {
        const doc = await byKey(docKey(tenantId, id));
        return doc === null ? undefined : delegationFromDoc(doc);
      }),
    getMany: (tenantId, ids) =>
      guard(async () => {
        const keys = uniqueIds(ids).map((id) => docKey(tenantId, id));
        if (keys.length === 0) return [];
        return (await c.delegations.find({ _id: { $in: keys } }).toArray()).map(delegationFromDoc);
      }),
    listActiveTo: (tenantId, toAgentId, now, limit) =>
      guard(async () =>
        (
          await c.delegations
            .find({ $and: [{ tenantId, toAgentId }, activeAt(new Date(now.getTime()))] })
            .sort({ createdAt: -1, id: -1 })
            .limit(clampLimit(limit))
            .toArray()
        ).map(delegationFromDoc),
      ),
    list: (tenantId, filter, page) => guard(() => list(tenantId, filter, page)),
    revoke: (tenantId, id, at) => guard(() => revoke(tenantId, id, at)),
  };
}
