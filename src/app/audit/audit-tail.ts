/**
 * The live audit feed of one process (TailAudit's fan-out). One poller reads the global log
 * from the store (`readAfter(position)`), so entries written by other replicas arrive too; it
 * polls every `pollIntervalMs` and at once when this process commits audit entries (`wake`). It
 * runs only while someone subscribes.
 *
 * Every subscriber tracks `considered`, the last seq it has seen (delivered, queued or filtered
 * out), and drops anything at or below it. A subscriber that resumes from an older seq first
 * replays from the store in pages, ignoring the live feed, and turns live once its replay has
 * reached the poller's position: the poller then hands it every later seq in order, so the switch
 * neither drops nor repeats an entry. The live queue is bounded: a subscriber whose reader falls
 * that far behind is cut off with resource_exhausted (its reader resumes from its last cursor).
 *
 * Seqs are gap-free for every reader (see `StoredAuditRecord.seq`). A read that shows a gap (a
 * MongoDB scan that raced an insert) is cut before the gap and read again later; a gap at the
 * start of a replay means retention deleted what the reader had not seen: out_of_range.
 */
import type { Logger } from 'pino';
import { KavachError, outOfRange, resourceExhausted, unavailable } from '../../domain/errors.js';
import type { StoredAuditRecord } from '../../domain/records.js';
import type { AuditStore } from '../../store/store.js';

export interface TailHubOptions {
  readonly store: AuditStore;
  readonly logger: Logger;
  /** How often to read the store for entries of other replicas. */
  readonly pollIntervalMs: number;
  /** Entries per store read. */
  readonly pageSize?: number;
}

export interface SubscribeOptions {
  /** Resume after this seq; undefined starts at the present. */
  readonly afterSeq: number | undefined;
  /** Which entries this subscriber wants. Every entry still advances its position. */
  readonly match: (entry: StoredAuditRecord) => boolean;
  /** Most matching entries queued for a reader that does not keep up. */
  readonly bufferSize: number;
}

export interface TailSubscription {
  /**
   * The next matching entry, in seq order. Resolves undefined when `idleMs` pass with none, or
   * when `signal` aborts. Throws resource_exhausted once the reader fell `bufferSize` entries
   * behind, out_of_range when retention deleted entries it had not seen, unavailable when the
   * hub closes.
   */
  next(idleMs: number, signal: AbortSignal): Promise<StoredAuditRecord | undefined>;
  /** The seq up to which every entry was returned by `next` or did not match: the resume point. */
  readonly position: number;
  /** Leaves the hub. Idempotent. */
  close(): void;
}

export interface TailHub {
  subscribe(options: SubscribeOptions): Promise<TailSubscription>;
  /** Open subscriptions (a metric, and what tests wait on after a cancel). */
  subscriberCount(): number;
  /** Reads the store now instead of at the next poll (called on every local audit commit). */
  wake(): void;
  /** Ends every subscription with unavailable and stops polling. */
  close(): Promise<void>;
}

const DEFAULT_PAGE_SIZE = 500;

/** The entries of `batch` that continue `after` without a gap. */
function consecutive(batch: readonly StoredAuditRecord[], after: number): StoredAuditRecord[] {
  let expected = after + 1;
  let n = 0;
  for (const entry of batch) {
    if (entry.seq !== expected) break;
    expected += 1;
    n += 1;
  }
  return n === batch.length ? [...batch] : batch.slice(0, n);
}

interface Subscriber {
  live: boolean;
  /** A replay turns live only once it has read up to here (the store's head when it subscribed). */
  readonly replayUntil: number;
  considered: number;
  delivered: number;
  queue: StoredAuditRecord[];
  failure: KavachError | undefined;
  wake: (() => void) | undefined;
  readonly match: (entry: StoredAuditRecord) => boolean;
  readonly bufferSize: number;
}

export function createTailHub(options: TailHubOptions): TailHub {
  const { store, logger, pollIntervalMs } = options;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const subscribers = new Set<Subscriber>();
  /** The last seq the poller handed out; undefined while it is stopped. */
  let position: number | undefined;
  let starting: Promise<number> | undefined;
  let running = false;
  let loop: Promise<void> | undefined;
  let closed = false;
  let pending = false;
  let wakePoller: (() => void) | undefined;

  function wake(): void {
    pending = true;
    wakePoller?.();
  }

  function fail(sub: Subscriber, error: KavachError): void {
    if (sub.failure !== undefined) return;
    sub.failure = error;
    sub.queue = [];
    subscribers.delete(sub);
    sub.wake?.();
  }

  function deliver(sub: Subscriber, entry: StoredAuditRecord): void {
    if (!sub.live || sub.failure !== undefined || entry.seq <= sub.considered) return;
    sub.considered = entry.seq;
    if (!sub.match(entry)) return;
    if (sub.queue.length >= sub.bufferSize) {
      fail(sub, resourceExhausted(`the reader fell more than ${sub.bufferSize} entries behind; resume from the last cursor`));
      return;
    }
    sub.queue.push(entry);
    sub.wake?.();
  }

  function idle(ms: number): Promise<void> {
    if (pending || closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        wakePoller = undefined;
        resolve();
      }
      wakePoller = done;
    });
  }

  async function poll(): Promise<void> {
    try {
      while (!closed && subscribers.size > 0 && position !== undefined) {
        pending = false;
        const from: number = position;
        let batch: StoredAuditRecord[];
        try {
          batch = await store.readAfter(from, pageSize);
        } catch (err) {
          logger.warn({ err }, 'audit tail could not read the store; retrying');
          await idle(pollIntervalMs);
          continue;
        }
        const run = consecutive(batch, from);
        if (run.length === 0 && batch.length > 0) {
          const oldest = await store.oldestSeq().catch(() => undefined);
          if (oldest !== undefined && oldest > from + 1) {
            // Retention overtook the feed itself: whoever is live lost entries.
            for (const sub of [...subscribers]) {
              if (sub.live) fail(sub, outOfRange('audit history was deleted by retention before it was delivered'));
            }
            position = oldest - 1;
            continue;
          }
        }
        for (const entry of run) {
          position = entry.seq;
          for (const sub of subscribers) deliver(sub, entry);
        }
        if (run.length < pageSize) await idle(pollIntervalMs);
        // Catching up page after page: let readers drain their queues in between.
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      // Stopped: the next subscriber starts again from the then-current head.
      running = false;
      position = undefined;
    }
  }

  /** Makes sure the poller runs; call right after adding a subscriber (it stops without one). */
  function ensurePolling(): void {
    if (running) return;
    running = true;
    loop = poll();
  }

  /** Reads the store's head as the poller's starting position, unless it has one. */
  async function readHead(): Promise<void> {
    starting ??= store.headSeq().finally(() => {
      starting = undefined;
    });
    const head = await starting;
    position ??= head;
  }

  /** Checks a resume point against the log; resolves with the store's head. */
  async function checkResume(afterSeq: number): Promise<number> {
    const [head, oldest] = await Promise.all([store.headSeq(), store.oldestSeq()]);
    if (afterSeq > head) throw outOfRange('the cursor is ahead of this audit log');
    if (oldest !== undefined && afterSeq < oldest - 1) {
      throw outOfRange('the cursor is older than the audit retention window; start again without a cursor');
    }
    return head;
  }

  function subscription(sub: Subscriber): TailSubscription {
    /** Reads one page of history. Turns live when the replay has caught up with the poller. */
    async function replay(): Promise<'progress' | 'stalled'> {
      const from = sub.considered;
      const batch = await store.readAfter(from, pageSize);
      if (sub.failure !== undefined) return 'progress';
      const run = consecutive(batch, from);
      if (run.length === 0 && batch.length > 0) {
        const oldest = await store.oldestSeq();
        if (oldest !== undefined && oldest > from + 1) {
          throw outOfRange('the cursor is older than the audit retention window; start again without a cursor');
        }
      }
      for (const entry of run) {
        sub.considered = entry.seq;
        if (sub.match(entry)) sub.queue.push(entry);
      }
      if (position !== undefined && sub.considered >= position && sub.considered >= sub.replayUntil) {
        sub.live = true;
        return 'progress';
      }
      return run.length > 0 ? 'progress' : 'stalled';
    }

    function wait(ms: number, signal: AbortSignal): Promise<void> {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(0, ms));
        signal.addEventListener('abort', done, { once: true });
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          sub.wake = undefined;
          resolve();
        }
        sub.wake = done;
      });
    }

    return {
      get position() {
        return sub.queue.length === 0 ? sub.considered : sub.delivered;
      },
      async next(idleMs, signal) {
        const deadline = Date.now() + idleMs;
        for (;;) {
          if (sub.failure !== undefined) throw sub.failure;
          const entry = sub.queue.shift();
          if (entry !== undefined) {
            sub.delivered = entry.seq;
            return entry;
          }
          const left = deadline - Date.now();
          if (signal.aborted || left <= 0) return undefined;
          if (sub.live) {
            await wait(left, signal);
            continue;
          }
          try {
            // A replay that cannot advance (a transient gap) waits a poll before reading again.
            if ((await replay()) === 'stalled') await wait(Math.min(left, pollIntervalMs), signal);
          } catch (err) {
            fail(sub, err instanceof KavachError ? err : unavailable('the audit log could not be read', err));
          }
        }
      },
      close() {
        subscribers.delete(sub);
        sub.wake?.();
      },
    };
  }

  return {
    async subscribe({ afterSeq, match, bufferSize }) {
      if (closed) throw unavailable('server is shutting down');
      // A resume replays at least up to the store's head, even when this replica's feed lags
      // behind it, so that history never reaches the reader as one live burst.
      const head = afterSeq === undefined ? 0 : await checkResume(afterSeq);
      // The poller may stop (its last subscriber left) while this awaits, so check again.
      while (position === undefined) {
        await readHead();
        if (closed) throw unavailable('server is shutting down');
      }
      // From here to ensurePolling nothing awaits, so no entry can pass between reading the
      // poller's position and joining its feed.
      const current: number = position;
      const start = afterSeq ?? current;
      const sub: Subscriber = {
        live: start >= current && start >= head,
        replayUntil: head,
        considered: start,
        delivered: start,
        queue: [],
        failure: undefined,
        wake: undefined,
        match,
        bufferSize,
      };
      subscribers.add(sub);
      ensurePolling();
      return subscription(sub);
    },
    subscriberCount: () => subscribers.size,
    wake,
    async close() {
      closed = true;
      for (const sub of [...subscribers]) fail(sub, unavailable('server is shutting down'));
      wakePoller?.();
      await loop;
    },
  };
}
