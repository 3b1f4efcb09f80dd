/**
 * Sessions on the mongo engine.
 *
 * The end of a session is its own document in `session_ends`, inserted once. `touch` rewrites
 * the session document, and on FerretDB an update rewrites the whole document from what it read
 * moments before; an `endedAt` kept in the same document could be lost to a concurrent touch
 * and the session would come back to life. An insert cannot be undone that way, and its unique
 * `_id` makes "ends once" exact.
 */
import type { SessionRecord } from '../../domain/records.js';
import type { SessionStore } from '../store.js';
import { docKey, sessionEndToDoc, sessionFromDoc, sessionToDoc } from './codec.js';
import { insertOnce, type Guard } from './driver.js';
import type { Collections } from './schema.js';

export function createSessionStore(c: Collections, guard: Guard): SessionStore {
  /** Inserts the end of a session; false when it had ended already. */
  const insertEnd = (s: { tenantId: string; id: string; userId: string }, at: Date): Promise<boolean> =>
    insertOnce((d) => c.sessionEnds.insertOne(d), sessionEndToDoc(s, at));

  const create = async (session: SessionRecord): Promise<void> => {
    await c.sessions.insertOne(sessionToDoc(session));
    if (session.endedAt !== undefined) await insertEnd(session, session.endedAt);
  };

  return {
    create: (session) => guard(() => create(session), 'a session with this id or token'),
    findByTokenHash: (tokenHash) =>
      guard(async () => {
        const doc = await c.sessions.findOne({ tokenHash });
        if (doc === null) return undefined;
        return sessionFromDoc(doc, await c.sessionEnds.findOne({ _id: doc._id }));
      }),
    get: (tenantId, id) =>
      guard(async () => {
        const key = docKey(tenantId, id);
        const [doc, end] = await Promise.all([c.sessions.findOne({ _id: key }), c.sessionEnds.findOne({ _id: key })]);
        return doc === null ? undefined : sessionFromDoc(doc, end);
      }),
    touch: (tenantId, id, lastUsedAt, idleExpiresAt) =>
      guard(async () => {
        const key = docKey(tenantId, id);
        if ((await c.sessionEnds.countDocuments({ _id: key }, { limit: 1 })) > 0) return false;
        const result = await c.sessions.updateOne(
          { _id: key },
          { $set: { lastUsedAt: new Date(lastUsedAt.getTime()), idleExpiresAt: new Date(idleExpiresAt.getTime()) } },
        );
        return result.matchedCount > 0;
      }),
    end: (tenantId, id, at) =>
      guard(async () => {
        const doc = await c.sessions.findOne({ _id: docKey(tenantId, id) }, { projection: { userId: 1 } });
        if (doc === null) return false;
        return insertEnd({ tenantId, id, userId: doc.userId }, at);
      }),
    endAllForUser: (tenantId, userId, at) =>
      guard(async () => {
        const sessions = await c.sessions.find({ tenantId, userId }, { projection: { id: 1 } }).toArray();
        const ended = new Set(
          (await c.sessionEnds.find({ tenantId, userId }, { projection: { _id: 1 } }).toArray()).map((e) => e._id),
        );
        const live = sessions.filter((s) => !ended.has(s._id));
        // Each insert decides for its session; one that lost a race to another end is not counted.
        const results = await Promise.all(live.map((s) => insertEnd({ tenantId, id: s.id, userId }, at)));
        return results.filter(Boolean).length;
      }),
  };
}
