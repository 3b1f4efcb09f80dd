/**
 * The CI regression gate on the native gRPC path (`npm run bench:gate`, run by .ci/run): a short,
 * bounded run (about 45 seconds) of the empty call, Authorize and AuthorizeBatch of 100,
 * alternating, and two ratios measured within it, so that the machine's speed cancels out:
 *   - Authorize CPU per call over the empty call's;
 *   - AuthorizeBatch marginal CPU per check over a CPU yardstick measured in this process
 *     (calibrationUs: protobuf-es round trips of the batch request; the empty call's CPU swings
 *     with machine load too much to divide by).
 * Fails when either is more than 1.5× its value in bench/gate-baseline.json. `--update` writes
 * the baseline from this run instead (commit it with the change that moved it, and say why).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBenchServer } from './harness.js';
import { machine } from './machine.js';
import { benchAgentToken, calibrationUs, phase, ratiosOf, type Phase } from './native-ratios.js';

const TOLERANCE = 1.5;
const timing = { warmupMs: Number(process.env.BENCH_WARMUP_MS ?? 1000), durationMs: Number(process.env.BENCH_DURATION_MS ?? 3000) };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const here = path.dirname(new URL(import.meta.url).pathname);
const baselineFile = path.join(here, 'gate-baseline.json');
const GATED = ['authorizeOverEmpty', 'batchMarginalOverCalibration'] as const;

const dataDir = mkdtempSync(path.join(tmpdir(), 'kavach-bench-gate-'));
const server = await startBenchServer(dataDir, { KAVACH_GRPC_PORT: '0' });
let failed = false;
try {
  const token = await benchAgentToken(server);
  const port = server.ports.grpc ?? Number.NaN;
  const phases: Phase[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const call of ['health', 'authorize', 'batch'] as const) phases.push(await phase(server, 'native', port, call, token, timing));
  }
  const yardstickUs = calibrationUs();
  const native = ratiosOf(phases, 'native');
  const ratios = { ...native, yardstickUs, batchMarginalOverCalibration: Math.round((native.batchMarginalUsPerCheck / yardstickUs) * 1e4) / 1e4 };
  console.log(JSON.stringify(ratios, null, 2));
  const run = { machine: machine(), settings: { ...timing, rounds: ROUNDS }, ratios };
  writeFileSync(path.join(here, 'results', 'gate.json'), `${JSON.stringify(run, null, 2)}\n`);
  if (process.argv.includes('--update')) {
    writeFileSync(baselineFile, `${JSON.stringify(run, null, 2)}\n`);
    console.log(`wrote ${baselineFile}`);
  } else {
    const baseline = (JSON.parse(readFileSync(baselineFile, 'utf8')) as typeof run).ratios;
    for (const key of GATED) {
      const limit = baseline[key] * TOLERANCE;
      const ok = ratios[key] <= limit;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${key}: ${ratios[key]} (baseline ${baseline[key]}, limit ${Math.round(limit * 1e4) / 1e4})`);
      if (!ok) failed = true;
    }
  }
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
