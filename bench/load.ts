/**
 * A light load generator, run in its own process so that it does not share the server's CPU
 * accounting. Closed loop (`concurrency` calls always in flight) measures throughput; open loop
 * (`rate` calls per second, fired on schedule whatever the responses do) measures latency
 * without coordinated omission. Prints MEASURE_START / MEASURE_END around the measured window
 * (the orchestrator samples server CPU there), then one `RESULT <json>` line.
 */
import * as grpc from '@grpc/grpc-js';
import { Health } from '../gen/health/v1/health_pb.js';
import { AuthService } from '../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService } from '../gen/kavach/v1/authorize_service_pb.js';
import { bearer, grpcJsClient, unary } from './grpc-js.js';

export interface LoadSpec {
  readonly address: string;
  readonly call: 'health' | 'authorize' | 'batch' | 'signin';
  readonly mode: 'closed' | 'rate';
  readonly concurrency?: number;
  readonly rate?: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly token?: string;
  readonly batchSize?: number;
  readonly email?: string;
  readonly password?: string;
}

export interface LoadResult {
  readonly calls: number;
  readonly decisions: number;
  readonly errors: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;

function makeCall(): { run: () => Promise<unknown>; decisionsPerCall: number } {
  const md = spec.token === undefined ? new grpc.Metadata() : bearer(spec.token);
  switch (spec.call) {
    case 'health': {
      const c = grpcJsClient(Health, spec.address);
      return { run: () => unary(c, 'check', {}, md), decisionsPerCall: 1 };
    }
    case 'authorize': {
      const c = grpcJsClient(AuthorizeService, spec.address);
      let i = 0;
      return {
        run: () => unary(c, 'authorize', { action: 'read', resource: `mcp:github:repo${i++ % 50}` }, md),
        decisionsPerCall: 1,
      };
    }
    case 'batch': {
      const c = grpcJsClient(AuthorizeService, spec.address);
      const n = spec.batchSize ?? 100;
      const checks = Array.from({ length: n }, (_, i) => ({ action: i % 3 === 0 ? 'write' : 'read', resource: `mcp:github:repo${i}` }));
      return { run: () => unary(c, 'authorizeBatch', { checks }, md), decisionsPerCall: n };
    }
    case 'signin': {
      const c = grpcJsClient(AuthService, spec.address);
      return { run: () => unary(c, 'signIn', { email: spec.email, password: spec.password }, md), decisionsPerCall: 1 };
    }
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const { run, decisionsPerCall } = makeCall();
  const latencies: number[] = [];
  let calls = 0;
  let errors = 0;
  let measuring = false;
  let stopped = false;
  const one = async (scheduledAt: number) => {
    try {
      await run();
      if (measuring) {
        calls += 1;
        latencies.push(performance.now() - scheduledAt);
      }
    } catch {
      if (measuring) errors += 1;
    }
  };
  const loops: Promise<void>[] = [];
  if (spec.mode === 'closed') {
    for (let i = 0; i < (spec.concurrency ?? 64); i++) {
      loops.push(
        (async () => {
          while (!stopped) await one(performance.now());
        })(),
      );
    }
  } else {
    const interval = 1000 / (spec.rate ?? 100);
    const start = performance.now();
    let n = 0;
    const inflight = new Set<Promise<void>>();
    loops.push(
      (async () => {
        while (!stopped) {
          const due = start + n * interval;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          const p = one(due);
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
          n += 1;
        }
        await Promise.all(inflight);
      })(),
    );
  }
  await new Promise((r) => setTimeout(r, spec.warmupMs));
  process.stdout.write('MEASURE_START\n');
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, spec.durationMs));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write('MEASURE_END\n');
  stopped = true;
  await Promise.all(loops);
  latencies.sort((a, b) => a - b);
  const result: LoadResult = {
    calls,
    decisions: calls * decisionsPerCall,
    errors,
    seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

await main();
