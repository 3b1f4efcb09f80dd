/**
 * The wire fuzz ring (issue 11): every RPC over Connect JSON, Connect binary, gRPC (binary and
 * JSON) and gRPC-Web (binary and JSON), against the real server on port 0, with seeded random
 * and structure-aware malformed requests (see generators.ts), many in flight at once over h2c.
 *
 * It must show: no `Internal` or `Unknown` answer and no answer without a status, no reset or
 * hung call (each has a timeout), the server still healthy at the end, and the heap (after GC)
 * flat across rounds.
 *
 *   KAVACH_FUZZ_SEED=1234 npx vitest run test/fuzz       replay a run (the seed is printed on failure)
 *   KAVACH_FUZZ_REQUESTS=100000 npx vitest run test/fuzz  a longer run (default 20,000)
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { DescMethod } from '@bufbuild/protobuf';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Health } from '../../gen/health/v1/health_pb.js';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuditService } from '../../gen/kavach/v1/audit_service_pb.js';
import { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { DelegationService } from '../../gen/kavach/v1/delegation_service_pb.js';
import { rawClient, type RawClient, type WireAnswer, type WireProtocol } from '../support/raw-rpc.js';
import { startServer, type RunningServer } from '../support/server.js';
import { createRng, fuzzRequest, type Rng } from './generators.js';

const SEED = Number(process.env.KAVACH_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TOTAL = Number(process.env.KAVACH_FUZZ_REQUESTS ?? 20_000);
const ROUNDS = 5;
const IN_FLIGHT = 64;
const SESSIONS = 2;
const REQUEST_TIMEOUT_MS = 15_000;
/**
 * TailAudit never ends by itself, and may send nothing (not even headers) while no entry
 * matches: a tail with no status after this long counts as a live stream (`open`). Its input is
 * checked before the stream starts, so a refusal still comes back at once.
 */
const LIVE_STREAM_MS = 1_000;
/** Heap growth allowed between the first measured round and any later one (after GC). */
const HEAP_GROWTH_BOUND = 24 * 1024 * 1024;
const MAX_REQUEST_BYTES = 64 * 1024;

const UNARY_PROTOCOLS: WireProtocol[] = ['connect-json', 'connect-proto', 'grpc', 'grpc-json', 'grpc-web', 'grpc-web-json'];
const STREAM_PROTOCOLS: WireProtocol[] = ['connect-stream-json', 'connect-stream-proto', 'grpc', 'grpc-web', 'grpc-web-json'];
/** Health's Watch never ends while the server serves; Check stands for the service. */
const METHODS: DescMethod[] = [AuthService, AgentService, AuthorizeService, AuditService, DelegationService, Health]
  .flatMap((s) => s.methods)
  .filter((m) => m.name !== 'Watch');
/**
 * SignUp and SignIn hash passwords (argon2id, 64 MiB, behind a small semaphore): each well-formed
 * one holds a worker for a while, so they get a smaller share, still hundreds of requests a run.
 */
const WEIGHTS = METHODS.map((m) => (m.name === 'SignUp' || m.name === 'SignIn' ? 0.15 : 1));
const WEIGHT_SUM = WEIGHTS.reduce((a, b) => a + b, 0);
function pickMethod(rng: Rng): DescMethod {
  let roll = rng() * WEIGHT_SUM;
  for (const [i, method] of METHODS.entries()) {
    roll -= WEIGHTS[i] as number;
    if (roll < 0) return method;
  }
  return METHODS[METHODS.length - 1] as DescMethod;
}
const FAULTS = new Set(['internal', 'unknown', 'none', 'data_loss']);

// GC between rounds, to compare live heap rather than garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let srv: RunningServer;
let clients: RawClient[];
beforeAll(async () => {
  srv = await startServer({ KAVACH_MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES) });
  clients = Array.from({ length: SESSIONS }, () => rawClient(srv.url));
});
afterAll(async () => {
  for (const c of clients) c.close();
  await srv.close();
});

interface Failure {
  readonly index: number;
  readonly procedure: string;
  readonly protocol: WireProtocol;
  readonly shape: string;
  readonly outcome: string;
}

function credentials(rng: Rng): Record<string, string> {
  const roll = rng();
  if (roll < 0.6) return { authorization: `Bearer ${srv.adminToken}` };
  if (roll < 0.8) return {};
  if (roll < 0.9) return { authorization: `Bearer kv_${'A'.repeat(43)}` };
  return { authorization: 'Basic x', 'kavach-tenant': 'other' };
}

/** Runs requests `from`..`to` (the rng is per request, so any one can be replayed from the seed and its index). */
async function round(from: number, to: number, codes: Map<string, number>, failures: Failure[]): Promise<void> {
  let next = from;
  const worker = async (w: number): Promise<void> => {
    const client = clients[w % SESSIONS] as RawClient;
    for (let index = next++; index < to; index = next++) {
      const rng = createRng(SEED ^ Math.imul(index + 1, 0x9e3779b1));
      const method = pickMethod(rng);
      const streaming = method.methodKind !== 'unary';
      const protocols = method.parent.typeName === 'grpc.health.v1.Health' ? UNARY_PROTOCOLS.filter((p) => p.startsWith('grpc')) : streaming ? STREAM_PROTOCOLS : UNARY_PROTOCOLS;
      const protocol = protocols[Math.floor(rng() * protocols.length)] as WireProtocol;
      const request = fuzzRequest(rng, method.input, protocol);
      const procedure = `/${method.parent.typeName}/${method.name}`;
      let answer: WireAnswer;
      const started = performance.now();
      try {
        const live = method.name === 'TailAudit' ? LIVE_STREAM_MS : undefined;
        answer = await client.call(procedure, protocol, request.body, { ...credentials(rng), ...request.headers }, REQUEST_TIMEOUT_MS, live);
      } catch (err) {
        failures.push({ index, procedure, protocol, shape: request.shape, outcome: String(err) });
        continue;
      }
      codes.set(answer.code, (codes.get(answer.code) ?? 0) + 1);
      const t = timings.get(procedure) ?? [0, 0];
      timings.set(procedure, [t[0] + 1, t[1] + performance.now() - started]);
      if (FAULTS.has(answer.code) || answer.code.startsWith('bad:')) {
        failures.push({ index, procedure, protocol, shape: request.shape, outcome: `${answer.code} (HTTP ${answer.httpStatus}): ${answer.message}` });
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => worker(w)));
}

const timings = new Map<string, [number, number]>();

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

it(
  `${TOTAL} fuzzed requests over every protocol: no Internal/Unknown, no hang, no crash, flat heap`,
  async () => {
    const codes = new Map<string, number>();
    const failures: Failure[] = [];
    const heaps: number[] = [];
    const perRound = Math.ceil(TOTAL / ROUNDS);
    for (let r = 0; r < ROUNDS; r++) {
      await round(r * perRound, Math.min(TOTAL, (r + 1) * perRound), codes, failures);
      heaps.push(heapAfterGc());
    }
    const health = await fetch(`${srv.url}/healthz`);
    const summary = {
      seed: SEED,
      requests: TOTAL,
      codes: Object.fromEntries([...codes].sort()),
      heapMiB: heaps.map((h) => Math.round(h / 1048576)),
      failures: failures.length,
      msPerCall: Object.fromEntries([...timings].map(([k, [n, ms]]) => [k, Math.round(ms / n)])),
      firstFailures: failures.slice(0, 10),
    };
    console.log(`wire fuzz: ${JSON.stringify({ ...summary, firstFailures: undefined })}`);
    // The seed (and the index of each failing request) is all it takes to replay a failure.
    expect(failures, `replay with KAVACH_FUZZ_SEED=${SEED}: ${JSON.stringify(summary, null, 1)}`).toEqual([]);
    expect([...codes.values()].reduce((a, b) => a + b, 0)).toBe(TOTAL);
    expect(health.status).toBe(200);
    // Round 1 warms caches and lazily built code; after it, live heap must not keep growing.
    const baseline = heaps[1] as number;
    for (const h of heaps.slice(2)) expect(h - baseline, `heap after GC per round (MiB): ${summary.heapMiB.join(', ')}; seed ${SEED}`).toBeLessThan(HEAP_GROWTH_BOUND);
    // Most requests must be refused as the client's mistake, or the fuzzer is not reaching the checks.
    expect((codes.get('invalid_argument') ?? 0) / TOTAL).toBeGreaterThan(0.3);
  },
  // No assertion on time; the bound only stops a run that stalls (a loaded 2-core machine took ~200 s).
  600_000,
);
