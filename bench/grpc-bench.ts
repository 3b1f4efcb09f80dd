/**
 * Native gRPC benchmark (issue 17), one server process, one grpc-js load generator at a time:
 *   - the routing choice (docs/grpc.md): server CPU per empty call and per Authorize on
 *     `shared` (today's port, connect-node), `native` (grpc-js on its own port) and `inject`
 *     (the same grpc-js server behind the shared port's sniffing, createConnectionInjector),
 *     plus `bare` grpc-js with a constant Health/Check answer, the floor;
 *   - on the native path: Authorize CPU over the empty call's, AuthorizeBatch marginal CPU per check.
 * Rounds alternate the targets so that drift lands on all of them; medians are reported.
 * Prints tables and writes bench/results/grpc.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median, startBenchServer } from './harness.js';
import { machine } from './machine.js';
import { benchAgentToken, phase, ratiosOf, type Phase } from './native-ratios.js';

const timing = { warmupMs: Number(process.env.BENCH_WARMUP_MS ?? 1500), durationMs: Number(process.env.BENCH_DURATION_MS ?? 4000) };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const here = path.dirname(new URL(import.meta.url).pathname);

const dataDir = mkdtempSync(path.join(tmpdir(), 'kavach-bench-grpc-'));
const server = await startBenchServer(dataDir, { KAVACH_GRPC_PORT: '0', BENCH_ROUTING: '1' });
try {
  const token = await benchAgentToken(server);
  const portOf = (name: string): number => server.ports[name] ?? Number.NaN;
  const [port, grpc, inject, bare] = ['port', 'grpc', 'inject', 'bare'].map(portOf) as [number, number, number, number];
  const targets: [string, number, Phase['call'][]][] = [
    ['shared (connect-node)', port, ['health', 'authorize']],
    ['native (grpc-js port)', grpc, ['health', 'authorize', 'batch']],
    ['inject (grpc-js via shared-port sniffing)', inject, ['health', 'authorize']],
    ['bare grpc-js', bare, ['health']],
  ];
  const phases: Phase[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round so that no target always runs first (or last).
    const order = [...targets.slice(r % targets.length), ...targets.slice(0, r % targets.length)];
    for (const [target, p, calls] of order) {
      for (const call of calls) {
        const ph = await phase(server, target, p, call, token, timing);
        phases.push(ph);
        console.log(`round ${r + 1}: ${target} ${call}: ${ph.serverCpuUsPerCall} µs CPU/call, ${ph.callsPerSec} calls/s`);
      }
    }
  }
  const table = targets.flatMap(([target, , calls]) =>
    calls.map((call) => {
      const mine = phases.filter((p) => p.target === target && p.call === call);
      return {
        target,
        call,
        serverCpuUsPerCall: median(mine.map((p) => p.serverCpuUsPerCall)),
        callsPerSec: median(mine.map((p) => p.callsPerSec)),
        p99Ms: median(mine.map((p) => p.p99Ms)),
        errors: mine.reduce((n, p) => n + p.errors, 0),
      };
    }),
  );
  const cpuOf = (target: string, call: Phase['call']) => table.find((t) => t.target === target && t.call === call)?.serverCpuUsPerCall ?? NaN;
  const native = ratiosOf(phases, 'native (grpc-js port)');
  const summary = {
    native,
    nativeEmptyOverBare: Math.round((cpuOf('native (grpc-js port)', 'health') / cpuOf('bare grpc-js', 'health')) * 100) / 100,
    injectEmptyOverNative: Math.round((cpuOf('inject (grpc-js via shared-port sniffing)', 'health') / native.emptyUs) * 100) / 100,
    injectAuthorizeOverNative: Math.round((cpuOf('inject (grpc-js via shared-port sniffing)', 'authorize') / native.authorizeUs) * 100) / 100,
    sharedAuthorizeOverNative: Math.round((cpuOf('shared (connect-node)', 'authorize') / native.authorizeUs) * 100) / 100,
  };
  console.table(table);
  console.log(JSON.stringify(summary, null, 2));
  const settings = { ...timing, rounds: ROUNDS, concurrency: '64 unary / 8 batches of 100 in flight, one connection', client: 'grpc-js 1.14.7 in a separate process', store: 'embedded (file, WAL)' };
  const out = path.join(here, 'results', 'grpc.json');
  writeFileSync(out, `${JSON.stringify({ machine: machine(), settings, table, summary, phases }, null, 2)}\n`);
  console.log(`wrote ${out}`);
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
