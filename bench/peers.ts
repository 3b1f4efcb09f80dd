/**
 * `npm run bench:peers`: Kavach's native gRPC port and SpiceDB v1.56.2 side by side, same machine,
 * same run, same load generator (ghz, pinned), same settings: 16 calls in flight on one
 * connection, server CPU from /proc over the measured window. Tools are built by
 * scripts/install-peers.sh. SpiceDB runs on its in-memory datastore with the equivalent schema
 * (a reader relation); Kavach writes its durable audit entry per decision, on its embedded store.
 * Prints a table and writes bench/results/peers.json.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { cpuMicros, median, startBenchServer } from './harness.js';
import { machine } from './machine.js';
import { benchAgentToken } from './native-ratios.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const bin = (tool: string) => path.join(homedir(), 'go', 'bin', tool);
const DURATION = process.env.BENCH_PEERS_DURATION ?? '8s';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 16;
const SPICEDB_KEY = 'bench-preshared-key';
const BATCH = 100;

execFileSync('bash', [path.join(here, '..', 'scripts', 'install-peers.sh')], { stdio: 'inherit' });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

function grpcurl(addr: string, token: string, method: string, data: unknown): void {
  execFileSync(bin('grpcurl'), ['-plaintext', '-H', `authorization: Bearer ${token}`, '-d', JSON.stringify(data), addr, method], { stdio: ['ignore', 'ignore', 'inherit'] });
}

interface GhzReport {
  count: number;
  total: number;
  rps: number;
  latencyDistribution: { percentage: number; latency: number }[] | null;
  statusCodeDistribution: Record<string, number>;
}

interface Load {
  readonly call: string;
  readonly data: unknown;
  readonly token: string;
  /** Open loop at this many calls per second; closed loop (CONCURRENCY in flight) when absent. */
  readonly rate?: number;
}

/** One ghz run; server CPU read around it. Connection set-up and warm-up are excluded by a first short run. */
function ghz(addr: string, pid: number, load: Load, duration = DURATION): { report: GhzReport; cpuUs: number } {
  const args = ['--insecure', '--call', load.call, '-d', JSON.stringify(load.data), '-m', JSON.stringify({ authorization: `Bearer ${load.token}` })];
  args.push('-c', String(CONCURRENCY), '--connections', '1', '-z', duration, '--format', 'json');
  if (load.rate !== undefined) args.push('-r', String(load.rate));
  const before = cpuMicros(pid);
  const out = execFileSync(bin('ghz'), [...args, addr], { maxBuffer: 64 * 1024 * 1024 }).toString();
  const cpuUs = cpuMicros(pid) - before;
  return { report: JSON.parse(out) as GhzReport, cpuUs };
}

const ms = (ns: number | undefined) => Math.round(((ns ?? 0) / 1e6) * 100) / 100;
const pct = (r: GhzReport, p: number) => ms(r.latencyDistribution?.find((d) => d.percentage === p)?.latency);

async function startSpiceDb(): Promise<{ child: ChildProcess; addr: string }> {
  const port = await freePort();
  const child = spawn(
    bin('spicedb'),
    ['serve', '--grpc-preshared-key', SPICEDB_KEY, '--datastore-engine', 'memory', '--grpc-addr', `127.0.0.1:${port}`, '--http-enabled=false', '--metrics-enabled=false', '--telemetry-endpoint='],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  await waitForPort(port);
  const addr = `127.0.0.1:${port}`;
  grpcurl(addr, SPICEDB_KEY, 'authzed.api.v1.SchemaService/WriteSchema', {
    schema: 'definition user {}\ndefinition resource {\n  relation reader: user\n  permission read = reader\n}',
  });
  grpcurl(addr, SPICEDB_KEY, 'authzed.api.v1.PermissionsService/WriteRelationships', {
    updates: Array.from({ length: BATCH }, (_, i) => ({
      operation: 'OPERATION_TOUCH',
      relationship: { resource: { objectType: 'resource', objectId: `repo${i}` }, relation: 'reader', subject: { object: { objectType: 'user', objectId: 'bench' } } },
    })),
  });
  return { child, addr };
}

const fullyConsistent = { fullyConsistent: true };
const spiceCheck = (i: number) => ({
  resource: { objectType: 'resource', objectId: `repo${i}` },
  permission: 'read',
  subject: { object: { objectType: 'user', objectId: 'bench' } },
});

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kavach-peers-'));
  const kavach = await startBenchServer(dataDir, { KAVACH_GRPC_PORT: '0' });
  const spice = await startSpiceDb();
  try {
    const token = await benchAgentToken(kavach);
    const kAddr = `127.0.0.1:${kavach.ports.grpc ?? 0}`;
    const sPid = spice.child.pid ?? 0;
    const peers: { name: string; addr: string; pid: number; loads: Record<string, Load & { checks: number }> }[] = [
      {
        name: 'Kavach (native gRPC)',
        addr: kAddr,
        pid: kavach.pid,
        loads: {
          empty: { call: 'grpc.health.v1.Health.Check', data: {}, token, checks: 1 },
          check: { call: 'kavach.v1.AuthorizeService.Authorize', data: { action: 'read', resource: 'mcp:github:repo1' }, token, checks: 1 },
          batch: {
            call: 'kavach.v1.AuthorizeService.AuthorizeBatch',
            data: { checks: Array.from({ length: BATCH }, (_, i) => ({ action: 'read', resource: `mcp:github:repo${i}` })) },
            token,
            checks: BATCH,
          },
        },
      },
      {
        name: 'SpiceDB v1.56.2 (memory)',
        addr: spice.addr,
        pid: sPid,
        loads: {
          empty: { call: 'grpc.health.v1.Health.Check', data: {}, token: SPICEDB_KEY, checks: 1 },
          check: { call: 'authzed.api.v1.PermissionsService.CheckPermission', data: { consistency: fullyConsistent, ...spiceCheck(1) }, token: SPICEDB_KEY, checks: 1 },
          batch: {
            call: 'authzed.api.v1.PermissionsService.CheckBulkPermissions',
            data: { consistency: fullyConsistent, items: Array.from({ length: BATCH }, (_, i) => spiceCheck(i)) },
            token: SPICEDB_KEY,
            checks: BATCH,
          },
        },
      },
    ];
    const samples: { peer: string; load: string; cpuUsPerCheck: number; checksPerSec: number; p50Ms: number; p99Ms: number; errors: number }[] = [];
    for (const peer of peers) for (const load of Object.values(peer.loads)) ghz(peer.addr, peer.pid, load, '2s'); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      for (const peer of r % 2 === 0 ? peers : [...peers].reverse()) {
        for (const [kind, load] of Object.entries(peer.loads)) {
          const { report, cpuUs } = ghz(peer.addr, peer.pid, load);
          const ok = report.statusCodeDistribution.OK ?? 0;
          samples.push({
            peer: peer.name,
            load: kind,
            cpuUsPerCheck: Math.round((cpuUs / Math.max(ok * load.checks, 1)) * 10) / 10,
            checksPerSec: Math.round(report.rps * load.checks),
            p50Ms: pct(report, 50),
            p99Ms: pct(report, 99),
            errors: report.count - ok,
          });
          console.log(JSON.stringify(samples.at(-1)));
        }
      }
    }
    // Latency at a fixed rate: half of Kavach's measured single-check capacity, for both.
    const kCap = median(samples.filter((s) => s.peer === peers[0]?.name && s.load === 'check').map((s) => s.checksPerSec));
    const rate = Math.max(10, Math.round(kCap / 2));
    const fixed = peers.map((peer) => {
      const p99s: number[] = [];
      const p50s: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const { report } = ghz(peer.addr, peer.pid, { ...(peer.loads.check as Load), rate });
        p50s.push(pct(report, 50));
        p99s.push(pct(report, 99));
      }
      return { peer: peer.name, rate, p50Ms: median(p50s), p99Ms: median(p99s) };
    });
    const table = peers.flatMap((peer) =>
      Object.keys(peer.loads).map((load) => {
        const mine = samples.filter((s) => s.peer === peer.name && s.load === load);
        return {
          peer: peer.name,
          load,
          cpuUsPerCheck: median(mine.map((s) => s.cpuUsPerCheck)),
          checksPerSec: median(mine.map((s) => s.checksPerSec)),
          errors: mine.reduce((n, s) => n + s.errors, 0),
        };
      }),
    );
    const cpu = (peer: string | undefined, load: string) => table.find((t) => t.peer === peer && t.load === load)?.cpuUsPerCheck ?? NaN;
    const [k, s] = [peers[0]?.name, peers[1]?.name];
    const summary = {
      checkCpuKavachOverSpiceDb: Math.round((cpu(k, 'check') / cpu(s, 'check')) * 100) / 100,
      batchCpuPerCheckKavachOverSpiceDb: Math.round((cpu(k, 'batch') / cpu(s, 'batch')) * 100) / 100,
      emptyCpuKavachOverSpiceDb: Math.round((cpu(k, 'empty') / cpu(s, 'empty')) * 100) / 100,
    };
    console.table(table);
    console.table(fixed);
    console.log(JSON.stringify(summary, null, 2));
    const settings = { loadGenerator: 'ghz v0.120.0', concurrency: CONCURRENCY, connections: 1, duration: DURATION, rounds: ROUNDS, spicedb: 'v1.56.2, memory datastore, fully consistent checks', kavach: 'native gRPC port, embedded store (file, WAL), durable audit entry per decision' };
    const out = path.join(here, 'results', 'peers.json');
    writeFileSync(out, `${JSON.stringify({ machine: machine(), settings, table, fixedRate: fixed, summary, samples }, null, 2)}\n`);
    console.log(`wrote ${out}`);
  } finally {
    spice.child.kill('SIGTERM');
    await kavach.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
