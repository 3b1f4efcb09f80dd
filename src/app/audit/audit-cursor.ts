/**
 * TailAudit cursors: an opaque string naming a position in the global audit log (a `seq`). A
 * cursor means "every entry up to this seq was delivered or did not match": resuming with it
 * yields the entries after it. The encoding is versioned so it can change without breaking
 * clients that hold old cursors.
 */
import { invalidArgument } from '../../domain/errors.js';

const VERSION = 1;
/** Longer than any cursor this module makes; anything longer is refused before decoding. */
const MAX_LENGTH = 64;

export function encodeTailCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ v: VERSION, s: seq }), 'utf8').toString('base64url');
}

/** The seq a cursor names. Anything this module did not make is invalid_argument on `cursor`. */
export function decodeTailCursor(cursor: string): number {
  const bad = () => invalidArgument('cursor', 'is not a cursor returned by TailAudit');
  if (cursor.length > MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad();
  const { v, s } = parsed as { v?: unknown; s?: unknown };
  if (v !== VERSION || typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw bad();
  if (Object.keys(parsed).length !== 2) throw bad();
  return s;
}
