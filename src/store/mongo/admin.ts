/** The global admin credential on the mongo engine: one document, no tenant (it spans them all). */
import type { AdminStore } from '../store.js';
import { insertOnce, type Guard } from './driver.js';
import type { Collections } from './schema.js';

export function createAdminStore(c: Collections, guard: Guard): AdminStore {
  return {
    getAdminTokenHash: () => guard(async () => (await c.admin.findOne({ _id: 'admin' }))?.tokenHash),
    // The unique `_id` makes "first writer wins" one atomic insert, across every replica.
    setAdminTokenHashIfAbsent: (hash) =>
      guard(() => insertOnce((d) => c.admin.insertOne(d), { _id: 'admin' as const, tokenHash: hash })),
  };
}
