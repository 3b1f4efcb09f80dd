/**
 * What every use case is built from. Assembled once by `createApp`; clocks and id generators
 * are injected so time-based rules are testable without sleeping.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/store.js';
import type { AgentCache } from './agent-cache.js';
import type { AuditLog } from './audit-log.js';
import type { IdGenerator } from './ids.js';

export interface AppContext {
  readonly config: Config;
  readonly store: Store;
  readonly logger: Logger;
  readonly cache: AgentCache;
  readonly audit: AuditLog;
  readonly now: () => Date;
  readonly newId: IdGenerator;
}
