/** ApprovalStore cases: one pending approval per request, decisions, exactly-once use. */
import { expect, it } from 'vitest';
import type { Actor } from '../../../src/domain/types.js';
import type { ApprovalRecord } from '../../../src/domain/records.js';
import { anApproval, randomId } from '../../support/builders.js';
import { at, HOUR, MINUTE, type StoreUnderTest } from '../contract-support.js';

const OWNER: Actor = { kind: 'user', id: 'usr_owner' };

export function approvalCases(store: StoreUnderTest): void {
  /** A pending approval created at T0 that expires at T0 + 5 minutes. */
  const pending = async (overrides: Partial<ApprovalRecord> = {}) => {
    const candidate = anApproval({ createdAt: at(0), expiresAt: at(5 * MINUTE), ...overrides });
    const { approval, created } = await store().approvals.getOrCreatePending(candidate, candidate.createdAt);
    expect(created).toBe(true);
    return approval;
  };
  const approve = (a: ApprovalRecord, atMs = MINUTE, useByMs = HOUR) =>
    store().approvals.decide(a.tenantId, a.id, { status: 'approved', by: OWNER, at: at(atMs), reason: 'ok', useBy: at(useByMs) });
  const deny = (a: ApprovalRecord, atMs = MINUTE) =>
    store().approvals.decide(a.tenantId, a.id, { status: 'denied', by: OWNER, at: at(atMs), reason: 'no', useBy: at(HOUR) });
  const sameRequest = (a: ApprovalRecord, overrides: Partial<ApprovalRecord> = {}) =>
    anApproval({ tenantId: a.tenantId, agentId: a.agentId, ownerId: a.ownerId, requestHash: a.requestHash, ...overrides });

  // getOrCreatePending -----------------------------------------------------------------------

  it('creates the candidate when no pending approval exists, and stores it as given', async () => {
    const candidate = anApproval({ createdAt: at(0), expiresAt: at(5 * MINUTE), arguments: { n: 1, nested: { ok: [true, null, 'x'] } } });
    const result = await store().approvals.getOrCreatePending(candidate, at(0));
    expect(result).toEqual({ approval: candidate, created: true });
    expect(await store().approvals.get(candidate.tenantId, candidate.id)).toEqual(candidate);
  });

  it('returns the same pending approval when the same request repeats', async () => {
    const first = await pending();
    const again = await store().approvals.getOrCreatePending(sameRequest(first, { createdAt: at(MINUTE) }), at(MINUTE));
    expect(again.created).toBe(false);
    expect(again.approval).toEqual(first);
  });

  it('creates exactly one pending approval under concurrent identical requests', async () => {
    const base = anApproval({ createdAt: at(0), expiresAt: at(5 * MINUTE) });
    const candidates = [base, ...Array.from({ length: 9 }, () => sameRequest(base, { createdAt: at(0), expiresAt: at(5 * MINUTE) }))];
    const results = await Promise.all(candidates.map((c) => store().approvals.getOrCreatePending(c, at(0))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.approval.id)).size).toBe(1);
    const listed = await store().approvals.list(base.tenantId, { agentId: base.agentId, now: at(0) }, { limit: 100 });
    expect(listed.items).toHaveLength(1);
  });

  it('creates a new pending approval once the previous one has expired', async () => {
    const first = await pending();
    const next = sameRequest(first, { createdAt: at(6 * MINUTE), expiresAt: at(11 * MINUTE) });
    const result = await store().approvals.getOrCreatePending(next, at(6 * MINUTE));
    expect(result).toEqual({ approval: next, created: true });
  });

  it('creates a new pending approval once the previous one was decided', async () => {
    const first = await pending();
    await deny(first);
    const next = sameRequest(first, { createdAt: at(2 * MINUTE), expiresAt: at(7 * MINUTE) });
    expect((await store().approvals.getOrCreatePending(next, at(2 * MINUTE))).created).toBe(true);
  });

  it('keeps pending approvals apart per request hash, agent and tenant', async () => {
    const first = await pending();
    for (const variant of [
      sameRequest(first, { requestHash: randomId('h') }),
      sameRequest(first, { agentId: randomId('agt') }),
      sameRequest(first, { tenantId: randomId('ten') }),
    ]) {
      const result = await store().approvals.getOrCreatePending({ ...variant, createdAt: at(0), expiresAt: at(5 * MINUTE) }, at(0));
      expect(result.created).toBe(true);
      expect(result.approval.id).toBe(variant.id);
    }
  });

  // get ---------------------------------------------------------------------------------------

  it("returns undefined for a missing approval and for another tenant's approval", async () => {
    const approval = await pending();
    expect(await store().approvals.get(approval.tenantId, randomId('apr'))).toBeUndefined();
    expect(await store().approvals.get(randomId('ten'), approval.id)).toBeUndefined();
  });

  // decide ------------------------------------------------------------------------------------

  it('approves a pending approval, recording who, when, why, and the use-by deadline', async () => {
    const approval = await pending();
    const result = await approve(approval, MINUTE, HOUR);
    const expected = { ...approval, status: 'approved', decidedAt: at(MINUTE), decidedBy: OWNER, reason: 'ok', expiresAt: at(HOUR) };
    expect(result).toEqual({ approval: expected, changed: true });
    expect(await store().approvals.get(approval.tenantId, approval.id)).toEqual(expected);
  });

  it('denies a pending approval, recording who, when and why', async () => {
    const approval = await pending();
    const result = await deny(approval);
    expect(result?.changed).toBe(true);
    expect(result?.approval).toMatchObject({ id: approval.id, status: 'denied', decidedAt: at(MINUTE), decidedBy: OWNER, reason: 'no' });
    expect((await store().approvals.get(approval.tenantId, approval.id))?.status).toBe('denied');
  });

  it('reports changed:false and keeps the first decision when deciding twice', async () => {
    const approval = await pending();
    const first = await approve(approval);
    const second = await deny(approval, 2 * MINUTE);
    expect(second).toEqual({ approval: first?.approval, changed: false });
    expect(await store().approvals.get(approval.tenantId, approval.id)).toEqual(first?.approval);
  });

  it('reports changed:false when deciding an approval after it expired', async () => {
    const approval = await pending();
    const result = await approve(approval, 6 * MINUTE, HOUR);
    expect(result?.changed).toBe(false);
    expect(result?.approval.id).toBe(approval.id);
    expect(['pending', 'expired']).toContain(result?.approval.status);
    expect(await store().approvals.findApproved(approval.tenantId, approval.agentId, approval.requestHash, at(7 * MINUTE))).toBeUndefined();
  });

  it("returns undefined when deciding a missing approval or another tenant's", async () => {
    const approval = await pending();
    const decision = { status: 'approved' as const, by: OWNER, at: at(1), reason: '', useBy: at(HOUR) };
    expect(await store().approvals.decide(approval.tenantId, randomId('apr'), decision)).toBeUndefined();
    expect(await store().approvals.decide(randomId('ten'), approval.id, decision)).toBeUndefined();
    expect(await store().approvals.get(approval.tenantId, approval.id)).toEqual(approval);
  });

  // findApproved and consume ------------------------------------------------------------------

  it('finds an approval for the request only once it is approved', async () => {
    const a = await pending();
    const find = (now: number) => store().approvals.findApproved(a.tenantId, a.agentId, a.requestHash, at(now));
    expect(await find(30 * 1000)).toBeUndefined();
    const approved = await approve(a);
    expect(await find(2 * MINUTE)).toEqual(approved?.approval);
  });

  it('does not find an approval past its use-by time, or for another agent, request or tenant', async () => {
    const a = await pending();
    await approve(a, MINUTE, HOUR);
    expect(await store().approvals.findApproved(a.tenantId, a.agentId, a.requestHash, at(HOUR + 1))).toBeUndefined();
    expect(await store().approvals.findApproved(a.tenantId, randomId('agt'), a.requestHash, at(2 * MINUTE))).toBeUndefined();
    expect(await store().approvals.findApproved(a.tenantId, a.agentId, randomId('h'), at(2 * MINUTE))).toBeUndefined();
    expect(await store().approvals.findApproved(randomId('ten'), a.agentId, a.requestHash, at(2 * MINUTE))).toBeUndefined();
  });

  it('consumes an approved approval once, after which it is no longer found', async () => {
    const a = await pending();
    await approve(a);
    expect(await store().approvals.consume(a.tenantId, a.id, at(2 * MINUTE))).toBe(true);
    expect((await store().approvals.get(a.tenantId, a.id))?.status).toBe('consumed');
    expect(await store().approvals.findApproved(a.tenantId, a.agentId, a.requestHash, at(3 * MINUTE))).toBeUndefined();
    expect(await store().approvals.consume(a.tenantId, a.id, at(3 * MINUTE))).toBe(false);
  });

  it('refuses to consume a pending, denied, missing or foreign approval', async () => {
    const waiting = await pending();
    const denied = await pending();
    await deny(denied);
    const approved = await pending();
    await approve(approved);
    expect(await store().approvals.consume(waiting.tenantId, waiting.id, at(2 * MINUTE))).toBe(false);
    expect(await store().approvals.consume(denied.tenantId, denied.id, at(2 * MINUTE))).toBe(false);
    expect(await store().approvals.consume(approved.tenantId, randomId('apr'), at(2 * MINUTE))).toBe(false);
    expect(await store().approvals.consume(randomId('ten'), approved.id, at(2 * MINUTE))).toBe(false);
    expect((await store().approvals.get(waiting.tenantId, waiting.id))?.status).toBe('pending');
    expect((await store().approvals.get(approved.tenantId, approved.id))?.status).toBe('approved');
  });

  it('refuses to consume an approval past its use-by time', async () => {
    const a = await pending();
    await approve(a, MINUTE, HOUR);
    expect(await store().approvals.consume(a.tenantId, a.id, at(HOUR + 1))).toBe(false);
    expect((await store().approvals.get(a.tenantId, a.id))?.status).not.toBe('consumed');
  });

  it('lets exactly one of many concurrent consumers use an approval', async () => {
    const a = await pending();
    await approve(a);
    const results = await Promise.all(Array.from({ length: 10 }, () => store().approvals.consume(a.tenantId, a.id, at(2 * MINUTE))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('returns fresh approval objects that do not write through to the store', async () => {
    const a = await pending({ arguments: { list: [1, 2] } });
    const first = await store().approvals.get(a.tenantId, a.id);
    ((first?.arguments as { list: number[] }).list).push(3);
    first?.expiresAt.setTime(0);
    expect(await store().approvals.get(a.tenantId, a.id)).toEqual(a);
  });
}
