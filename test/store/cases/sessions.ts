/** SessionStore cases: lookup by token hash and by id, touch, end, end-all, isolation. */
import { expect, it } from 'vitest';
import { aSession, randomId } from '../../support/builders.js';
import { at, expectKavachError, HOUR, MINUTE, type StoreUnderTest } from '../contract-support.js';

export function sessionCases(store: StoreUnderTest): void {
  it('finds a session by its token hash, with its tenant, from no tenant at all', async () => {
    const session = aSession({ createdAt: at(123) });
    await store().sessions.create(session);
    const found = await store().sessions.findByTokenHash(session.tokenHash);
    expect(found).toEqual(session);
    expect(found?.tenantId).toBe(session.tenantId);
    expect(found?.endedAt).toBeUndefined();
  });

  it('returns undefined for an unknown session token hash', async () => {
    await store().sessions.create(aSession());
    expect(await store().sessions.findByTokenHash('0'.repeat(64))).toBeUndefined();
  });

  it('gets a session by its id in its tenant, and never from another tenant', async () => {
    const session = aSession({ createdAt: at(7) });
    await store().sessions.create(session);
    expect(await store().sessions.get(session.tenantId, session.id)).toEqual(session);
    expect(await store().sessions.get(randomId('ten'), session.id)).toBeUndefined();
    expect(await store().sessions.get(session.tenantId, randomId('ses'))).toBeUndefined();
  });

  it('gets an ended session by id with its end time, and a touched one with its new times', async () => {
    const ended = aSession({ createdAt: at(0) });
    const touched = aSession({ createdAt: at(0), tenantId: ended.tenantId, userId: ended.userId });
    await store().sessions.create(ended);
    await store().sessions.create(touched);
    expect(await store().sessions.end(ended.tenantId, ended.id, at(MINUTE))).toBe(true);
    expect(await store().sessions.touch(touched.tenantId, touched.id, at(2 * MINUTE), at(HOUR))).toBe(true);
    expect(await store().sessions.get(ended.tenantId, ended.id)).toEqual({ ...ended, endedAt: at(MINUTE) });
    expect(await store().sessions.get(touched.tenantId, touched.id)).toEqual({
      ...touched,
      lastUsedAt: at(2 * MINUTE),
      idleExpiresAt: at(HOUR),
    });
  });

  it('gets a session created already ended with its end time', async () => {
    const session = aSession({ createdAt: at(0), endedAt: at(5) });
    await store().sessions.create(session);
    expect(await store().sessions.get(session.tenantId, session.id)).toEqual(session);
  });

  it('refuses a second session with the same id', async () => {
    const session = aSession();
    await store().sessions.create(session);
    await expectKavachError(
      store().sessions.create(aSession({ id: session.id, tenantId: session.tenantId })),
      'already_exists',
    );
  });

  it('refuses a second session with the same token hash, even in another tenant', async () => {
    const session = aSession();
    await store().sessions.create(session);
    await expectKavachError(store().sessions.create(aSession({ tokenHash: session.tokenHash })), 'already_exists');
    expect(await store().sessions.findByTokenHash(session.tokenHash)).toEqual(session);
  });

  it('records a use by moving lastUsedAt and idleExpiresAt only', async () => {
    const session = aSession({ createdAt: at(0) });
    await store().sessions.create(session);
    expect(await store().sessions.touch(session.tenantId, session.id, at(5 * MINUTE), at(HOUR + 5 * MINUTE))).toBe(true);
    expect(await store().sessions.findByTokenHash(session.tokenHash)).toEqual({
      ...session,
      lastUsedAt: at(5 * MINUTE),
      idleExpiresAt: at(HOUR + 5 * MINUTE),
    });
  });

  it('does not touch a missing session or one in another tenant', async () => {
    const session = aSession();
    await store().sessions.create(session);
    expect(await store().sessions.touch(session.tenantId, randomId('ses'), at(1), at(2))).toBe(false);
    expect(await store().sessions.touch(randomId('ten'), session.id, at(1), at(2))).toBe(false);
    expect(await store().sessions.findByTokenHash(session.tokenHash)).toEqual(session);
  });

  it('ends a session once, keeping it findable with its end time', async () => {
    const session = aSession({ createdAt: at(0) });
    await store().sessions.create(session);
    expect(await store().sessions.end(session.tenantId, session.id, at(MINUTE))).toBe(true);
    expect(await store().sessions.findByTokenHash(session.tokenHash)).toEqual({ ...session, endedAt: at(MINUTE) });
  });

  it('reports false when ending a session that already ended, and keeps the first end time', async () => {
    const session = aSession({ createdAt: at(0) });
    await store().sessions.create(session);
    await store().sessions.end(session.tenantId, session.id, at(MINUTE));
    expect(await store().sessions.end(session.tenantId, session.id, at(2 * MINUTE))).toBe(false);
    expect((await store().sessions.findByTokenHash(session.tokenHash))?.endedAt).toEqual(at(MINUTE));
  });

  it('never touches an ended session again', async () => {
    const session = aSession({ createdAt: at(0) });
    await store().sessions.create(session);
    await store().sessions.end(session.tenantId, session.id, at(MINUTE));
    expect(await store().sessions.touch(session.tenantId, session.id, at(2 * MINUTE), at(HOUR))).toBe(false);
    const found = await store().sessions.findByTokenHash(session.tokenHash);
    expect(found?.lastUsedAt).toEqual(session.lastUsedAt);
    expect(found?.idleExpiresAt).toEqual(session.idleExpiresAt);
  });

  it('does not end a missing session or one in another tenant', async () => {
    const session = aSession();
    await store().sessions.create(session);
    expect(await store().sessions.end(session.tenantId, randomId('ses'), at(1))).toBe(false);
    expect(await store().sessions.end(randomId('ten'), session.id, at(1))).toBe(false);
    expect((await store().sessions.findByTokenHash(session.tokenHash))?.endedAt).toBeUndefined();
  });

  it("ends every live session of one user and counts only those it ended", async () => {
    const tenantId = randomId('ten');
    const userId = randomId('usr');
    const live = [aSession({ tenantId, userId }), aSession({ tenantId, userId })];
    const ended = aSession({ tenantId, userId });
    const otherUser = aSession({ tenantId });
    const otherTenant = aSession({ userId });
    for (const s of [...live, ended, otherUser, otherTenant]) await store().sessions.create(s);
    await store().sessions.end(tenantId, ended.id, at(MINUTE));

    expect(await store().sessions.endAllForUser(tenantId, userId, at(HOUR))).toBe(2);

    for (const s of live) expect((await store().sessions.findByTokenHash(s.tokenHash))?.endedAt).toEqual(at(HOUR));
    expect((await store().sessions.findByTokenHash(ended.tokenHash))?.endedAt).toEqual(at(MINUTE));
    expect((await store().sessions.findByTokenHash(otherUser.tokenHash))?.endedAt).toBeUndefined();
    expect((await store().sessions.findByTokenHash(otherTenant.tokenHash))?.endedAt).toBeUndefined();
    expect(await store().sessions.endAllForUser(tenantId, userId, at(2 * HOUR))).toBe(0);
  });

  it('returns fresh session objects that do not write through to the store', async () => {
    const session = aSession();
    await store().sessions.create(session);
    const first = await store().sessions.findByTokenHash(session.tokenHash);
    first?.lastUsedAt.setTime(0);
    (first as { userId: string }).userId = 'mutated';
    expect(await store().sessions.findByTokenHash(session.tokenHash)).toEqual(session);
  });
}
