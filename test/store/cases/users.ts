/** UserStore cases: unique email per tenant, exact lookups, password re-hash, isolation. */
import { expect, it } from 'vitest';
import { aUser, randomId } from '../../support/builders.js';
import { expectKavachError, type StoreUnderTest } from '../contract-support.js';

export function userCases(store: StoreUnderTest): void {
  it('reads a created user back by id and by email, exactly as written', async () => {
    const user = aUser({ createdAt: new Date('2026-02-03T04:05:06.789Z') });
    await store().users.create(user);
    expect(await store().users.get(user.tenantId, user.id)).toEqual(user);
    const byEmail = await store().users.getByEmail(user.tenantId, user.email);
    expect(byEmail).toEqual(user);
    expect(byEmail?.createdAt).toBeInstanceOf(Date);
  });

  it('returns undefined for a user id or email that does not exist', async () => {
    const user = aUser();
    await store().users.create(user);
    expect(await store().users.get(user.tenantId, randomId('usr'))).toBeUndefined();
    expect(await store().users.getByEmail(user.tenantId, 'nobody@example.com')).toBeUndefined();
  });

  it('matches emails exactly, without folding case', async () => {
    const user = aUser({ email: 'ada@example.com' });
    await store().users.create(user);
    expect(await store().users.getByEmail(user.tenantId, 'ADA@example.com')).toBeUndefined();
    expect(await store().users.getByEmail(user.tenantId, 'ada@example.co')).toBeUndefined();
  });

  it('refuses a second user with the same email in a tenant', async () => {
    const user = aUser();
    await store().users.create(user);
    await expectKavachError(
      store().users.create(aUser({ tenantId: user.tenantId, email: user.email })),
      'already_exists',
    );
  });

  it('refuses a second user with the same id in a tenant', async () => {
    const user = aUser();
    await store().users.create(user);
    await expectKavachError(store().users.create(aUser({ tenantId: user.tenantId, id: user.id })), 'already_exists');
  });

  it('allows the same email in two tenants', async () => {
    const a = aUser({ email: 'same@example.com' });
    const b = aUser({ email: 'same@example.com' });
    await store().users.create(a);
    await store().users.create(b);
    expect(await store().users.getByEmail(a.tenantId, a.email)).toEqual(a);
    expect(await store().users.getByEmail(b.tenantId, b.email)).toEqual(b);
  });

  it("hides a tenant's users from every other tenant", async () => {
    const user = aUser();
    const otherTenant = randomId('ten');
    await store().users.create(user);
    expect(await store().users.get(otherTenant, user.id)).toBeUndefined();
    expect(await store().users.getByEmail(otherTenant, user.email)).toBeUndefined();
    expect(await store().users.setPasswordHash(otherTenant, user.id, '$other')).toBe(false);
    expect(await store().users.get(user.tenantId, user.id)).toEqual(user);
  });

  it('replaces the password hash and leaves the rest of the user alone', async () => {
    const user = aUser();
    await store().users.create(user);
    expect(await store().users.setPasswordHash(user.tenantId, user.id, '$argon2id$new')).toBe(true);
    expect(await store().users.get(user.tenantId, user.id)).toEqual({ ...user, passwordHash: '$argon2id$new' });
  });

  it('reports false when setting the password hash of a missing user', async () => {
    expect(await store().users.setPasswordHash(randomId('ten'), randomId('usr'), '$x')).toBe(false);
  });

  it('returns fresh user objects that do not write through to the store', async () => {
    const user = aUser();
    await store().users.create(user);
    const first = await store().users.get(user.tenantId, user.id);
    expect(first).toBeDefined();
    (first as { name: string }).name = 'mutated';
    first?.createdAt.setTime(0);
    expect(await store().users.get(user.tenantId, user.id)).toEqual(user);
  });
}
