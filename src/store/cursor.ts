/**
 * Opaque page cursors shared by both engines: the (createdAt, id) of the last item returned.
 * Lists are ordered by that pair descending, so the next page is "strictly before" it.
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

/** Decodes a cursor made by `encodeCursor`; anything else is invalid_argument on `page_token`. */
export function decodeCursor(cursor: string): PagePosition {
  const bad = () => invalidArgument('page_token', 'is not a token returned by a previous page');
  if (cursor.length > 512) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'number' ||
    !Number.isSafeInteger(parsed[0]) ||
    typeof parsed[1] !== 'string' ||
    parsed[1].length > 128
  ) {
    throw bad();
  }
  return { t: parsed[0], id: parsed[1] };
}

/** Builds a page result from `limit + 1` fetched rows: the extra row only says "there is more". */
export function pageOf<T>(
  rows: T[],
  limit: number,
  positionOf: (row: T) => PagePosition,
): { items: T[]; nextCursor: string | undefined } {
  if (rows.length <= limit) return { items: rows, nextCursor: undefined };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: last === undefined ? undefined : encodeCursor(positionOf(last)) };
}
