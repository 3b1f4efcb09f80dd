/**
 * Test-side access to the server started by mongo-global-setup.ts. Import only from test files
 * (it uses vitest's `inject`).
 *
 *   import { describeMongo } from './mongo-context.js';
 *   describeMongo('mongo store', (mongo) => {
 *     let client: MongoClient;
 *     beforeAll(async () => { client = await new MongoClient(mongo.uri, testClientOptions(mongo)).connect(); });
 *     afterAll(async () => { await client.close(); });
 *     it('...', async () => { const db = client.db(freshDatabaseName('agents')); ... });
 *   });
 */
import { describe, inject, it } from 'vitest';
import type { KavachMongoProvided } from './mongo-global-setup.js';

export type MongoTarget = { uri: string; kind: 'uri' | 'mongod' | 'ferretdb'; ferretdb: boolean };

/** The shared server, or why there is none. Falls back to env when globalSetup did not run. */
export function mongoTarget(): MongoTarget | { skipReason: string; required: boolean } {
  let provided: KavachMongoProvided | undefined;
  try {
    provided = inject('kavachMongo');
  } catch {
    provided = undefined;
  }
  if (provided) return provided;
  const required = process.env.CI === 'true';
  const uri = process.env.KAVACH_TEST_MONGODB_URI;
  if (uri) {
    return {
      uri,
      kind: (process.env.KAVACH_TEST_MONGODB_KIND as MongoTarget['kind'] | undefined) ?? 'uri',
      ferretdb: process.env.KAVACH_TEST_MONGODB_FERRETDB === '1',
    };
  }
  return {
    skipReason: process.env.KAVACH_TEST_MONGODB_SKIP ?? 'mongo-global-setup.ts is not in vitest globalSetup',
    required,
  };
}

/**
 * `describe` that runs only with a server. Without one: skipped (with the reason in its title)
 * locally; under CI=true, a single failing test that carries the reason.
 */
export function describeMongo(name: string, body: (mongo: MongoTarget) => void): void {
  const t = mongoTarget();
  if ('uri' in t) {
    describe(name, () => body(t));
  } else if (t.required) {
    describe(name, () => {
      it('needs a MongoDB-compatible server (required because CI=true)', () => {
        throw new Error(t.skipReason);
      });
    });
  } else {
    // Loud, conditional skip: the reason is in the suite's title (and a failure under CI=true).
    describe.skipIf(true)(`${name} [skipped: ${t.skipReason}]`, () => {
      it('skipped', () => undefined);
    });
  }
}
