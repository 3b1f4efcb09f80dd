import { describe, expect, it } from 'vitest';
import { loadCommonPasswords } from '../../../../src/app/auth/common-passwords.js';
import { normalizeEmail } from '../../../../src/app/auth/email.js';
import { DEFAULT_PASSWORD_PARAMS, createPasswordHasher } from '../../../../src/app/auth/passwords.js';
import { EMAIL_BACKOFF, IP_BACKOFF, backoffMs } from '../../../../src/app/auth/throttle.js';

const cheap = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

describe('password hashing', () => {
  it('verifies the right password only, and stores its parameters in the hash', async () => {
    const stored = await cheap.hash('a long passphrase');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(await cheap.verify(stored, 'a long passphrase')).toBe(true);
    expect(await cheap.verify(stored, 'a long passphrasE')).toBe(false);
    expect(await cheap.verifyDummy('a long passphrase')).toBe(false);
  });

  it('treats a corrupt stored hash as a wrong password, and as due for a re-hash', async () => {
    expect(await cheap.verify('not-a-hash', 'whatever')).toBe(false);
    expect(cheap.needsRehash('not-a-hash')).toBe(true);
  });

  it('wants a re-hash exactly when the parameters differ from the current ones', async () => {
    const stored = await cheap.hash('a long passphrase');
    expect(cheap.needsRehash(stored)).toBe(false);
    expect(createPasswordHasher({ memoryCost: 2048, timeCost: 1, parallelism: 1 }).needsRehash(stored)).toBe(true);
    expect(createPasswordHasher({ memoryCost: 1024, timeCost: 2, parallelism: 1 }).needsRehash(stored)).toBe(true);
  });

  it('normalises Unicode, so composed and decomposed input is the same password', async () => {
    const stored = await cheap.hash('caf\u00e9 au lait please');
    expect(await cheap.verify(stored, 'cafe\u0301 au lait please')).toBe(true);
  });

  it('uses at least the OWASP minimum for argon2id in production', () => {
    expect(DEFAULT_PASSWORD_PARAMS.memoryCost).toBeGreaterThanOrEqual(19_456);
    expect(DEFAULT_PASSWORD_PARAMS.timeCost).toBeGreaterThanOrEqual(2);
  });
});

describe('email normal form', () => {
  it.each([
    ['Ann@Example.COM', 'ann@example.com'],
    ['  bob+tag@sub.example.org ', 'bob+tag@sub.example.org'],
    ["o'neil@example.ie", "o'neil@example.ie"],
  ])('%j becomes %j', (input, normal) => {
    expect(normalizeEmail(input)).toBe(normal);
  });
});

describe('sign-in backoff', () => {
  it.each([
    [1, 0],
    [5, 0],
    [6, 1000],
    [7, 2000],
    [8, 4000],
    [15, 512_000],
    [16, 900_000],
    [1000, 900_000],
  ])('after %i email failures waits %i ms', (failures, ms) => {
    expect(backoffMs(EMAIL_BACKOFF, failures)).toBe(ms);
  });

  it('allows more failures per IP than per email', () => {
    expect(backoffMs(IP_BACKOFF, 20)).toBe(0);
    expect(backoffMs(IP_BACKOFF, 21)).toBe(1000);
  });
});

describe('the common-password list', () => {
  it('holds at least 10,000 lower-cased passwords', () => {
    const list = loadCommonPasswords();
    expect(list.size).toBeGreaterThanOrEqual(10_000);
    for (const p of ['password', '12345678', 'iloveyou', 'qwertyuiop', 'password1']) expect(list.has(p)).toBe(true);
    expect([...list].every((p) => p === p.toLowerCase())).toBe(true);
  });
});
