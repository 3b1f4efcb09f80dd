/**
 * Server benchmark (issue: Agents and Authorize; Human auth): starts the real server in its own
 * process on a file-backed embedded store, drives it from separate load-generator processes over
 * gRPC (grpc-js client), and reports for an empty handler (grpc.health.v1.Health/Check: the same
 * adapter, router and interceptor stack with no work, i.e. the transport's ceiling), single
 * Authorize, and AuthorizeBatch of 100:
 *   - decisions per second (closed loop, 64 calls in flight; 8 for batches),
 *   - p50/p99 latency at a fixed moderate rate (open loop),
 *   - server CPU microseconds per decision (from /proc/<pid>/stat over the measured window),
 * and Authorize p99 at a fixed rate with and without 20 concurrent sign-ins (alternating rounds,
 * compared by the median of each condition's p99).
 * Prints a table and writes bench/results/server.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { AgentService } from '../gen/kavach/v1/agent_service_pb.js';
import { AuthService } from '../gen/kavach/v1/auth_service_pb.js';
import { AgentType } from '../gen/kavach/v1/types_pb.js';
import { ADMIN_TOKEN, benchPermissions as permissions, runLoad, startBenchServer } from './harness.js';
import type { LoadSpec } from './load.js';
import { machine } from './machine.js';

const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 2000);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 6000);
const RATE = Number(process.env.BENCH_RATE ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCH_SIZE = 100;
const here = path.dirname(new URL(import.meta.url).pathname);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kavach-bench-'));
  const server = await startBenchServer(dataDir);
  const address = `127.0.0.1:${server.ports.port}`;
  const pid = server.pid;
  try {
    const transport = createGrpcTransport({ baseUrl: `http://${address}` });
    const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
    const agents = createClient(AgentService, transport);
    // The owner must be a user of the tenant: the admin signs one up first.
    const owner = await createClient(AuthService, transport).signUp(
      { email: `bench-owner-${process.hrtime.bigint()}@example.com`, password: 'Kv-bench-owner-horse-staple', name: 'bench' },
      admin,
    );
    const { token } = await agents.createAgent(
      { ownerId: owner.user?.id ?? '', name: 'bench', type: AgentType.AUTONOMOUS, permissions: permissions() },
      admin,
    );
    const email = `bench-${Date.now()}@example.com`;
    const password = 'correct horse battery staple 42';
    await createClient(AuthService, transport).signUp({ email, password, name: 'bench' });

    const base = { address, warmupMs: WARMUP_MS, durationMs: DURATION_MS, token };
    const rows: Record<string, unknown>[] = [];
    const phase = async (name: string, spec: Omit<LoadSpec, 'address' | 'warmupMs' | 'durationMs'>) => {
      const r = await runLoad({ ...base, ...spec }, pid);
      const row = {
        phase: name,
        mode: spec.mode === 'closed' ? `closed, ${spec.concurrency} in flight` : `open, ${spec.rate}/s`,
        callsPerSec: Math.round(r.calls / r.seconds),
        decisionsPerSec: Math.round(r.decisions / r.seconds),
        p50Ms: Math.round(r.p50Ms * 100) / 100,
        p99Ms: Math.round(r.p99Ms * 100) / 100,
        serverCpuUsPerDecision: r.decisions > 0 ? Math.round((r.serverCpuUs / r.decisions) * 10) / 10 : 0,
        errors: r.errors,
      };
      rows.push(row);
      return row;
    };

    const empty = await phase('empty handler (Health/Check)', { call: 'health', mode: 'closed', concurrency: 64 });
    const single = await phase('Authorize', { call: 'authorize', mode: 'closed', concurrency: 64 });
    const batch = await phase('AuthorizeBatch x100', { call: 'batch', mode: 'closed', concurrency: 8, batchSize: BATCH_SIZE });
    await phase('empty handler (Health/Check)', { call: 'health', mode: 'rate', rate: RATE });
    // Sign-in impact: alternate quiet and busy rounds, so that a rare stall (a WAL checkpoint,
    // a GC pause, the VM) lands in either condition, and compare the medians of their p99s.
    const quietP99: number[] = [];
    const busyP99: number[] = [];
    let signinCalls = 0;
    let signinSeconds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      quietP99.push((await phase(`Authorize (round ${round + 1})`, { call: 'authorize', mode: 'rate', rate: RATE })).p99Ms);
      // 20 concurrent sign-ins (argon2id on the libuv pool) beside the same Authorize load.
      const signins = runLoad(
        { ...base, token: undefined, call: 'signin', mode: 'closed', concurrency: 20, email, password, warmupMs: 0, durationMs: WARMUP_MS + DURATION_MS + 1000 },
        pid,
      );
      busyP99.push((await phase(`Authorize + 20 concurrent sign-ins (round ${round + 1})`, { call: 'authorize', mode: 'rate', rate: RATE })).p99Ms);
      const s = await signins;
      signinCalls += s.calls;
      signinSeconds += s.seconds;
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;

    const summary = {
      authorizeCpuOverEmpty: Math.round((single.serverCpuUsPerDecision / empty.serverCpuUsPerDecision) * 100) / 100,
      // What one call costs before any work (the empty handler), spread over the batch's 100
      // decisions: no batch of 100 can cost less per decision on this transport.
      batchTransportFloorUsPerDecision: Math.round(empty.serverCpuUsPerDecision / BATCH_SIZE * 10) / 10,
      batchAboveFloorUsPerDecision: Math.round((batch.serverCpuUsPerDecision - empty.serverCpuUsPerDecision / BATCH_SIZE) * 10) / 10,
      authorizeP99QuietMedian: median(quietP99),
      authorizeP99WithSigninsMedian: median(busyP99),
      p99Ratio: Math.round((median(busyP99) / Math.max(median(quietP99), 0.001)) * 100) / 100,
      signinsPerSec: Math.round(signinCalls / Math.max(signinSeconds, 0.001)),
    };
    const settings = { warmupMs: WARMUP_MS, durationMs: DURATION_MS, rate: RATE, signinRounds: ROUNDS, store: 'embedded (file, WAL, synchronous=FULL)', client: 'grpc-js in a separate process', permissionsPerAgent: 20 };
    console.table(rows);
    console.table([summary]);
    const out = path.join(here, 'results', 'server.json');
    writeFileSync(out, `${JSON.stringify({ machine: machine(), settings, rows, summary }, null, 2)}\n`);
    console.log(`wrote ${out}`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
