/**
 * The application: every use case, assembled over one store. Transport-free: `src/api/` adapts
 * it to Connect, and tests may drive it directly.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/store.js';
import { createRedactor } from '../domain/redaction.js';
import { createAgentCache } from './agents/agent-cache.js';
import { createAgentUseCases } from './agents/agents.js';
import { createApprovalUseCases } from './authorize/approvals.js';
import { createAuditLog } from './audit/audit-log.js';
import { createAuditReadUseCases } from './audit/audit-read.js';
import { createAuditRetention } from './audit/audit-retention.js';
import { createTailHub } from './audit/audit-tail.js';
import { createAuditWriter } from './audit/audit-writer.js';
import { createAuthUseCases, type AuthOptions } from './auth/auth.js';
import { createAuthenticator, DEFAULT_TENANT } from './auth/authn.js';
import { createRejectionAuditor, SIGN_IN_THROTTLED } from './audit/rejection-audit.js';
import { createAuthorizeUseCases } from './authorize/authorize.js';
import { createClientIpResolver } from './auth/client-ip.js';
import { createDelegationUseCases } from './delegations/delegations.js';
import type { AppContext } from './app-context.js';
import { createIds, type IdGenerator } from './ids.js';
import { ADMIN_TOKEN_PREFIX, newToken, sha256Hex } from './auth/secrets.js';
import { createSessionManager } from './auth/sessions.js';

export interface AppDeps {
  readonly config: Config;
  readonly store: Store;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly newId?: IdGenerator;
  /** Periodic background work (approval expiry). Tests turn it off and call it themselves. */
  readonly backgroundTasks?: boolean;
  /** Password hashing and throttling settings; tests pass cheap hash parameters. */
  readonly auth?: AuthOptions;
}

/**
 * How often overdue approvals are expired (and audited as decided by the system), and the
 * counted rejected credentials of finished minutes are summarised in the audit log.
 */
const SWEEP_INTERVAL_MS = 15_000;
/** How often audit entries older than the retention window are deleted, and the first time after start. */
const RETENTION_INTERVAL_MS = 10 * 60_000;
const RETENTION_FIRST_RUN_MS = 5_000;

/**
 * Finds the admin token hash: from KAVACH_ADMIN_TOKEN, else from the store, else a new token is
 * created, only its hash stored, and the token returned once so the caller can print it.
 */
async function resolveAdminToken(config: Config, store: Store): Promise<{ hash: string; generated: string | undefined }> {
  if (config.adminToken !== undefined) return { hash: sha256Hex(config.adminToken), generated: undefined };
  const stored = await store.admin.getAdminTokenHash();
  if (stored !== undefined) return { hash: stored, generated: undefined };
  const token = newToken(ADMIN_TOKEN_PREFIX);
  const hash = sha256Hex(token);
  if (await store.admin.setAdminTokenHashIfAbsent(hash)) return { hash, generated: token };
  // Another replica created one first: use theirs.
  const winner = await store.admin.getAdminTokenHash();
  if (winner === undefined) throw new Error('admin token hash vanished from the store');
  return { hash: winner, generated: undefined };
}

export async function createApp(deps: AppDeps) {
  const { config, store, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? createIds(() => now().getTime());
  // Helpers built once, here, and shared: one redactor, one client-IP resolver.
  const redact = createRedactor(config.secretArgumentNames);
  const clientIp = createClientIpResolver(config.trustedProxies);
  const writer = createAuditWriter({ store: store.audit, logger });
  const audit = createAuditLog({ writer, newId, now, redact });
  const cache = createAgentCache({
    agents: store.agents,
    delegations: store.delegations,
    users: store.users,
    ttlMs: config.cacheTtlMs,
    nowMs: () => now().getTime(),
  });
  const ctx: AppContext = { logger, cache, audit, now, newId, redact, clientIp };
  const sessions = createSessionManager({
    sessions: store.sessions,
    newId,
    now,
    ttlSeconds: config.sessionTtlSeconds,
    idleSeconds: config.sessionIdleSeconds,
  });
  const admin = await resolveAdminToken(config, store);
  const rejections = createRejectionAuditor({ audit, now, logger, perWindow: config.rejectionAuditsPerMinute });
  const throttledSignIns = createRejectionAuditor({
    audit,
    now,
    logger,
    perWindow: config.rejectionAuditsPerMinute,
    kind: SIGN_IN_THROTTLED,
  });
  const authenticator = createAuthenticator({
    adminTokenHash: admin.hash,
    cache,
    sessions,
    rejections,
    // Before authentication every caller is anonymous: only a trusted proxy's forwarding counts.
    clientIpOf: (meta) => clientIp({ kind: 'anonymous', tenantId: DEFAULT_TENANT }, meta, '', 'x-forwarded-for') ?? meta.peerIp,
    now,
  });
  const approvals = createApprovalUseCases(ctx, store, { approvalTtlSeconds: config.approvalTtlSeconds });
  const tailHub = createTailHub({ store: store.audit, logger, pollIntervalMs: config.auditTailPollMs });
  // Local commits reach local tailers at once; other replicas' entries arrive by polling.
  const stopWakingTail = writer.onCommit(() => tailHub.wake());
  const retention = createAuditRetention({ audit: store.audit, days: config.auditRetentionDays, now });

  const timers: NodeJS.Timeout[] = [];
  if (deps.backgroundTasks ?? true) {
    const sweep = setInterval(() => {
      approvals.expireOverdue().catch((err: unknown) => logger.warn({ err }, 'approval expiry sweep failed'));
      void rejections.flush();
      void throttledSignIns.flush();
    }, SWEEP_INTERVAL_MS);
    sweep.unref();
    timers.push(sweep);
    if (config.auditRetentionDays !== undefined) {
      const prune = (): void => {
        retention.runOnce().catch((err: unknown) => logger.warn({ err }, 'audit retention failed'));
      };
      // Once soon after start (a replica that restarts often still prunes), then periodically.
      for (const timer of [setTimeout(prune, RETENTION_FIRST_RUN_MS), setInterval(prune, RETENTION_INTERVAL_MS)]) {
        timer.unref();
        timers.push(timer);
      }
    }
  }

  return {
    /** Set only when this start created the admin token: print it once, it is not stored. */
    generatedAdminToken: admin.generated,
    authenticator,
    agents: createAgentUseCases(ctx, store, { agentQuota: config.agentQuota }),
    delegations: createDelegationUseCases(ctx, store),
    authorize: createAuthorizeUseCases(ctx, store, { approvalTtlSeconds: config.approvalTtlSeconds }),
    approvals,
    auth: createAuthUseCases(ctx, store, sessions, throttledSignIns, deps.auth),
    audit: createAuditReadUseCases(store, tailHub, {
      heartbeatMs: config.auditTailHeartbeatMs,
      bufferSize: config.auditTailBufferSize,
    }),
    /** The live audit feed of this process (its subscriber count is a metric, and tests wait on it). */
    auditTail: tailHub,
    /** Deletes audit entries older than KAVACH_AUDIT_RETENTION_DAYS now (also run periodically). */
    auditRetention: retention,
    /** Entries waiting for the next audit commit (a metric). */
    auditQueueDepth: () => writer.depth(),
    onAuditCommit: writer.onCommit,
    /** Stops background work and waits for queued audit entries to be written. Does not close the store. */
    async close(): Promise<void> {
      // clearInterval clears timeouts too.
      for (const timer of timers) clearInterval(timer);
      // Counted rejections of the current minute are written, not lost with the process.
      await Promise.all([rejections.flushAll(), throttledSignIns.flushAll()]);
      await writer.close();
      stopWakingTail();
      await tailHub.close();
    },
  };
}

export type App = Awaited<ReturnType<typeof createApp>>;
