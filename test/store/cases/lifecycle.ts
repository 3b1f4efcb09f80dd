/** Store lifecycle cases: ping, and what happens after close. */
import { expect, it } from 'vitest';
import type { Store } from '../../../src/store/store.js';
import { anAgent, anAuditRecord, aTokenHash, aUser, randomId } from '../../support/builders.js';
import { at, expectKavachError, type StoreUnderTest } from '../contract-support.js';

const CALLS_AFTER_CLOSE: ReadonlyArray<[string, (s: Store) => Promise<unknown>]> = [
  ['ping', (s) => s.ping()],
  ['admin.getAdminTokenHash', (s) => s.admin.getAdminTokenHash()],
  ['users.create', (s) => s.users.create(aUser())],
  ['sessions.findByTokenHash', (s) => s.sessions.findByTokenHash(aTokenHash())],
  ['sessions.get', (s) => s.sessions.get(randomId('ten'), randomId('ses'))],
  ['agents.get', (s) => s.agents.get(randomId('ten'), randomId('agt'))],
  ['agents.list', (s) => s.agents.list(randomId('ten'), { now: at(0) }, { limit: 10 })],
  ['rateLimits.tryAcquire', (s) => s.rateLimits.tryAcquire(randomId('rl'), 1, at(0), 1000)],
  ['approvals.expirePending', (s) => s.approvals.expirePending(at(0), 10)],
  ['audit.append', (s) => s.audit.append([anAuditRecord()])],
  ['audit.query', (s) => s.audit.query(randomId('ten'), {}, { limit: 10 })],
  ['throttles.recordFailure', (s) => s.throttles.recordFailure(randomId('thr'), at(0), () => 0)],
];

export function lifecycleCases(store: StoreUnderTest): void {
  it('answers ping while open', async () => {
    await expect(store().ping()).resolves.toBeUndefined();
  });

  it('names its engine as embedded or mongo', () => {
    expect(['embedded', 'mongo']).toContain(store().engine);
  });

  it('rejects calls on every aggregate after close as unavailable', async () => {
    const s = store();
    await s.agents.create(anAgent(), 10, at(0));
    await s.close();
    for (const [name, call] of CALLS_AFTER_CLOSE) await expectKavachError(call(s), 'unavailable', undefined, name);
  });

  it('closes a second time without throwing', async () => {
    const s = store();
    await s.close();
    await expect(s.close()).resolves.toBeUndefined();
  });
}
