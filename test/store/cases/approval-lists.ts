/** ApprovalStore.list and expirePending cases: order, paging, status computed at `now`. */
import { expect, it } from 'vitest';
import type { Actor, ApprovalStatus } from '../../../src/domain/types.js';
import type { ApprovalRecord } from '../../../src/domain/records.js';
import { anApproval, randomId } from '../../support/builders.js';
import {
  allPages,
  at,
  expectKavachError,
  HOUR,
  ids,
  MALFORMED_CURSORS,
  MINUTE,
  newestFirst,
  type StoreUnderTest,
} from '../contract-support.js';

const OWNER: Actor = { kind: 'user', id: 'usr_owner' };
const SYSTEM: Actor = { kind: 'system', id: 'system' };

export function approvalListCases(store: StoreUnderTest): void {
  const seed = async (approvals: readonly ApprovalRecord[]) => {
    for (const a of approvals) {
      expect((await store().approvals.getOrCreatePending(a, a.createdAt)).created).toBe(true);
    }
  };
  const decide = (a: ApprovalRecord, status: 'approved' | 'denied', useBy = at(HOUR)) =>
    store().approvals.decide(a.tenantId, a.id, { status, by: OWNER, at: at(MINUTE), reason: '', useBy });

  it('lists approvals newest first, ties broken by id descending, across pages', async () => {
    const tenantId = randomId('ten');
    const approvals = Array.from({ length: 9 }, (_, i) =>
      anApproval({ tenantId, createdAt: at(Math.floor(i / 3) * 1000), expiresAt: at(HOUR) }),
    );
    await seed(approvals);
    const pages = await allPages((page) => store().approvals.list(tenantId, { now: at(0) }, page), 4);
    expect(pages.map((p) => p.length)).toEqual([4, 4, 1]);
    expect(ids(pages.flat())).toEqual(ids(newestFirst(approvals, (a) => a.createdAt)));
    expect(pages[0]?.[0]).toEqual(newestFirst(approvals, (a) => a.createdAt)[0]);
  });

  it('rejects a malformed approval cursor as an invalid page_token', async () => {
    await seed([anApproval({ createdAt: at(0) })]);
    for (const cursor of MALFORMED_CURSORS) {
      await expectKavachError(
        store().approvals.list(randomId('ten'), { now: at(0) }, { limit: 5, cursor }),
        'invalid_argument',
        'page_token',
        `cursor ${JSON.stringify(cursor.slice(0, 24))}`,
      );
    }
  });

  it('filters approvals by owner and by agent, within the tenant only', async () => {
    const tenantId = randomId('ten');
    const ownerId = randomId('usr');
    const agentId = randomId('agt');
    const mine = anApproval({ tenantId, ownerId, agentId, createdAt: at(0) });
    const mineOtherAgent = anApproval({ tenantId, ownerId, createdAt: at(0) });
    const theirs = anApproval({ tenantId, createdAt: at(0) });
    const otherTenant = anApproval({ ownerId, agentId, createdAt: at(0) });
    await seed([mine, mineOtherAgent, theirs, otherTenant]);
    const list = async (filter: { ownerId?: string; agentId?: string }) =>
      new Set(ids((await store().approvals.list(tenantId, { ...filter, now: at(0) }, { limit: 100 })).items));
    expect(await list({ ownerId })).toEqual(new Set([mine.id, mineOtherAgent.id]));
    expect(await list({ agentId })).toEqual(new Set([mine.id]));
    expect(await list({})).toEqual(new Set([mine.id, mineOtherAgent.id, theirs.id]));
  });

  it('filters approvals by the status they have at `now`', async () => {
    const tenantId = randomId('ten');
    const now = at(30 * MINUTE);
    const make = () => anApproval({ tenantId, createdAt: at(0), expiresAt: at(5 * MINUTE) });
    const livePending = anApproval({ tenantId, createdAt: at(0), expiresAt: at(HOUR) });
    const lapsedPending = make();
    const approved = make();
    const lapsedApproved = make();
    const denied = make();
    const consumed = make();
    await seed([livePending, lapsedPending, approved, lapsedApproved, denied, consumed]);
    await decide(approved, 'approved', at(HOUR));
    await decide(lapsedApproved, 'approved', at(10 * MINUTE));
    await decide(denied, 'denied');
    await decide(consumed, 'approved', at(HOUR));
    expect(await store().approvals.consume(tenantId, consumed.id, at(2 * MINUTE))).toBe(true);

    const withStatus = async (status: ApprovalStatus) =>
      new Set(ids((await store().approvals.list(tenantId, { status, now }, { limit: 100 })).items));
    expect(await withStatus('pending')).toEqual(new Set([livePending.id]));
    expect(await withStatus('approved')).toEqual(new Set([approved.id]));
    expect(await withStatus('expired')).toEqual(new Set([lapsedPending.id, lapsedApproved.id]));
    expect(await withStatus('denied')).toEqual(new Set([denied.id]));
    expect(await withStatus('consumed')).toEqual(new Set([consumed.id]));
  });

  it('marks pending approvals due at `now` as expired by the system, in every tenant', async () => {
    const now = at(10 * MINUTE);
    const dueEarlier = anApproval({ createdAt: at(0), expiresAt: at(5 * MINUTE) });
    const dueNow = anApproval({ createdAt: at(0), expiresAt: now });
    const notYet = anApproval({ createdAt: at(0), expiresAt: at(10 * MINUTE + 1) });
    const approved = anApproval({ createdAt: at(0), expiresAt: at(5 * MINUTE) });
    await seed([dueEarlier, dueNow, notYet, approved]);
    await decide(approved, 'approved', at(6 * MINUTE));

    const changed = await store().approvals.expirePending(now, 100);
    expect(new Set(ids(changed))).toEqual(new Set([dueEarlier.id, dueNow.id]));
    for (const a of changed) expect(a).toMatchObject({ status: 'expired', decidedAt: now, decidedBy: SYSTEM });
    expect(await store().approvals.get(dueEarlier.tenantId, dueEarlier.id)).toMatchObject({
      status: 'expired',
      decidedAt: now,
      decidedBy: SYSTEM,
    });
    expect((await store().approvals.get(notYet.tenantId, notYet.id))?.status).toBe('pending');
    expect((await store().approvals.get(approved.tenantId, approved.id))?.status).toBe('approved');
  });

  it('expires at most `limit` approvals per call and none twice', async () => {
    const due = Array.from({ length: 5 }, () => anApproval({ createdAt: at(0), expiresAt: at(MINUTE) }));
    await seed(due);
    const seen: string[] = [];
    for (const expected of [2, 2, 1, 0]) {
      const changed = await store().approvals.expirePending(at(HOUR), 2);
      expect(changed).toHaveLength(expected);
      seen.push(...ids(changed));
    }
    expect(new Set(seen)).toEqual(new Set(ids(due)));
    expect(seen).toHaveLength(5);
  });

  it('does not let an approval expired by the system be decided', async () => {
    const a = anApproval({ createdAt: at(0), expiresAt: at(MINUTE) });
    await seed([a]);
    await store().approvals.expirePending(at(2 * MINUTE), 10);
    const result = await store().approvals.decide(a.tenantId, a.id, {
      status: 'approved',
      by: OWNER,
      at: at(MINUTE - 1),
      reason: '',
      useBy: at(HOUR),
    });
    expect(result?.changed).toBe(false);
    expect(result?.approval.status).toBe('expired');
  });
}
