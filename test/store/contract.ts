/**
 * The store conformance suite (docs/ARCHITECTURE.md#the-store-contract): every engine runs exactly these cases, each
 * asserting a sentence of a doc comment in `src/store/store.ts`.
 *
 *   describeStoreContract('embedded', async () => openEmbeddedStore({ path: ':memory:' }));
 *
 * `makeFreshStore` must return an empty store that no other test sees. Each case gets its own and
 * the suite closes it afterwards (closing twice is allowed by the contract).
 */
import { afterEach, beforeEach, describe } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { adminCases } from './cases/admin.js';
import { agentListCases } from './cases/agent-lists.js';
import { agentCases } from './cases/agents.js';
import { approvalListCases } from './cases/approval-lists.js';
import { approvalCases } from './cases/approvals.js';
import { auditSeqCases } from './cases/audit-seq.js';
import { auditCases } from './cases/audit.js';
import { agentGetManyCases, delegationCases } from './cases/delegations.js';
import { lifecycleCases } from './cases/lifecycle.js';
import { rateLimitCases } from './cases/rate-limits.js';
import { sessionCases } from './cases/sessions.js';
import { throttleCases } from './cases/throttles.js';
import { userCases } from './cases/users.js';

export function describeStoreContract(engineName: string, makeFreshStore: () => Promise<Store>): void {
  describe(`${engineName} store contract`, () => {
    let current: Store | undefined;

    beforeEach(async () => {
      current = await makeFreshStore();
    });

    afterEach(async () => {
      const store = current;
      current = undefined;
      await store?.close();
    });

    const store = (): Store => {
      if (current === undefined) throw new Error('no store: makeFreshStore did not run for this test');
      return current;
    };

    describe('admin', () => adminCases(store));
    describe('users', () => userCases(store));
    describe('sessions', () => sessionCases(store));
    describe('agents', () => {
      agentCases(store);
      agentListCases(store);
      agentGetManyCases(store);
    });
    describe('rateLimits', () => rateLimitCases(store));
    describe('approvals', () => {
      approvalCases(store);
      approvalListCases(store);
    });
    describe('audit', () => {
      auditCases(store);
      auditSeqCases(store);
    });
    describe('throttles', () => throttleCases(store));
    describe('delegations', () => delegationCases(store));
    describe('lifecycle', () => lifecycleCases(store));
  });
}
