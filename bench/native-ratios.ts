/**
 * The measurements behind bench/grpc-bench.ts and the CI gate (bench/gate.ts): server CPU per
 * call for the empty handler (grpc.health.v1.Health/Check), Authorize and AuthorizeBatch of 100
 * on one target port, and the ratios between them. Ratios taken in one run on one machine
 * cancel most of the machine's speed and noise; absolute microseconds do not travel.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { AgentService } from '../gen/kavach/v1/agent_service_pb.js';
import { AuthService } from '../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeBatchRequestSchema } from '../gen/kavach/v1/authorize_service_pb.js';
import { AgentType } from '../gen/kavach/v1/types_pb.js';
import { ADMIN_TOKEN, benchPermissions, median, runLoad, type BenchServer } from './harness.js';
import type { LoadSpec } from './load.js';

export const BATCH_SIZE = 100;

export interface Timing {
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface Phase {
  readonly target: string;
  readonly call: 'health' | 'authorize' | 'batch';
  readonly callsPerSec: number;
  readonly serverCpuUsPerCall: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

/** An agent token allowed `read` on `mcp:github:*`, made over the shared port. */
export async function benchAgentToken(server: BenchServer): Promise<string> {
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.ports.port}` });
  const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
  // The owner must be a user of the tenant: the admin signs one up first.
  const owner = await createClient(AuthService, transport).signUp(
    { email: `bench-owner-${process.hrtime.bigint()}@example.com`, password: 'Kv-bench-owner-horse-staple', name: 'bench' },
    admin,
  );
  const { token } = await createClient(AgentService, transport).createAgent(
    { ownerId: owner.user?.id ?? '', name: 'bench', type: AgentType.AUTONOMOUS, permissions: benchPermissions() },
    admin,
  );
  return token;
}

/** One closed-loop phase (64 unary calls in flight, 8 batches) against `port`. */
export async function phase(server: BenchServer, target: string, port: number, call: Phase['call'], token: string, timing: Timing): Promise<Phase> {
  const spec: LoadSpec = {
    address: `127.0.0.1:${port}`,
    call,
    mode: 'closed',
    concurrency: call === 'batch' ? 8 : 64,
    batchSize: BATCH_SIZE,
    token,
    ...timing,
  };
  const r = await runLoad(spec, server.pid);
  if (r.calls === 0) throw new Error(`${target} ${call}: no call succeeded (${r.errors} errors)`);
  return {
    target,
    call,
    callsPerSec: Math.round(r.calls / r.seconds),
    serverCpuUsPerCall: Math.round((r.serverCpuUs / r.calls) * 10) / 10,
    p50Ms: Math.round(r.p50Ms * 100) / 100,
    p99Ms: Math.round(r.p99Ms * 100) / 100,
    errors: r.errors,
  };
}

export interface Ratios {
  readonly emptyUs: number;
  readonly authorizeUs: number;
  readonly batchUsPerCall: number;
  /** Authorize CPU per call over the empty handler's. */
  readonly authorizeOverEmpty: number;
  /** AuthorizeBatch CPU per check above the call's own (empty) cost. */
  readonly batchMarginalUsPerCheck: number;
  /** The same, over the empty call's CPU: the machine-independent form the gate compares. */
  readonly batchMarginalOverEmpty: number;
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Medians over `phases` of one target, and the ratios of those medians. */
export function ratiosOf(phases: readonly Phase[], target: string): Ratios {
  const cpu = (call: Phase['call']) => median(phases.filter((p) => p.target === target && p.call === call).map((p) => p.serverCpuUsPerCall));
  const emptyUs = cpu('health');
  const authorizeUs = cpu('authorize');
  const batchUsPerCall = cpu('batch');
  const marginal = (batchUsPerCall - emptyUs) / BATCH_SIZE;
  return {
    emptyUs,
    authorizeUs,
    batchUsPerCall,
    authorizeOverEmpty: round(authorizeUs / emptyUs),
    batchMarginalUsPerCheck: round(marginal, 2),
    batchMarginalOverEmpty: round(marginal / emptyUs, 4),
  };
}

/**
 * A machine-speed yardstick measured in this process: CPU microseconds to encode and decode an
 * AuthorizeBatchRequest of 100 checks with protobuf-es (median of 5 runs of 300). The batch's
 * marginal cost per check is divided by it, not by the empty call's: the empty call's CPU moves
 * with how busy the machine is (fewer calls per event-loop turn, less amortised I/O), a pure
 * CPU loop does not, and neither does a batch's per-check work.
 */
export function calibrationUs(): number {
  const request = create(AuthorizeBatchRequestSchema, {
    checks: Array.from({ length: BATCH_SIZE }, (_, i) => ({ action: 'read', resource: `mcp:github:repo${i}` })),
  });
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < 300; i++) fromBinary(AuthorizeBatchRequestSchema, toBinary(AuthorizeBatchRequestSchema, request));
    const used = process.cpuUsage(start);
    runs.push((used.user + used.system) / 300);
  }
  return Math.round(median(runs) * 100) / 100;
}
