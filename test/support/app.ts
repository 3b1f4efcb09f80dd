/**
 * The in-process ring (docs/ARCHITECTURE.md#tests): the real routes and the server's own
 * interceptor list (`createInterceptors`) over `createRouterTransport`, on a fresh `:memory:`
 * embedded store, with an injected clock. No sockets, so the peer IP is what the test says it
 * is (header `x-test-peer-ip`, read only by this harness, in front of the list).
 */
import type { DescService } from '@bufbuild/protobuf';
import { createClient, createRouterTransport, type Client, type Interceptor } from '@connectrpc/connect';
import pino from 'pino';
import { createHealth } from '../../src/api/health.js';
import { callMetaKey } from '../../src/api/context-keys.js';
import { createInterceptors } from '../../src/api/interceptors.js';
import { forwardedHops } from '../../src/server/call-meta.js';
import { routes } from '../../src/api/routes.js';
import { createApp, type App } from '../../src/app/app.js';
import { createPasswordHasher } from '../../src/app/auth/passwords.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { openEmbeddedStore } from '../../src/store/embedded/open.js';
import type { Store } from '../../src/store/store.js';

export interface FakeClock {
  now(): Date;
  advance(ms: number): void;
  set(date: Date): void;
}

export function fakeClock(start = new Date('2026-03-02T12:00:00.000Z')): FakeClock {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
    set: (d) => {
      t = d.getTime();
    },
  };
}

export interface InProcess {
  readonly app: App;
  readonly store: Store;
  readonly clock: FakeClock;
  readonly adminToken: string;
  /** A client for `service`, sending `token` as the bearer credential when given. */
  client<S extends DescService>(service: S, token?: string, headers?: Record<string, string>): Client<S>;
  close(): Promise<void>;
}

const ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';

const peerFromHeader: Interceptor = (next) => (req) => {
  req.contextValues.set(callMetaKey, {
    peerIp: req.header.get('x-test-peer-ip') ?? '127.0.0.1',
    forwardedFor: forwardedHops(req.header.get('x-forwarded-for') ?? undefined),
    requestId: 'test',
  });
  return next(req);
};

/** Header that turns the owner fixture below off for one client (tests of the owner check itself). */
export const NO_OWNER_FIXTURE = 'x-test-no-owner-fixture';

/**
 * Test fixture: the owner an admin's CreateAgent names is a user of the tenant. CreateAgent
 * refuses an owner that is no user of the tenant (issue 11 item 8), and most tests name a fresh
 * random owner (`anOwnerId()`) only to have one; this creates that user in the store first, as
 * if signed up. A client with the header `NO_OWNER_FIXTURE` gets the server exactly as it is.
 */
function ownerFixture(store: Store, clock: FakeClock): Interceptor {
  return (next) => async (req) => {
    const message = req.message as { ownerId?: unknown };
    if (
      req.method.name === 'CreateAgent' &&
      req.header.get(NO_OWNER_FIXTURE) === null &&
      req.header.get('authorization') === `Bearer ${ADMIN_TOKEN}` &&
      typeof message.ownerId === 'string' &&
      /^usr_[A-Za-z0-9_]{1,60}$/.test(message.ownerId)
    ) {
      const tenantId = req.header.get('kavach-tenant') ?? 'default';
      if ((await store.users.get(tenantId, message.ownerId)) === undefined) {
        // Concurrent creates for one owner race to add it: the loser finds it there, as wanted.
        await store.users.create({
          id: message.ownerId,
          tenantId,
          email: `${message.ownerId.toLowerCase()}@owners.example.com`,
          name: '',
          passwordHash: 'not-a-password-hash (fixture user: cannot sign in)',
          createdAt: clock.now(),
        }).catch(async (err: unknown) => {
          if ((await store.users.get(tenantId, String(message.ownerId))) === undefined) throw err;
        });
      }
    }
    return next(req);
  };
}

export async function startInProcess(overrides: Partial<Record<string, string>> = {}, clock = fakeClock()): Promise<InProcess> {
  const config: Config = loadConfig({
    KAVACH_ADMIN_TOKEN: ADMIN_TOKEN,
    KAVACH_DATA_DIR: ':memory:',
    KAVACH_LOG_LEVEL: 'silent',
    ...overrides,
  });
  const logger = pino({ level: 'silent' });
  const store = openEmbeddedStore({ path: ':memory:' });
  const app = await createApp({
    config,
    store,
    logger,
    now: clock.now,
    backgroundTasks: false,
    // Cheap parameters: the production ones cost ~130 ms per hash, which tests need not pay.
    auth: { hasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }) },
  });
  const health = createHealth();
  health.setServing(true);
  const register = routes(app, { health });
  const owners = ownerFixture(store, clock);
  // The same list, in the same order, as the server's; the harness only adds the peer and the
  // owner fixture in front. Its streams end when a test ends them: nothing here shuts the
  // transport down.
  const streamsShutdown = new AbortController();
  const interceptors = [
    peerFromHeader,
    owners,
    ...createInterceptors({ app, logger, metrics: createMetrics({ processMetrics: false }), streamsShutdown: streamsShutdown.signal }),
  ];
  return {
    app,
    store,
    clock,
    adminToken: ADMIN_TOKEN,
    client(service, token, headers = {}) {
      const sendCredentials: Interceptor = (next) => (req) => {
        if (token !== undefined) req.header.set('authorization', `Bearer ${token}`);
        for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
        return next(req);
      };
      const transport = createRouterTransport(register, {
        router: { interceptors },
        transport: { interceptors: [sendCredentials] },
      });
      return createClient(service, transport);
    },
    async close() {
      await app.close();
      await store.close();
    },
  };
}
