/** Users on the mongo engine. */
import type { UserStore } from '../store.js';
import { docKey, userFromDoc, userToDoc } from './codec.js';
import type { Guard } from './driver.js';
import type { Collections } from './schema.js';

export function createUserStore(c: Collections, guard: Guard): UserStore {
  return {
    // `_id` (tenant, id) and the unique (tenantId, email) index refuse duplicates.
    create: (user) =>
      guard(async () => {
        await c.users.insertOne(userToDoc(user));
      }, 'a user with this email or id'),
    getByEmail: (tenantId, email) =>
      guard(async () => {
        const doc = await c.users.findOne({ tenantId, email });
        return doc === null ? undefined : userFromDoc(doc);
      }),
    get: (tenantId, id) =>
      guard(async () => {
        const doc = await c.users.findOne({ _id: docKey(tenantId, id) });
        return doc === null ? undefined : userFromDoc(doc);
      }),
    setPasswordHash: (tenantId, id, passwordHash) =>
      guard(async () => {
        const result = await c.users.updateOne({ _id: docKey(tenantId, id) }, { $set: { passwordHash } });
        return result.matchedCount > 0;
      }),
  };
}
