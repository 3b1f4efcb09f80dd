/**
 * Audit retention (KAVACH_AUDIT_RETENTION_DAYS): deletes entries older than the window, in
 * bounded batches so a large backlog never holds the store's write lock for long. Every replica
 * may run it; deleting is idempotent.
 */
import type { AuditStore } from '../../store/store.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Entries per delete. */
const BATCH = 1000;
/** Batches per run; whatever is left waits for the next run. */
const MAX_BATCHES = 1000;

export interface AuditRetention {
  /** Deletes what is older than the window now. Returns how many entries it deleted; 0 when retention is off. */
  runOnce(): Promise<number>;
}

export function createAuditRetention(deps: { audit: AuditStore; days: number | undefined; now: () => Date }): AuditRetention {
  return {
    async runOnce() {
      if (deps.days === undefined) return 0;
      const cutoff = new Date(deps.now().getTime() - deps.days * DAY_MS);
      let total = 0;
      for (let i = 0; i < MAX_BATCHES; i++) {
        const deleted = await deps.audit.deleteOlderThan(cutoff, BATCH);
        total += deleted;
        if (deleted < BATCH) break;
        // Lets requests waiting on the store run between batches.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return total;
    },
  };
}
