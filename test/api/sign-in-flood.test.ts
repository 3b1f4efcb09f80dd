/**
 * A flood of throttled sign-ins (issue 11 item 6): the throttle refuses them without a
 * credential, so each refusal must not cost an audit entry. They are capped per source exactly
 * like rejected tokens: the limit one by one, the rest counted in one summary.
 */
import { Code } from '@connectrpc/connect';
import { describe, expect, it, vi } from 'vitest';
import { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import { codeOf, useInProcess } from './given.js';

const ATTEMPTS = 3000;
const LIMIT = 5;
const PEER = '192.0.2.77';

describe('a flood of throttled sign-ins from one address', () => {
  const env = useInProcess({ KAVACH_REJECTION_AUDITS_PER_MINUTE: String(LIMIT) });

  it(`answers every one ResourceExhausted but audits at most ${LIMIT} a minute, then one summary`, async () => {
    const auth = env().client(AuthService, undefined, { 'x-test-peer-ip': PEER });
    const throttledEntries = async () =>
      (await env().store.audit.query('default', { actions: ['auth.sign_in'] }, { limit: 5000 })).items.filter(
        (e) => e.clientIp === PEER && e.result === 'rate_limited',
      );
    const attempt = () => codeOf(auth.signIn({ email: 'flood@example.com', password: 'not the password' }));

    // The free failures, then the throttle refuses every attempt (the clock does not move).
    let codes: Code[] = [];
    for (let i = 0; i < ATTEMPTS; i++) codes.push(await attempt());
    const refused = codes.filter((c) => c === Code.ResourceExhausted).length;
    expect(refused).toBeGreaterThan(ATTEMPTS - 10);
    expect(codes.filter((c) => c !== Code.ResourceExhausted).every((c) => c === Code.Unauthenticated)).toBe(true);
    await vi.waitFor(async () => expect(await throttledEntries()).toHaveLength(LIMIT));
    expect((await throttledEntries())[0]).toMatchObject({ action: 'auth.sign_in', reason: 'RATE_LIMITED', result: 'rate_limited' });

    // The next minute: the first throttled attempt in it writes the last minute's summary.
    env().clock.advance(61_000);
    codes = [];
    while (!codes.includes(Code.ResourceExhausted)) codes.push(await attempt());
    await vi.waitFor(async () => expect(await throttledEntries()).toHaveLength(LIMIT + 2));
    const summary = (await throttledEntries()).find((e) => e.arguments.suppressed !== undefined);
    expect(summary).toMatchObject({
      result: 'rate_limited',
      reason: 'RATE_LIMITED',
      arguments: { suppressed: refused - LIMIT, window_seconds: 60 },
    });
    expect(summary?.message).toMatch(/throttled sign-in attempts/);
    const all = (await env().store.audit.query('default', {}, { limit: 10_000 })).total;
    expect(all).toBeLessThan(LIMIT + 20);
  }, 120_000);
});
