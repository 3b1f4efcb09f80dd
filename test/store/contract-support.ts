/**
 * Helpers shared by the store conformance suite: fixed clocks, error assertions, page walking
 * and the expected newest-first order.
 */
import { expect } from 'vitest';
import { KavachError, type ErrorKind } from '../../src/domain/errors.js';
import type { AuditRecord } from '../../src/domain/records.js';
import type { AuditFilter, Page, PageResult, Store } from '../../src/store/store.js';
import { anAuditRecord, randomId } from '../support/builders.js';

/** Hands the current test's fresh store to an aggregate's cases. */
export type StoreUnderTest = () => Store;

/** The suite's fixed epoch. Tests never read the wall clock. */
export const T0 = new Date('2026-01-01T00:00:00.000Z');

/** T0 plus `ms` milliseconds. */
export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

const RESOLVED = Symbol('resolved');

/** Asserts that `promise` rejects with a KavachError of `kind` (and `field`, when given). */
export async function expectKavachError(
  promise: Promise<unknown>,
  kind: ErrorKind,
  field?: string,
  label = 'the call',
): Promise<void> {
  const outcome = await promise.then(
    () => RESOLVED,
    (error: unknown) => error,
  );
  expect(outcome, `expected ${label} to reject with kind '${kind}', but it resolved`).not.toBe(RESOLVED);
  expect(outcome, `${label} rejected with something other than a KavachError`).toBeInstanceOf(KavachError);
  expect(outcome, `${label} rejected with the wrong kind or field`).toMatchObject(field === undefined ? { kind } : { kind, field });
}

/** Cursors that no engine can have produced. */
export const MALFORMED_CURSORS: readonly string[] = [
  'not a cursor',
  '%%%%',
  Buffer.from('{"t":1,"id":"x"}', 'utf8').toString('base64url'),
  Buffer.from('[1.5,"x"]', 'utf8').toString('base64url'),
  Buffer.from('["x","y"]', 'utf8').toString('base64url'),
  'A'.repeat(600),
];

/**
 * Walks every page of a list, asserting on the way that only the last page lacks a cursor
 * and that no page is larger than `limit`. Returns the pages.
 */
export async function allPages<T>(
  fetch: (page: Page) => Promise<PageResult<T>>,
  limit: number,
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const result = await fetch({ limit, cursor });
    expect(result.items.length).toBeLessThanOrEqual(limit);
    pages.push(result.items);
    if (result.nextCursor === undefined) return pages;
    expect(typeof result.nextCursor).toBe('string');
    cursor = result.nextCursor;
  }
  throw new Error('paging did not end after 1000 pages');
}

/** Sorts newest first by (time, id) descending, as every list in the contract is ordered. */
export function newestFirst<T extends { readonly id: string }>(items: readonly T[], time: (item: T) => Date): T[] {
  return [...items].sort((a, b) => {
    const dt = time(b).getTime() - time(a).getTime();
    if (dt !== 0) return dt;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
}

export function ids(items: readonly { readonly id: string }[]): string[] {
  return items.map((item) => item.id);
}

/**
 * Audit entries for testing every filter at once: `hits` match `filter` (agent, owner, actions,
 * resource prefix, result, time range); each of `misses` fails exactly one of those, in that
 * order (agent, owner, action, resource, result, before since, at until).
 */
export function auditFilterFixture(hitCount: number): {
  tenantId: string;
  agentId: string;
  hits: AuditRecord[];
  misses: AuditRecord[];
  filter: AuditFilter;
} {
  const tenantId = randomId('ten');
  const agentId = randomId('agt');
  const ownerId = randomId('usr');
  const base = { tenantId, agentId, ownerId, action: 'write', resource: 'mcp:github:repos:x', result: 'denied' as const };
  const hits = Array.from({ length: hitCount }, (_, i) => anAuditRecord({ ...base, time: at(1000 + i) }));
  const misses = [
    anAuditRecord({ ...base, agentId: randomId('agt'), time: at(1500) }),
    anAuditRecord({ ...base, ownerId: randomId('usr'), time: at(1500) }),
    anAuditRecord({ ...base, action: 'read', time: at(1500) }),
    anAuditRecord({ ...base, resource: 'mcp:gitlab:x', time: at(1500) }),
    anAuditRecord({ ...base, result: 'allowed', time: at(1500) }),
    anAuditRecord({ ...base, time: at(999) }),
    anAuditRecord({ ...base, time: at(2000) }),
  ];
  const filter: AuditFilter = {
    agentId,
    ownerId,
    actions: ['write', 'delete'],
    resourcePrefix: 'mcp:github:',
    result: 'denied',
    since: at(1000),
    until: at(2000),
  };
  return { tenantId, agentId, hits, misses, filter };
}
