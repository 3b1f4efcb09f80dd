/**
 * vitest globalSetup: start one MongoDB-compatible server for the whole run (docs/ARCHITECTURE.md#storage-engines).
 *
 * Use it in vitest.config.ts:
 *
 *   test: { globalSetup: ['test/support/mongo-global-setup.ts'] }
 *
 * It provides `inject('kavachMongo')` to test files (see mongo-context.ts for `describeMongo`),
 * and also sets `process.env.KAVACH_TEST_MONGODB_URI` / `KAVACH_TEST_MONGODB_KIND` /
 * `KAVACH_TEST_MONGODB_FERRETDB` ('1'/'0') (inherited by workers spawned after globalSetup) for
 * code that cannot call `inject`.
 *
 * Against FerretDB, create clients with `testClientOptions(target)` (maxPoolSize 1): FerretDB v1
 * loses concurrent updates made on different connections (.ferretdb-notes.md §1).
 *
 * When no server is found it does not throw: it provides `{ skipReason, required }`, with
 * `required = (CI === 'true')` (always true when MONGODB_URI is set but does not answer), and
 * `describeMongo` turns that into skipped suites locally and into one failing test when required.
 * That keeps non-Mongo tests running and the CI summary honest.
 *
 * Outage tests must not stop this shared server: they start their own with
 * `startMongoTestServer({ private: true })`.
 */
import type { TestProject } from 'vitest/node';
import { isSkip, startMongoTestServer, type MongoTestServer } from './mongo-server.js';

export type KavachMongoProvided =
  | { uri: string; kind: 'uri' | 'mongod' | 'ferretdb'; ferretdb: boolean }
  | { skipReason: string; required: boolean };

declare module 'vitest' {
  export interface ProvidedContext {
    kavachMongo: KavachMongoProvided;
  }
}

let server: MongoTestServer | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const required = process.env.CI === 'true';
  let provided: KavachMongoProvided;
  try {
    const r = await startMongoTestServer();
    if (isSkip(r)) {
      provided = { skipReason: r.skipReason, required };
    } else {
      server = r;
      provided = { uri: r.uri, kind: r.kind, ferretdb: r.ferretdb };
      process.env.KAVACH_TEST_MONGODB_URI = r.uri;
      process.env.KAVACH_TEST_MONGODB_KIND = r.kind;
      process.env.KAVACH_TEST_MONGODB_FERRETDB = r.ferretdb ? '1' : '0';
    }
  } catch (err) {
    // Only an explicit MONGODB_URI that does not answer ends up here: that is a failure, not a skip.
    provided = { skipReason: err instanceof Error ? err.message : String(err), required: true };
  }
  if ('skipReason' in provided) {
    process.env.KAVACH_TEST_MONGODB_SKIP = provided.skipReason;
    console.warn(`[mongo] ${provided.required ? 'REQUIRED but unavailable' : 'suite skipped'}: ${provided.skipReason}`);
  }
  project.provide('kavachMongo', provided);
  return async () => {
    await server?.stop();
    server = undefined;
  };
}
