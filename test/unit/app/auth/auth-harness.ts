/**
 * Drives the auth use cases directly over a fresh `:memory:` embedded store, with an injected
 * clock, cheap argon2 parameters, a small common-password list and a pino logger that writes
 * to memory, so tests can read back every audit entry and every log line.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createAgentCache } from '../../../../src/app/agents/agent-cache.js';
import { createAuditLog } from '../../../../src/app/audit/audit-log.js';
import { createAuditWriter } from '../../../../src/app/audit/audit-writer.js';
import { createAuthUseCases } from '../../../../src/app/auth/auth.js';
import { createAuthenticator, type Authenticator } from '../../../../src/app/auth/authn.js';
import { createRejectionAuditor, SIGN_IN_THROTTLED } from '../../../../src/app/audit/rejection-audit.js';
import { createClientIpResolver } from '../../../../src/app/auth/client-ip.js';
import type { AppContext } from '../../../../src/app/app-context.js';
import { createRedactor } from '../../../../src/domain/redaction.js';
import { createIds } from '../../../../src/app/ids.js';
import { createPasswordHasher, type PasswordHasher, type PasswordParams } from '../../../../src/app/auth/passwords.js';
import type { CallMeta, Principal } from '../../../../src/app/auth/principal.js';
import { sha256Hex } from '../../../../src/app/auth/secrets.js';
import { createSessionManager } from '../../../../src/app/auth/sessions.js';
import { loadConfig } from '../../../../src/config.js';
import { KavachError } from '../../../../src/domain/errors.js';
import { openEmbeddedStore } from '../../../../src/store/embedded/open.js';
import type { AuditRecord } from '../../../../src/domain/records.js';
import type { Store } from '../../../../src/store/store.js';

export const CHEAP: PasswordParams = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
export const ADMIN_TOKEN = 'kva_test-admin-token-0123456789abcdefghijklmnop';
export const TTL_SECONDS = 3600;
export const IDLE_SECONDS = 600;
export const COMMON = new Set(['password123', 'iloveyou1', 'qwertyuiop']);
export const anonymous: Principal = { kind: 'anonymous', tenantId: 'default' };

export const from = (peerIp: string): CallMeta => ({ peerIp, forwardedFor: [], requestId: 'test' });

/** Counts hasher calls, so tests can see that an unknown email costs a (dummy) verification. */
export function countingHasher(params: PasswordParams = CHEAP) {
  const inner = createPasswordHasher(params);
  const calls = { hash: 0, verify: 0, verifyDummy: 0 };
  const hasher: PasswordHasher = {
    hash: (p) => (calls.hash++, inner.hash(p)),
    verify: (s, p) => (calls.verify++, inner.verify(s, p)),
    verifyDummy: (p) => (calls.verifyDummy++, inner.verifyDummy(p)),
    needsRehash: (s) => inner.needsRehash(s),
  };
  return { hasher, calls };
}

export interface Harness {
  readonly store: Store;
  readonly authenticator: Authenticator;
  readonly auth: ReturnType<typeof createAuthUseCases>;
  readonly calls: ReturnType<typeof countingHasher>['calls'];
  readonly logs: string[];
  now(): Date;
  advance(ms: number): void;
  /** Another set of use cases over the same store and clock, with other hashing parameters. */
  withParams(params: PasswordParams): ReturnType<typeof createAuthUseCases>;
  /** The principal behind a session token, as the authn interceptor would resolve it. */
  principalOf(token: string): Promise<Principal>;
  auditEntries(tenantId?: string): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

export function startHarness(params: PasswordParams = CHEAP): Harness {
  let t = Date.parse('2026-03-02T12:00:00.000Z');
  const now = () => new Date(t);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'trace' }, sink);
  const config = loadConfig({
    KAVACH_SESSION_TTL_SECONDS: String(TTL_SECONDS),
    KAVACH_SESSION_IDLE_SECONDS: String(IDLE_SECONDS),
  });
  const store = openEmbeddedStore({ path: ':memory:', now });
  const newId = createIds(() => t);
  const writer = createAuditWriter({ store: store.audit, logger });
  const redact = createRedactor(config.secretArgumentNames);
  const audit = createAuditLog({ writer, newId, now, redact });
  const cache = createAgentCache({ agents: store.agents, delegations: store.delegations, users: store.users, ttlMs: 0, nowMs: () => t });
  const clientIp = createClientIpResolver(config.trustedProxies);
  const ctx: AppContext = { logger, cache, audit, now, newId, redact, clientIp };
  const sessions = createSessionManager({
    sessions: store.sessions,
    newId,
    now,
    ttlSeconds: TTL_SECONDS,
    idleSeconds: IDLE_SECONDS,
  });
  const rejections = createRejectionAuditor({ audit, now, logger, perWindow: config.rejectionAuditsPerMinute });
  const authenticator = createAuthenticator({
    adminTokenHash: sha256Hex(ADMIN_TOKEN),
    cache,
    sessions,
    rejections,
    clientIpOf: (meta) => meta.peerIp,
    now,
  });
  const throttled = createRejectionAuditor({
    audit,
    now,
    logger,
    perWindow: config.rejectionAuditsPerMinute,
    kind: SIGN_IN_THROTTLED,
  });
  const { hasher, calls } = countingHasher(params);
  return {
    store,
    authenticator,
    auth: createAuthUseCases(ctx, store, sessions, throttled, { hasher, commonPasswords: COMMON }),
    calls,
    logs,
    now,
    advance: (ms) => {
      t += ms;
    },
    withParams: (other) =>
      createAuthUseCases(ctx, store, sessions, throttled, { hasher: createPasswordHasher(other), commonPasswords: COMMON }),
    principalOf: (token) => authenticator.authenticate(`Bearer ${token}`, undefined, from('127.0.0.1')),
    async auditEntries(tenantId = 'default') {
      // Capped refusals are written without being awaited: let queued writes commit first.
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      return (await store.audit.query(tenantId, {}, { limit: 1000 })).items;
    },
    async close() {
      await writer.close();
      await store.close();
    },
  };
}

/** The KavachError a promise rejects with; fails the test when it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<KavachError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KavachError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}
