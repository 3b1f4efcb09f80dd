/**
 * What every use case shares: the process-wide helpers, assembled once by `createApp`. Clocks
 * and id generators are injected so time-based rules are testable without sleeping. It holds
 * no settings and no store: each use case is given the settings and the stores it uses, so its
 * signature says what it depends on (docs/ARCHITECTURE.md#layers).
 */
import type { Logger } from 'pino';
import type { Redactor } from '../domain/redaction.js';
import type { AgentCache } from './agents/agent-cache.js';
import type { AuditLog } from './audit/audit-log.js';
import type { ClientIpResolver } from './auth/client-ip.js';
import type { IdGenerator } from './ids.js';

export interface AppContext {
  readonly logger: Logger;
  readonly cache: AgentCache;
  readonly audit: AuditLog;
  readonly now: () => Date;
  readonly newId: IdGenerator;
  /** Redacts secret-named arguments (KAVACH_SECRET_ARGUMENT_NAMES); the audit log uses the same one. */
  readonly redact: Redactor;
  /** The caller's address, with KAVACH_TRUSTED_PROXIES applied. */
  readonly clientIp: ClientIpResolver;
}
