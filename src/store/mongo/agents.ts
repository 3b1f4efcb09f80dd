/**
 * Agents on the mongo engine.
 *
 * Quota: every agent has an `agent_quota` entry `_id` = (tenantId, ownerId, n), its owner's
 * n-th creation. A create reads the highest n, then counts the entries that still count at
 * `now` (not released, expiry copy unset or ahead); with room left it inserts n + 1 and only
 * then the agent. The insert's unique `_id` lets one create claim each n, and that create had
 * read every entry up to n, so concurrent creates in any number of processes can never take
 * the owner past `quota`. `revoke` marks the entry released; `update` keeps its copy of the
 * expiry current. Entries are never deleted (agents are not either), so no `_id` is reused.
 *
 * Updates: `update`, `rotateToken` and `revoke` each run under the agent's write lock
 * (locks.ts), because on FerretDB two concurrent updates of one document lose one of them — a
 * rename racing a revoke could otherwise bring the agent back. The quota entry is written only
 * under that lock too.
 */
import type { Filter, UpdateFilter } from 'mongodb';

import { decodeCursor, pageOf } from '../cursor.js';
import { clampLimit, uniqueIds } from '../limits.js';
import type { AgentRecord } from '../../domain/records.js';
import type { AgentFilter, AgentStore, Page, PageResult } from '../store.js';
import { agentFromDoc, agentQuotaKey, agentToDoc, docKey, type AgentDoc, type AgentQuotaDoc } from './codec.js';
import { isDuplicateKey, type Guard } from './driver.js';
import type { WithLock } from './locks.js';
import type { Collections } from './schema.js';

const CONFLICT = 'an agent with this id or token';

/**
 * Claim attempts per create. Each failed attempt means another create of the same owner
 * succeeded, so a burst settles well within this.
 */
const MAX_ATTEMPTS = 64;
/** A quota entry whose agent does not exist is abandoned only once its claim is this old (wall clock). */
const ORPHAN_GRACE_MS = 60_000;

function and<T>(conditions: Filter<T>[]): Filter<T> {
  return conditions.length === 1 ? (conditions[0] as Filter<T>) : ({ $and: conditions } as Filter<T>);
}

export function createAgentStore(c: Collections, guard: Guard, withLock: WithLock): AgentStore {
  const lockOf = (tenantId: string, id: string) => `agent:${docKey(tenantId, id)}`;
  const byId = async (tenantId: string, id: string) => c.agents.findOne({ _id: docKey(tenantId, id) });

  /** Up to `max` of the owner's quota entries that count at `now`. */
  const counting = (tenantId: string, ownerId: string, now: Date, max: number) =>
    c.agentQuota
      .find({ tenantId, ownerId, released: false, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] })
      .limit(max)
      .toArray();

  /**
   * Repairs entries that count although their agent no longer does: left by a create that died
   * between its two inserts, or by a revoke or update that died before writing the entry.
   * Called only when the quota looks full. Returns whether it changed anything.
   */
  const repair = async (tenantId: string, entries: AgentQuotaDoc[]): Promise<boolean> => {
    const agents = await c.agents
      .find({ tenantId, id: { $in: entries.map((e) => e.agentId) } }, { projection: { id: 1, status: 1, expiresAt: 1 } })
      .toArray();
    const byAgent = new Map(agents.map((a) => [a.id, a]));
    const graceEnd = Date.now() - ORPHAN_GRACE_MS;
    const suspicious = entries.filter((e) => {
      const agent = byAgent.get(e.agentId);
      if (agent === undefined) return e.claimedAt.getTime() <= graceEnd;
      return agent.status !== 'active' || (agent.expiresAt?.getTime() ?? null) !== (e.expiresAt?.getTime() ?? null);
    });
    for (const entry of suspicious) {
      // Re-checked under the agent's lock: a revoke or update may be finishing right now.
      await withLock(lockOf(entry.tenantId, entry.agentId), async () => {
        const agent = await byId(entry.tenantId, entry.agentId);
        if (agent === null || agent.status !== 'active') {
          await c.agentQuota.updateOne({ _id: entry._id }, { $set: { released: true } });
        } else {
          await c.agentQuota.updateOne({ _id: entry._id }, { $set: { expiresAt: agent.expiresAt } });
        }
      });
    }
    return suspicious.length > 0;
  };

  const create = async (agent: AgentRecord, quota: number, now: Date): Promise<boolean> => {
    const { tenantId, ownerId } = agent;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // The highest n first, then the entries that count: everything up to that n is in the second read.
      const top = await c.agentQuota.findOne({ tenantId, ownerId }, { sort: { n: -1 }, projection: { n: 1 } });
      let live = await counting(tenantId, ownerId, now, quota);
      if (live.length >= quota && (await repair(tenantId, live))) live = await counting(tenantId, ownerId, now, quota);
      if (live.length >= quota) return false;
      const n = (top?.n ?? 0) + 1;
      const entry: AgentQuotaDoc = {
        _id: agentQuotaKey(tenantId, ownerId, n),
        tenantId,
        ownerId,
        n,
        agentId: agent.id,
        expiresAt: agent.expiresAt === undefined ? null : new Date(agent.expiresAt.getTime()),
        // An agent created revoked never counts.
        released: agent.status !== 'active',
        claimedAt: new Date(),
      };
      try {
        await c.agentQuota.insertOne(entry);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        continue; // another create of this owner took n: read again
      }
      try {
        await c.agents.insertOne(agentToDoc(agent));
      } catch (err) {
        // The agent was not created (a taken id or token hash): give the quota back.
        await c.agentQuota.updateOne({ _id: entry._id }, { $set: { released: true } }).catch(() => undefined);
        throw err;
      }
      return true;
    }
    return false;
  };

  /** After an expiry change (under the agent's lock): the quota entry follows the agent's expiry. */
  const syncQuota = async (doc: AgentDoc): Promise<void> => {
    await c.agentQuota.updateMany(
      { tenantId: doc.tenantId, ownerId: doc.ownerId, agentId: doc.id },
      { $set: { expiresAt: doc.expiresAt } },
    );
  };

  /**
   * Runs a conditional write on a stored-active agent under its lock, reads the result back,
   * and runs `after` (still under the lock) when the write matched.
   */
  const writeThenRead = (
    tenantId: string,
    id: string,
    update: UpdateFilter<AgentDoc>,
    after?: (doc: AgentDoc) => Promise<void>,
    unlessExpiredAt?: Date,
  ): Promise<{ doc: AgentDoc; changed: boolean } | undefined> =>
    withLock(lockOf(tenantId, id), async () => {
      const filter: Filter<AgentDoc> = { _id: docKey(tenantId, id), status: 'active' };
      if (unlessExpiredAt !== undefined) filter.$or = [{ expiresAt: null }, { expiresAt: { $gt: new Date(unlessExpiredAt.getTime()) } }];
      const changed = (await c.agents.updateOne(filter, update)).matchedCount > 0;
      const doc = await byId(tenantId, id);
      if (doc === null) return undefined;
      if (changed && after !== undefined) await after(doc);
      return { doc, changed };
    });

  const list = async (tenantId: string, filter: AgentFilter, page: Page): Promise<PageResult<AgentRecord>> => {
    const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const limit = clampLimit(page.limit);
    const now = new Date(filter.now.getTime());
    const base: Filter<AgentDoc> = { tenantId };
    if (filter.ownerId !== undefined) base.ownerId = filter.ownerId;
    if (filter.type !== undefined) base.type = filter.type;
    const conditions: Filter<AgentDoc>[] = [base];
    switch (filter.status) {
      case 'active':
        conditions.push({ status: 'active', $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] });
        break;
      case 'expired':
        conditions.push({ status: 'active', expiresAt: { $ne: null, $lte: now } });
        break;
      case 'revoked':
        conditions.push({ status: 'revoked' });
        break;
      case undefined:
        break;
    }
    if (cursor !== undefined) {
      const t = new Date(cursor.t);
      conditions.push({ $or: [{ createdAt: { $lt: t } }, { createdAt: t, id: { $lt: cursor.id } }] });
    }
    const docs = await c.agents
      .find(and(conditions))
      .sort({ createdAt: -1, id: -1 })
      .limit(limit + 1)
      .toArray();
    return pageOf(docs.map(agentFromDoc), limit, (a) => ({ t: a.createdAt.getTime(), id: a.id }));
  };

  return {
    create: (agent, quota, now) => guard(() => create(agent, quota, now), CONFLICT),
    get: (tenantId, id) =>
      guard(async () => {
        const doc = await byId(tenantId, id);
        return doc === null ? undefined : agentFromDoc(doc);
      }),
    getMany: (tenantId, ids) =>
      guard(async () => {
        const keys = uniqueIds(ids).map((id) => docKey(tenantId, id));
        if (keys.length === 0) return [];
        return (await c.agents.find({ _id: { $in: keys } }).toArray()).map(agentFromDoc);
      }),
    findByTokenHash: (tokenHash) =>
      guard(async () => {
        const doc = await c.agents.findOne({ tokenHash });
        return doc === null ? undefined : agentFromDoc(doc);
      }),
    list: (tenantId, filter, page) => guard(() => list(tenantId, filter, page)),
    update: (tenantId, id, patch) =>
      guard(async () => {
        const set: Partial<AgentDoc> = { updatedAt: new Date(patch.updatedAt.getTime()) };
        if (patch.name !== undefined) set.name = patch.name;
        if (patch.permissions !== undefined) set.permissions = JSON.stringify(patch.permissions);
        if (patch.metadata !== undefined) set.metadata = JSON.stringify(patch.metadata);
        if (patch.expiresAt !== undefined) {
          set.expiresAt = patch.expiresAt === null ? null : new Date(patch.expiresAt.getTime());
        }
        const after = patch.expiresAt === undefined ? undefined : syncQuota;
        const result = await writeThenRead(tenantId, id, { $set: set }, after, patch.unlessExpiredAt);
        return result === undefined ? undefined : agentFromDoc(result.doc);
      }),
    rotateToken: (tenantId, id, tokenHash, tokenPrefix, at) =>
      guard(async () => {
        const set = { tokenHash, tokenPrefix, updatedAt: new Date(at.getTime()) };
        const result = await writeThenRead(tenantId, id, { $set: set });
        return result === undefined ? undefined : agentFromDoc(result.doc);
      }, CONFLICT),
    revoke: (tenantId, id, at) =>
      guard(async () => {
        // The quota is given back only after the agent reads as revoked, so it never frees early.
        const result = await writeThenRead(
          tenantId,
          id,
          { $set: { status: 'revoked', revokedAt: new Date(at.getTime()) } },
          async (doc) => {
            await c.agentQuota.updateMany({ tenantId, ownerId: doc.ownerId, agentId: id }, { $set: { released: true } });
          },
        );
        return result === undefined ? undefined : { agent: agentFromDoc(result.doc), changed: result.changed };
      }),
  };
}
