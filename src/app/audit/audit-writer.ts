/**
 * Group commit for the audit log. Every decision must be durable before its `audit_id` is
 * returned, but one store write per call would cap throughput at the store's write rate. So
 * entries queue up while a write is in flight and the next write takes all of them at once:
 * under load, one commit serves many calls; when idle, an entry is written on the next tick.
 */
import type { Logger } from 'pino';
import type { AuditRecord } from '../../domain/records.js';
import type { AuditStore } from '../../store/store.js';

export interface AuditWriter {
  /** Resolves once `record` is durable; rejects (with the store's error) if its batch failed. */
  write(record: AuditRecord): Promise<void>;
  /** Entries waiting for a commit. */
  depth(): number;
  /** Registers a listener called with every committed batch, in commit order. */
  onCommit(listener: (records: readonly AuditRecord[]) => void): () => void;
  /** Waits for everything queued to be written, then refuses new writes. */
  close(): Promise<void>;
}

interface Pending {
  readonly record: AuditRecord;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export function createAuditWriter(deps: {
  store: AuditStore;
  logger: Logger;
  /** Most entries per commit; larger queues are drained in several commits. */
  maxBatch?: number;
}): AuditWriter {
  const maxBatch = deps.maxBatch ?? 500;
  const queue: Pending[] = [];
  let flushing: Promise<void> | undefined;
  let closed = false;
  const listeners = new Set<(records: readonly AuditRecord[]) => void>();

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      const records = batch.map((p) => p.record);
      try {
        await deps.store.append(records);
      } catch (error) {
        for (const p of batch) p.reject(error);
        continue;
      }
      for (const p of batch) p.resolve();
      for (const listener of listeners) {
        try {
          listener(records);
        } catch (error) {
          deps.logger.error({ err: error }, 'audit commit listener failed');
        }
      }
    }
  }

  function schedule(): void {
    if (flushing !== undefined) return;
    // setImmediate lets every call that is already running enqueue first, so they share a commit.
    flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(drain)
      .finally(() => {
        flushing = undefined;
        if (queue.length > 0) schedule();
      });
  }

  return {
    write(record) {
      if (closed) return Promise.reject(new Error('audit writer is closed'));
      return new Promise<void>((resolve, reject) => {
        queue.push({ record, resolve, reject });
        schedule();
      });
    },
    depth: () => queue.length,
    onCommit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      while (flushing !== undefined) await flushing;
    },
  };
}
