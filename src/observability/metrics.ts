/**
 * Prometheus metrics for one server instance. Each server gets its own registry (never
 * prom-client's global default), so several servers in one process (tests) never collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds; from 100 µs (a cached Authorize) to 10 s (a slow store or a long export). */
const RPC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STORE_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

export interface Metrics {
  readonly registry: Registry;
  /** Finished RPCs by procedure (`/pkg.Service/Method`) and lower-case code name (`ok`, `not_found`, ...). */
  readonly rpcCalls: Counter<'procedure' | 'code'>;
  /** Duration of finished RPCs in seconds; a stream counts from start to its last message. */
  readonly rpcDuration: Histogram<'procedure' | 'code'>;
  /** Finished REST requests (`/api/kavach`) by route pattern, method and HTTP status. */
  readonly restRequests: Counter<'route' | 'method' | 'status'>;
  /** Duration of finished REST requests in seconds; an export counts until its last byte. */
  readonly restDuration: Histogram<'route' | 'method' | 'status'>;
  /** Server streams currently open, by procedure. */
  readonly openStreams: Gauge<'procedure'>;
  /** Duration of store calls in seconds, by operation (`agents.get`) and outcome (`ok`, `error`). */
  readonly storeLatency: Histogram<'operation' | 'outcome'>;
  /** Audit entries waiting to be written. Set it, or give `observeAuditQueue` a source. */
  readonly auditQueueDepth: Gauge;
  /** Reads the audit queue depth from `source` at every scrape. */
  observeAuditQueue(source: () => number): void;
  /** The text exposition format, for `GET /metrics`. */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event loop). Default true. */
  readonly processMetrics?: boolean;
}

/** Creates a fresh registry with every Kavach metric registered on it. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  let auditSource: (() => number) | undefined;
  const auditQueueDepth = new Gauge({
    name: 'kavach_audit_queue_depth',
    help: 'Audit entries waiting to be written to the store.',
    registers: [registry],
    collect() {
      if (auditSource !== undefined) this.set(auditSource());
    },
  });
  return {
    registry,
    rpcCalls: new Counter({
      name: 'kavach_rpc_calls_total',
      help: 'Finished RPCs by procedure and status code.',
      labelNames: ['procedure', 'code'] as const,
      registers: [registry],
    }),
    rpcDuration: new Histogram({
      name: 'kavach_rpc_duration_seconds',
      help: 'RPC duration in seconds by procedure and status code.',
      labelNames: ['procedure', 'code'] as const,
      buckets: RPC_BUCKETS,
      registers: [registry],
    }),
    restRequests: new Counter({
      name: 'kavach_rest_requests_total',
      help: 'Finished REST requests by route pattern, method and HTTP status.',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    restDuration: new Histogram({
      name: 'kavach_rest_duration_seconds',
      help: 'REST request duration in seconds by route pattern, method and HTTP status.',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: RPC_BUCKETS,
      registers: [registry],
    }),
    openStreams: new Gauge({
      name: 'kavach_open_streams',
      help: 'Server streams currently open, by procedure.',
      labelNames: ['procedure'] as const,
      registers: [registry],
    }),
    storeLatency: new Histogram({
      name: 'kavach_store_duration_seconds',
      help: 'Store call duration in seconds by operation and outcome.',
      labelNames: ['operation', 'outcome'] as const,
      buckets: STORE_BUCKETS,
      registers: [registry],
    }),
    auditQueueDepth,
    observeAuditQueue(source) {
      auditSource = source;
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
