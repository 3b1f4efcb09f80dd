/** AdminStore cases: the generated admin token hash is stored once, by exactly one caller. */
import { expect, it } from 'vitest';
import { aTokenHash } from '../../support/builders.js';
import type { StoreUnderTest } from '../contract-support.js';

export function adminCases(store: StoreUnderTest): void {
  it('has no admin token hash before one is set', async () => {
    expect(await store().admin.getAdminTokenHash()).toBeUndefined();
  });

  it('stores the admin token hash on the first call and says so', async () => {
    const hash = aTokenHash();
    expect(await store().admin.setAdminTokenHashIfAbsent(hash)).toBe(true);
    expect(await store().admin.getAdminTokenHash()).toBe(hash);
  });

  it('keeps the first admin token hash when another is offered later', async () => {
    const first = aTokenHash();
    await store().admin.setAdminTokenHashIfAbsent(first);
    expect(await store().admin.setAdminTokenHashIfAbsent(aTokenHash())).toBe(false);
    expect(await store().admin.getAdminTokenHash()).toBe(first);
  });

  it('lets exactly one of many concurrent callers store the admin token hash', async () => {
    const hashes = Array.from({ length: 10 }, () => aTokenHash());
    const results = await Promise.all(hashes.map((h) => store().admin.setAdminTokenHashIfAbsent(h)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = hashes[results.indexOf(true)];
    expect(await store().admin.getAdminTokenHash()).toBe(winner);
  });
}
