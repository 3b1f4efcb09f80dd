/**
 * The bounds the store contract puts on what callers pass, applied the same way by both
 * engines, so a caller bug can never make one read a whole table or collection.
 */

/** Largest page, and largest batch of a bounded read, in the contract. */
const MAX_READ = 1000;

/** A limit as the contract allows it: a whole number from 1 to `max` (1000 unless said). */
export function clampLimit(limit: number, max = MAX_READ): number {
  return Math.min(max, Math.max(1, Math.trunc(limit) || 1));
}

/** A seq bound as a whole number (a fraction, NaN or a negative number means "from the start"). */
export function seqOf(value: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.floor(value)) : 0;
}

/** The distinct ids of a by-id lookup, at most 1000 of them (the contract's bound). */
export function uniqueIds(ids: readonly string[]): string[] {
  return [...new Set(ids)].slice(0, MAX_READ);
}
