/**
 * Small helpers shared by the embedded engine's aggregates: error translation, a per-store
 * statement cache for filter-shaped queries, and the conversions between records and rows.
 */
import type BetterSqlite3 from 'better-sqlite3';

import { KavachError } from '../../domain/errors.js';
import { storeConflict, storeUnavailable } from '../errors.js';

export type Db = BetterSqlite3.Database;

/**
 * Runs a synchronous database call and returns its result as a promise, translating driver
 * failures into store errors. `conflict` names what already exists when a uniqueness
 * constraint fails (the message reaches API callers, so it names no table or column).
 */
export type Guard = <T>(fn: () => T, conflict?: string) => Promise<T>;

/**
 * SQLite result codes (and their extended `_...` variants) that mean "the store cannot serve
 * now" rather than "this request is wrong": lock contention past busy_timeout, I/O trouble, a
 * full disk, a file that cannot be opened or was made read-only.
 */
const UNAVAILABLE_CODES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
  'SQLITE_PROTOCOL',
  'SQLITE_READONLY',
];

/** Maps a thrown value to the store error it stands for; anything unknown passes through. */
export function translateError(err: unknown, conflict = 'record'): unknown {
  if (err instanceof KavachError) return err;
  if (!(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      return storeConflict(`${conflict} already exists`);
    }
    if (UNAVAILABLE_CODES.some((c) => code === c || code.startsWith(`${c}_`))) return storeUnavailable(err);
    return err;
  }
  // better-sqlite3 reports use after close as a plain TypeError with this message.
  if (err instanceof TypeError && /database connection is not open/i.test(err.message)) {
    return storeUnavailable(err);
  }
  return err;
}

/** Builds the guard for one store. The explicit `open` check makes "after close" unambiguous. */
export function createGuard(db: Db): Guard {
  return <T>(fn: () => T, conflict?: string): Promise<T> => {
    try {
      if (!db.open) throw storeUnavailable(new Error('the embedded store is closed'));
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(translateError(err, conflict));
    }
  };
}

/**
 * Memoises prepared statements by SQL text. List queries vary only by which optional filters
 * are set, so the set of distinct texts is small and fixed; each is prepared once per store.
 */
export function statementCache(db: Db): <P extends unknown[], R>(sql: string) => BetterSqlite3.Statement<P, R> {
  const cache = new Map<string, BetterSqlite3.Statement<unknown[], unknown>>();
  return <P extends unknown[], R>(sql: string) => {
    let stmt = cache.get(sql);
    if (stmt === undefined) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt as unknown as BetterSqlite3.Statement<P, R>;
  };
}

/** Milliseconds since the epoch, the storage form of every time. */
export function ms(date: Date): number {
  return date.getTime();
}

export function msOrNull(date: Date | undefined): number | null {
  return date === undefined ? null : date.getTime();
}

/** Parses a JSON column written by this engine. */
export function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** The cursor condition and ordering shared by every paged list (`col` is the time column). */
export function pageClause(col: string, hasCursor: boolean): string {
  const after = hasCursor ? ` AND (${col} < @cursorT OR (${col} = @cursorT AND id < @cursorId))` : '';
  return `${after} ORDER BY ${col} DESC, id DESC LIMIT @take`;
}

