import { parseOptions } from '@node-rs/argon2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SESSION_TOKEN_PREFIX, hasTokenShape, sha256Hex } from '../../../../src/app/auth/secrets.js';
import { IDLE_SECONDS, TTL_SECONDS, anonymous, from, rejection, startHarness, type Harness } from './auth-harness.js';

const PASSWORD = 'correct horse battery staple';
const HOME = from('198.51.100.7');
let h: Harness;

beforeEach(() => {
  h = startHarness();
});
afterEach(async () => {
  await h.close();
});

const signUp = (email: string, password = PASSWORD, name = '') => h.auth.signUp(anonymous, HOME, { email, password, name });
const signIn = (email: string, password = PASSWORD, meta = HOME) => h.auth.signIn(anonymous, meta, { email, password });

describe('sign-up', () => {
  it('creates a user in the default tenant with a session, and normalises the email', async () => {
    const { user, session, token } = await signUp('  Ann@Example.COM ', PASSWORD, 'Ann');
    expect(user).toMatchObject({ tenantId: 'default', email: 'ann@example.com', name: 'Ann' });
    expect(user).not.toHaveProperty('passwordHash');
    expect(session).not.toHaveProperty('tokenHash');
    expect(session).toMatchObject({ userId: user.id, tenantId: 'default' });
    expect(hasTokenShape(token, SESSION_TOKEN_PREFIX)).toBe(true);
    expect(await h.principalOf(token)).toEqual({ kind: 'user', tenantId: 'default', userId: user.id, sessionId: session.id });
    const stored = await h.store.users.get('default', user.id);
    expect(parseOptions(stored?.passwordHash ?? '')).toMatchObject({ algorithm: 2, memoryCost: 1024, timeCost: 1 });
  });

  it('refuses a duplicate email whatever its case', async () => {
    await signUp('bob@example.com');
    expect((await rejection(signUp('BOB@example.com', 'another fine password'))).kind).toBe('already_exists');
  });

  it.each([
    ['', 'is required'],
    ['not-an-email', 'email address'],
    ['a@', 'email address'],
    ['@example.com', 'email address'],
    ['a b@example.com', 'email address'],
    ['a@-example.com', 'email address'],
    [`${'a'.repeat(65)}@example.com`, 'at most 64'],
    [`a@${'b'.repeat(250)}.com`, 'at most 254'],
  ])('refuses the email %j', async (email, problem) => {
    const err = await rejection(signUp(email));
    expect(err).toMatchObject({ kind: 'invalid_argument', field: 'email' });
    expect(err.message).toContain(problem);
  });

  it.each([
    ['seven77', '8 to 128'],
    ['x'.repeat(129), '8 to 128'],
    ['🔑'.repeat(129), '8 to 128'],
    ['password123', 'too common'],
    ['PassWord123', 'too common'],
    ['carol-the-user', 'email'],
  ])('refuses the weak password %j', async (password, problem) => {
    const err = await rejection(h.auth.signUp(anonymous, HOME, { email: 'carol-the-user@example.com', password, name: '' }));
    expect(err).toMatchObject({ kind: 'invalid_argument', field: 'password' });
    expect(err.message).toContain(problem);
    expect(err.message).not.toContain(password);
  });

  it('counts characters, not UTF-16 units: eight emoji are a valid password', async () => {
    const { user } = await signUp('dan@example.com', '🔑'.repeat(8));
    expect((await signIn('dan@example.com', '🔑'.repeat(8))).user.id).toBe(user.id);
  });

  it('with the admin credential, creates the user in the tenant the admin named', async () => {
    const { user } = await h.auth.signUp({ kind: 'admin', tenantId: 'acme' }, HOME, { email: 'eve@acme.io', password: PASSWORD, name: '' });
    expect(user.tenantId).toBe('acme');
    expect(await h.store.users.getByEmail('default', 'eve@acme.io')).toBeUndefined();
    expect((await h.auditEntries('acme')).map((e) => [e.action, e.actor.kind])).toEqual([['auth.sign_up', 'admin']]);
  });

  it('refuses user and agent credentials', async () => {
    const { user, session } = await signUp('fay@example.com');
    const asUser = { kind: 'user', tenantId: 'default', userId: user.id, sessionId: session.id } as const;
    const asAgent = { kind: 'agent', tenantId: 'default', agentId: 'agt_1', ownerId: user.id } as const;
    for (const caller of [asUser, asAgent]) {
      const err = await rejection(h.auth.signUp(caller, HOME, { email: 'new@example.com', password: PASSWORD, name: '' }));
      expect(err.kind).toBe('permission_denied');
    }
  });
});

describe('sign-in', () => {
  it('returns the user and a new session', async () => {
    const first = await signUp('gus@example.com');
    const second = await signIn('GUS@example.com');
    expect(second.user.id).toBe(first.user.id);
    expect(second.session.id).not.toBe(first.session.id);
    expect(second.token).not.toBe(first.token);
    const entry = (await h.auditEntries()).find((e) => e.action === 'auth.sign_in');
    expect(entry).toMatchObject({ result: 'allowed', ownerId: first.user.id, actor: { kind: 'user', id: first.user.id } });
  });

  it('gives an unknown email and a wrong password the same error, after a verification each', async () => {
    const { user } = await signUp('hal@example.com');
    const before = { ...h.calls };
    const wrong = await rejection(signIn('hal@example.com', 'not the password'));
    const unknown = await rejection(signIn('nobody@example.com', 'not the password'));
    expect([wrong.kind, wrong.message]).toEqual([unknown.kind, unknown.message]);
    expect(wrong.kind).toBe('unauthenticated');
    expect(h.calls.verify - before.verify).toBe(1);
    expect(h.calls.verifyDummy - before.verifyDummy).toBe(1);
    const denied = (await h.auditEntries()).filter((e) => e.action === 'auth.sign_in' && e.result === 'denied');
    expect(denied.map((e) => e.ownerId).sort()).toEqual(['', user.id].sort());
  });

  it('re-hashes a password made with older parameters at the next sign-in', async () => {
    const { user } = await signUp('ida@example.com');
    const stronger = h.withParams({ memoryCost: 2048, timeCost: 2, parallelism: 1 });
    await stronger.signIn(anonymous, HOME, { email: 'ida@example.com', password: PASSWORD });
    const stored = await h.store.users.get('default', user.id);
    expect(parseOptions(stored?.passwordHash ?? '')).toMatchObject({ memoryCost: 2048, timeCost: 2 });
    expect((await stronger.signIn(anonymous, HOME, { email: 'ida@example.com', password: PASSWORD })).user.id).toBe(user.id);
    expect(h.logs.some((line) => line.includes('re-hashed'))).toBe(true);
  });
});

describe('throttling', () => {
  it('lets five failures through, then backs off 1 s, 2 s… and recovers as the clock moves', async () => {
    await signUp('jo@example.com');
    for (let i = 0; i < 6; i++) expect((await rejection(signIn('jo@example.com', 'wrong password'))).kind).toBe('unauthenticated');
    // Blocked now, even with the right password, and without hashing it.
    const verifies = h.calls.verify;
    expect(await rejection(signIn('jo@example.com'))).toMatchObject({ kind: 'resource_exhausted', retryAfterSeconds: 1 });
    expect(h.calls.verify).toBe(verifies);
    h.advance(1000);
    expect((await rejection(signIn('jo@example.com', 'wrong password'))).kind).toBe('unauthenticated');
    expect(await rejection(signIn('jo@example.com'))).toMatchObject({ kind: 'resource_exhausted', retryAfterSeconds: 2 });
    h.advance(2000);
    await signIn('jo@example.com');
    // The success reset the email: five free failures again.
    for (let i = 0; i < 5; i++) expect((await rejection(signIn('jo@example.com', 'wrong password'))).kind).toBe('unauthenticated');
    const limited = (await h.auditEntries()).filter((e) => e.result === 'rate_limited');
    expect(limited).toHaveLength(2);
    expect(limited[0]).toMatchObject({ action: 'auth.sign_in', reason: 'RATE_LIMITED', clientIp: '198.51.100.7' });
  });

  it('throttles an unknown email exactly like a known one', async () => {
    for (let i = 0; i < 6; i++) await rejection(signIn('ghost@example.com', 'wrong password'));
    expect((await rejection(signIn('ghost@example.com', 'wrong password'))).kind).toBe('resource_exhausted');
  });

  it('a parallel burst of guesses cannot get past the free failures', async () => {
    await signUp('kim@example.com');
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => signIn('kim@example.com', 'guess guess')));
    const kinds = results.map((r) => (r.status === 'rejected' ? (r.reason as { kind: string }).kind : 'ok'));
    expect(kinds.filter((k) => k === 'unauthenticated')).toHaveLength(6);
    expect(kinds.filter((k) => k === 'resource_exhausted')).toHaveLength(6);
  });

  it('throttles one client IP across many emails, and a success does not clear it', async () => {
    await signUp('lee@example.com');
    const attacker = from('203.0.113.9');
    for (let i = 0; i < 21; i++) await rejection(signIn(`victim${i}@example.com`, 'wrong password', attacker));
    expect((await rejection(signIn('lee@example.com', PASSWORD, attacker))).kind).toBe('resource_exhausted');
    expect((await signIn('lee@example.com', PASSWORD, from('198.51.100.8'))).user.email).toBe('lee@example.com');
    h.advance(1000);
    await signIn('lee@example.com', PASSWORD, attacker);
    expect((await rejection(signIn('victim0@example.com', 'wrong password', attacker))).kind).toBe('unauthenticated');
    expect((await rejection(signIn('lee@example.com', PASSWORD, attacker))).kind).toBe('resource_exhausted');
  });

  it('counts IPv6 clients per /64', async () => {
    for (let i = 0; i < 21; i++) await rejection(signIn(`v6-${i}@example.com`, 'wrong password', from(`2001:db8:0:1::${i + 1}`)));
    expect((await rejection(signIn('other@example.com', 'x-wrong-x', from('2001:db8:0:1:ffff::1')))).kind).toBe('resource_exhausted');
    expect((await rejection(signIn('other@example.com', 'x-wrong-x', from('2001:db8:0:2::1')))).kind).toBe('unauthenticated');
  });
});

describe('sessions', () => {
  it('end after the idle timeout unless used, and after the absolute lifetime regardless', async () => {
    const { token } = await signUp('mo@example.com');
    h.advance((IDLE_SECONDS - 60) * 1000);
    await h.principalOf(token); // a use slides the idle timeout
    h.advance((IDLE_SECONDS - 60) * 1000);
    expect((await h.principalOf(token)).kind).toBe('user');
    h.advance(IDLE_SECONDS * 1000);
    expect((await rejection(h.principalOf(token))).kind).toBe('unauthenticated');

    const other = await signIn('mo@example.com');
    for (let elapsed = 300; elapsed < TTL_SECONDS; elapsed += 300) {
      h.advance(300_000);
      await h.principalOf(other.token);
    }
    // Last used 300 s before the end of its lifetime: the idle timeout alone would allow 300 s more.
    h.advance(299_000);
    expect((await h.principalOf(other.token)).kind).toBe('user');
    h.advance(1000);
    expect((await rejection(h.principalOf(other.token))).kind).toBe('unauthenticated');
    expect((await rejection(h.auth.getSession({ kind: 'admin', tenantId: 'default' }, other.token))).kind).toBe('not_found');
  });

  it('GetSession returns the caller’s own session, or the one behind a given token, never a token', async () => {
    const { user, session, token } = await signUp('ned@example.com');
    const caller = await h.principalOf(token);
    const own = await h.auth.getSession(caller, '');
    expect(own.session.id).toBe(session.id);
    expect(own.user.id).toBe(user.id);
    const byAdmin = await h.auth.getSession({ kind: 'admin', tenantId: 'default' }, token);
    expect(byAdmin.session.id).toBe(session.id);
    const text = JSON.stringify(own);
    expect(text).not.toContain(token);
    expect(text).not.toContain(sha256Hex(token));
    expect(byAdmin.session).not.toHaveProperty('tokenHash');
    expect(await rejection(h.auth.getSession(caller, 'kvs_short'))).toMatchObject({ kind: 'invalid_argument', field: 'session_token' });
    expect((await rejection(h.auth.getSession({ kind: 'admin', tenantId: 'default' }, ''))).kind).toBe('invalid_argument');
  });

  it('GetSession by the admin honours its tenant: another tenant’s session is not found', async () => {
    const { session, token } = await signUp('tess@example.com');
    expect(session.tenantId).toBe('default');
    const elsewhere = await rejection(h.auth.getSession({ kind: 'admin', tenantId: 'acme' }, token));
    expect(elsewhere).toMatchObject({ kind: 'not_found', message: 'no live session has this token' });
    expect((await h.auth.getSession({ kind: 'admin', tenantId: 'default' }, token)).session.id).toBe(session.id);
    // A user of another tenant holding the token cannot read it either.
    const stranger = { kind: 'user', tenantId: 'acme', userId: 'usr_x', sessionId: 'ses_x' } as const;
    expect((await rejection(h.auth.getSession(stranger, token))).kind).toBe('not_found');
  });

  it('GetSession of the caller’s own session reads it by the id its principal names', async () => {
    const { session, token } = await signUp('ida@example.com');
    const caller = await h.principalOf(token);
    expect(caller).toMatchObject({ kind: 'user', sessionId: session.id });
    expect((await h.auth.getSession(caller, '')).session.id).toBe(session.id);
    await h.auth.signOut(caller, false);
    // The principal outlived its session (resolved before sign-out): the read by id says so.
    expect((await rejection(h.auth.getSession(caller, ''))).kind).toBe('unauthenticated');
  });

  it('SignOut ends the caller’s session only; with all, every session of the user', async () => {
    await signUp('ola@example.com');
    const [a, b, c] = [await signIn('ola@example.com'), await signIn('ola@example.com'), await signIn('ola@example.com')];
    expect(await h.auth.signOut(await h.principalOf(a.token), false)).toBe(1);
    expect((await rejection(h.principalOf(a.token))).kind).toBe('unauthenticated');
    expect((await h.principalOf(b.token)).kind).toBe('user');
    expect(await h.auth.signOut(await h.principalOf(b.token), true)).toBe(3); // b, c and the sign-up session
    for (const t of [b.token, c.token]) expect((await rejection(h.principalOf(t))).kind).toBe('unauthenticated');
    expect((await h.auditEntries()).filter((e) => e.action === 'auth.sign_out')).toHaveLength(2);
    expect((await rejection(h.auth.signOut({ kind: 'admin', tenantId: 'default' }, true))).kind).toBe('failed_precondition');
  });
});

describe('secrets', () => {
  it('no password, password hash or token appears in any audit entry or log line', async () => {
    const secrets: string[] = ['typed-into-the-email-field', PASSWORD, 'wrong password 1'];
    const signedUp = await signUp('pat@example.com');
    await h.auth.signUp({ kind: 'admin', tenantId: 'acme' }, HOME, { email: 'pat@acme.io', password: PASSWORD, name: '' });
    await rejection(signIn('typed-into-the-email-field@example.com', PASSWORD));
    for (let i = 0; i < 7; i++) await rejection(signIn('pat@example.com', 'wrong password 1'));
    h.advance(60_000);
    const signedIn = await h.withParams({ memoryCost: 2048, timeCost: 1, parallelism: 1 }).signIn(anonymous, HOME, {
      email: 'pat@example.com',
      password: PASSWORD,
    });
    await h.auth.signOut(await h.principalOf(signedIn.token), true);
    await rejection(h.principalOf(signedUp.token)); // audited as a rejected token
    for (const t of [signedUp.token, signedIn.token]) secrets.push(t, sha256Hex(t), t.slice(4));
    const user = await h.store.users.getByEmail('default', 'pat@example.com');
    expect(user?.passwordHash).toMatch(/^\$argon2id\$/);
    secrets.push(user?.passwordHash ?? '');

    const audit = JSON.stringify([...(await h.auditEntries()), ...(await h.auditEntries('acme'))]);
    expect(audit).toContain('auth.sign_out');
    expect(h.logs.length).toBeGreaterThan(0);
    const logs = h.logs.join('\n');
    for (const secret of secrets) {
      expect(audit).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toContain('$argon2id$');
    expect(audit).not.toContain('$argon2id$');
  });
});
