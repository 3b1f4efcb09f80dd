/**
 * Record ids: a type prefix, the creation millisecond, and 128 random bits. Injected into use
 * cases (as `newId`) so tests can make ids predictable.
 *
 * The millisecond comes first, in an alphabet whose byte order is numeric order, so ids made
 * close together sort close together: every store indexes records by id, and inserting at the
 * right edge of an index touches one page where a random key touches a new page per row (on the
 * audit log that was most of the cost of an append). The random bits keep ids unguessable and
 * unique without coordination between replicas.
 */
import { randomFillSync } from 'node:crypto';

export type IdKind = 'agt' | 'usr' | 'ses' | 'apr' | 'aud' | 'dlg';

export type IdGenerator = (kind: IdKind) => string;

const RANDOM_BYTES = 16;
/** Randomness is drawn in blocks: one system call per 256 ids instead of one per id. */
const pool = Buffer.alloc(RANDOM_BYTES * 256);
let poolOffset = pool.length;

function randomPart(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += RANDOM_BYTES;
  return pool.toString('base64url', start, poolOffset);
}

/**
 * Milliseconds since the epoch as 10 digits of base 32 (0-9, a-v): fixed width, so text order is
 * time order, for the next 35,000 years. A clock that gives no finite time counts as 0.
 */
function timePart(ms: number): string {
  return (Number.isFinite(ms) ? Math.max(0, Math.trunc(ms)) : 0).toString(32).padStart(10, '0');
}

export function createIds(now: () => number = Date.now): IdGenerator {
  return (kind) => `${kind}_${timePart(now())}${randomPart()}`;
}
