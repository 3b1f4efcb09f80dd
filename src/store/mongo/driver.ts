/**
 * Small helpers shared by the mongo engine's aggregates: the one error guard, duplicate-key
 * detection, page limits, regex escaping and a short sleep.
 *
 * Design rule of this engine (see schema.ts): correctness never depends on a single-document
 * update being atomic, because on FerretDB v1 it is not (concurrent updates of one document on
 * different connections lose writes, and a conditional update can have several winners). Every
 * "exactly one caller wins" promise is built on what both MongoDB and FerretDB make atomic:
 * the unique-key check of an insert (error 11000) and the `deletedCount` of a delete.
 */
import type { MongoClient } from 'mongodb';
import type { Logger } from 'pino';

import { KavachError } from '../../domain/errors.js';
import { storeConflict, storeUnavailable } from '../errors.js';

/**
 * Runs one store operation, translating driver failures into store errors. `conflict` names
 * what already exists when a unique key is violated (the message reaches API callers, so it
 * names no collection or field).
 */
export type Guard = <T>(fn: () => Promise<T>, conflict?: string) => Promise<T>;

/** Server error codes that mean "cannot serve now" (elections, shutdown, network trouble). */
const UNAVAILABLE_SERVER_CODES = new Set([
  6, // HostUnreachable
  50, // MaxTimeMSExpired: a bounded read ran out of time (store time limit)
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Driver error classes (by name, so subclasses and bundling never matter) that mean "unreachable". */
const UNAVAILABLE_ERROR_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoClientClosedError',
  'MongoNotConnectedError',
  'MongoServerClosedError',
  'MongoOperationTimeoutError',
  'MongoWriteConcernError',
  'MongoPoolClearedError',
]);

/** Plain Node socket errors seen on a pooled socket right after the server went away. */
const UNAVAILABLE_SOCKET_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** Errors after which the client must be connected again before it can serve. */
const DEAD_CLIENT_ERROR_NAMES = new Set(['MongoTopologyClosedError', 'MongoClientClosedError', 'MongoNotConnectedError']);

function codeOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

/**
 * Whether `err` is a unique-key violation. MongoDB and FerretDB report one on insert as 11000
 * (a MongoBulkWriteError carries it too); FerretDB reports one caused by an update as code 1
 * with SQLite's message.
 */
export function isDuplicateKey(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = codeOf(err);
  if (code === 11000 || code === 11001) return true;
  if (code === 1 && /UNIQUE constraint failed/.test(err.message)) return true;
  const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
  if (Array.isArray(writeErrors)) return writeErrors.some((w) => codeOf(w) === 11000);
  return false;
}

/** Whether `err` means the server cannot be reached or cannot serve right now. */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (UNAVAILABLE_ERROR_NAMES.has(err.name)) return true;
  const code = codeOf(err);
  if (typeof code === 'string' && UNAVAILABLE_SOCKET_CODES.has(code)) return true;
  if (typeof code === 'number' && UNAVAILABLE_SERVER_CODES.has(code)) return true;
  const labels = (err as { errorLabels?: unknown }).errorLabels;
  if (Array.isArray(labels) && labels.includes('RetryableWriteError')) return true;
  return false;
}

/** Maps a thrown value to the store error it stands for; anything unknown passes through. */
export function translateError(err: unknown, conflict = 'record'): unknown {
  if (err instanceof KavachError) return err;
  if (isDuplicateKey(err)) return storeConflict(`${conflict} already exists`);
  if (isUnavailable(err)) return storeUnavailable(err);
  return err;
}

/** What the guard needs to know about the connection it protects. */
export interface Connection {
  readonly client: MongoClient;
  readonly logger: Logger | undefined;
  /** True once the store was closed; every later call fails as unavailable. */
  isClosed(): boolean;
}

/**
 * Builds the guard for one store. A client whose topology was closed (for example because its
 * very first connect failed) never recovers by itself, so the guard starts a reconnect before
 * failing such a call: the store heals once the database is back.
 */
export function createGuard(conn: Connection): Guard {
  let reconnecting: Promise<void> | undefined;
  const reconnect = (cause: Error): void => {
    if (reconnecting !== undefined || conn.isClosed()) return;
    conn.logger?.warn({ err: cause }, 'mongo client is closed; reconnecting');
    reconnecting = conn.client
      .connect()
      .then(
        () => conn.logger?.info('mongo client reconnected'),
        (err: unknown) => conn.logger?.warn({ err }, 'mongo reconnect failed; the next call tries again'),
      )
      .finally(() => {
        reconnecting = undefined;
      });
  };

  return async <T>(fn: () => Promise<T>, conflict?: string): Promise<T> => {
    if (conn.isClosed()) throw storeUnavailable(new Error('the mongo store is closed'));
    try {
      return await fn();
    } catch (err) {
      if (conn.isClosed()) throw storeUnavailable(err);
      if (err instanceof Error && DEAD_CLIENT_ERROR_NAMES.has(err.name)) {
        reconnect(err);
        // Let this call's caller see the outcome of the first attempt: it is cheap when the
        // server is up, and bounded by serverSelectionTimeoutMS when it is not.
        await reconnecting;
      }
      throw translateError(err, conflict);
    }
  };
}


/**
 * Inserts `doc` unless its key exists; true when this call inserted it. Every exactly-once
 * promise of this engine is such an insert of a never-reused key (see schema.ts).
 */
export async function insertOnce<T extends { _id: unknown }>(insert: (doc: T) => Promise<unknown>, doc: T): Promise<boolean> {
  try {
    await insert(doc);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** Escapes `text` for use inside a regular expression (MongoDB's PCRE and FerretDB's RE2 alike). */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
