/**
 * Opaque page cursors shared by both engines. Lists are ordered newest first by (createdAt, id),
 * and their cursor is that pair of the last item returned; the audit log is read newest first by
 * seq, and its cursor is the last entry's seq. Either way the next page is "strictly before" it,
 * and a cursor of one kind is refused where the other is expected.
 */
import { invalidArgument } from '../domain/errors.js';

export interface PagePosition {
  /** Milliseconds since the epoch of the last item's sort time. */
  readonly t: number;
  readonly id: string;
}

export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.t, position.id]), 'utf8').toString('base64url');
}

const badCursor = () => invalidArgument('page_token', 'is not a token returned by a previous page');

/** The JSON inside a cursor, or invalid_argument on `page_token` when there is none. */
function cursorJson(cursor: string): unknown {
  if (cursor.length > 512) throw badCursor();
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
}

/** Decodes a cursor made by `encodeCursor`; anything else is invalid_argument on `page_token`. */
export function decodeCursor(cursor: string): PagePosition {
  const parsed = cursorJson(cursor);
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'number' ||
    !Number.isSafeInteger(parsed[0]) ||
    typeof parsed[1] !== 'string' ||
    parsed[1].length > 128
  ) {
    throw badCursor();
  }
  return { t: parsed[0], id: parsed[1] };
}

/** The cursor after an audit entry: its seq. */
export function encodeSeqCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ seq }), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeSeqCursor`; anything else is invalid_argument on `page_token`. */
export function decodeSeqCursor(cursor: string): number {
  const parsed = cursorJson(cursor);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length !== 1) {
    throw badCursor();
  }
  const { seq } = parsed as { seq?: unknown };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) throw badCursor();
  return seq;
}

/** Builds a page result from `limit + 1` fetched rows: the extra row only says "there is more". */
export function pageOf<T>(
  rows: T[],
  limit: number,
  positionOf: (row: T) => PagePosition,
): { items: T[]; nextCursor: string | undefined } {
  return pageWith(rows, limit, (last) => encodeCursor(positionOf(last)));
}

/** `pageOf` for the audit log, whose cursor is the last entry's seq. */
export function seqPageOf<T>(rows: T[], limit: number, seqOf: (row: T) => number): { items: T[]; nextCursor: string | undefined } {
  return pageWith(rows, limit, (last) => encodeSeqCursor(seqOf(last)));
}

function pageWith<T>(rows: T[], limit: number, cursorAfter: (last: T) => string): { items: T[]; nextCursor: string | undefined } {
  if (rows.length <= limit) return { items: rows, nextCursor: undefined };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: last === undefined ? undefined : cursorAfter(last) };
}
