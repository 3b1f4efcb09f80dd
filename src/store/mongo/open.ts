/**
 * Opens the mongo engine: connects (retrying for a while, since a database that is still
 * starting is normal in a deployment), creates every collection and index (schema.ts), and
 * assembles one store object per aggregate over the shared client.
 *
 * Works on MongoDB 6+ and on FerretDB v1: no multi-document transactions, no change streams, no
 * aggregation-pipeline updates, no partial or TTL indexes, and no correctness that depends on a
 * single-document update being atomic (driver.ts). Several replicas may share one database.
 */
import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';

import { storeUnavailable } from '../errors.js';
import type { Store } from '../store.js';
import { createAdminStore } from './admin.js';
import { createAgentStore } from './agents.js';
import { createApprovalStore } from './approvals.js';
import { createAuditStore } from './audit.js';
import { createDelegationStore } from './delegations.js';
import { createGuard, isUnavailable, sleep, translateError, type Connection } from './driver.js';
import { createLocks } from './locks.js';
import { createRateLimitStore } from './rate-limits.js';
import { collectionsOf, ensureSchema } from './schema.js';
import { createSessionStore } from './sessions.js';
import { createThrottleStore } from './throttles.js';
import { createUserStore } from './users.js';

export interface MongoStoreOptions {
  /** Connection string. Ignored for connecting when `client` is given. */
  readonly uri: string;
  /** Database name (on FerretDB at most 63 characters). */
  readonly database: string;
  readonly logger?: Logger | undefined;
  /**
   * A client to use instead of creating one (tests share one across stores). The store does not
   * close a client it was given.
   */
  readonly client?: MongoClient | undefined;
  /** How long one operation waits for a usable server before failing as unavailable. Default 5000. */
  readonly serverSelectionTimeoutMS?: number | undefined;
  /** How long opening a connection may take. Driver default (30 s) when undefined. */
  readonly connectTimeoutMS?: number | undefined;
  /**
   * How long an operation may wait for a socket to answer before the socket is closed and the
   * operation fails as unavailable (a hung server). Driver default (none) when undefined.
   */
  readonly socketTimeoutMS?: number | undefined;
  /** Server-side time limit of the audit log's filtered reads (`maxTimeMS`). None when undefined. */
  readonly maxTimeMS?: number | undefined;
  /** Connections per process. The engine is correct with any value (it never relies on 1). */
  readonly maxPoolSize?: number | undefined;
}

const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5000;
/** Start-up attempts (each bounded by serverSelectionTimeoutMS) and the pause after each failure. */
const START_ATTEMPTS = 5;
const START_BACKOFF_MS = [250, 500, 1000, 2000];

/**
 * Opens the store. Resolves once the database answers and the schema exists; rejects with
 * `unavailable` when the database stays unreachable through every start-up attempt.
 */
export async function openMongoStore(options: MongoStoreOptions): Promise<Store> {
  const logger = options.logger;
  const owned = options.client === undefined;
  const client =
    options.client ??
    new MongoClient(options.uri, {
      appName: 'kavach',
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS,
      ...(options.connectTimeoutMS === undefined ? {} : { connectTimeoutMS: options.connectTimeoutMS }),
      ...(options.socketTimeoutMS === undefined ? {} : { socketTimeoutMS: options.socketTimeoutMS }),
      ...(options.maxPoolSize === undefined ? {} : { maxPoolSize: options.maxPoolSize }),
    });
  const db = client.db(options.database);

  for (let attempt = 1; ; attempt++) {
    try {
      // A failed connect leaves the client's topology closed for good; connecting again is
      // what revives it, so every attempt starts with connect().
      await client.connect();
      await ensureSchema(db, logger);
      break;
    } catch (err) {
      if (!isUnavailable(err) || attempt >= START_ATTEMPTS) {
        if (owned) await client.close().catch(() => undefined);
        throw isUnavailable(err) ? storeUnavailable(err) : translateError(err);
      }
      const pause = START_BACKOFF_MS[Math.min(attempt - 1, START_BACKOFF_MS.length - 1)] ?? 1000;
      logger?.warn({ err, attempt, retryInMs: pause }, 'mongo store not reachable yet; retrying');
      await sleep(pause);
    }
  }

  let closed = false;
  const conn: Connection = { client, logger, isClosed: () => closed };
  const guard = createGuard(conn);
  const c = collectionsOf(db);
  const withLock = createLocks(c.locks);

  return {
    engine: 'mongo',
    admin: createAdminStore(c, guard),
    users: createUserStore(c, guard),
    sessions: createSessionStore(c, guard),
    agents: createAgentStore(c, guard, withLock),
    rateLimits: createRateLimitStore(c, guard),
    approvals: createApprovalStore(c, guard),
    audit: createAuditStore(c, guard, { maxTimeMS: options.maxTimeMS }),
    throttles: createThrottleStore(c, guard),
    delegations: createDelegationStore(c, guard),
    ping: () =>
      guard(async () => {
        await db.command({ ping: 1 });
      }),
    close: async () => {
      // Idempotent: a second close is a no-op; every other call after it fails in the guard.
      if (closed) return;
      closed = true;
      if (owned) await client.close();
    },
  };
}
