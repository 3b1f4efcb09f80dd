/**
 * Audit-log benchmark, three figures:
 *
 * 1. ingest: entries/s through the group-commit audit writer on a file-backed embedded store
 *    (WAL, synchronous=FULL, so every commit is fsynced), with many writers in flight;
 * 2. tail latency: from calling Authorize to the entry arriving on an open TailAudit stream
 *    (p50/p99), over gRPC to a real server, on the embedded store, and on MongoDB/FerretDB when
 *    KAVACH_BENCH_MONGODB_URI is set;
 * 3. export memory: 1,000,000 entries in a file-backed embedded store, exported in full as CSV
 *    through ExportAudit from a server running in a child process; the figure is the growth of
 *    the server's RSS over its idle baseline (target: under 100 MB).
 *
 *   npx tsx bench/audit.ts
 *   BENCH_EXPORT_ENTRIES=200000 BENCH_SECONDS=2 npx tsx bench/audit.ts     # quicker
 *
 * Prints a table and writes bench/results/audit.json.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { pino } from 'pino';
import { AgentService } from '../gen/kavach/v1/agent_service_pb.js';
import { AuditService, ExportFormat } from '../gen/kavach/v1/audit_service_pb.js';
import { AuthService } from '../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService } from '../gen/kavach/v1/authorize_service_pb.js';
import { AgentType } from '../gen/kavach/v1/types_pb.js';
import { createAuditWriter } from '../src/app/audit/audit-writer.js';
import { loadConfig } from '../src/config.js';
import { createServer } from '../src/server/server.js';
import { openEmbeddedStore } from '../src/store/embedded/open.js';
import type { AuditRecord } from '../src/domain/records.js';
import { machine } from './machine.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const INGEST_IN_FLIGHT = 512;
const TAIL_CALLS = Number(process.env.BENCH_TAIL_CALLS ?? 1000);
const TAIL_CALLS_MONGO = Number(process.env.BENCH_TAIL_CALLS_MONGO ?? 200);
const EXPORT_ENTRIES = Number(process.env.BENCH_EXPORT_ENTRIES ?? 1_000_000);
const EXPORT_TARGET_MB = 100;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdefghijklmnop';
const silent = pino({ level: 'silent' });
const work = mkdtempSync(join(tmpdir(), 'kavach-bench-audit-'));

let n = 0;
/** A realistic decision entry; `n` keeps ids unique without hashing. */
function anEntry(time: Date): AuditRecord {
  n += 1;
  const agent = `agt_bench${String(n % 1000).padStart(6, '0')}`;
  return {
    id: `aud_${n.toString(36).padStart(8, '0')}${randomBytes(6).toString('base64url')}`,
    tenantId: 'default',
    time,
    actor: { kind: 'agent', id: agent },
    agentId: agent,
    ownerId: `usr_bench${String(n % 97).padStart(4, '0')}`,
    action: n % 5 === 0 ? 'write' : 'read',
    resource: `mcp:github:repos:kavach-${n % 500}`,
    arguments: { repo: 'kavach', page: n % 10, token: '[REDACTED]' },
    result: n % 5 === 0 ? 'denied' : 'allowed',
    reason: n % 5 === 0 ? 'NO_MATCHING_PERMISSION' : 'ALLOWED',
    message: n % 5 === 0 ? 'no permission grants this action on this resource' : 'allowed',
    clientIp: '10.0.0.7',
    delegationChain: [],
    durationUs: 40 + (n % 200),
    approvalId: '',
  };
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

async function ingest() {
  const store = openEmbeddedStore({ path: join(work, 'ingest', 'kavach.db') });
  const writer = createAuditWriter({ store: store.audit, logger: silent });
  let commits = 0;
  writer.onCommit(() => (commits += 1));
  const run = async (seconds: number) => {
    const deadline = performance.now() + seconds * 1000;
    let written = 0;
    await Promise.all(
      Array.from({ length: INGEST_IN_FLIGHT }, async () => {
        while (performance.now() < deadline) {
          await writer.write(anEntry(new Date()));
          written += 1;
        }
      }),
    );
    return written;
  };
  await run(0.5);
  commits = 0;
  const start = performance.now();
  const written = await run(SECONDS);
  const elapsed = (performance.now() - start) / 1000;
  await writer.close();
  await store.close();
  return { entriesPerSecond: Math.round(written / elapsed), entries: written, commits, meanBatch: round(written / commits, 1) };
}

async function tailLatency(env: Record<string, string>, calls: number) {
  const config = loadConfig({ KAVACH_HOST: '127.0.0.1', KAVACH_PORT: '0', KAVACH_ADMIN_TOKEN: ADMIN_TOKEN, KAVACH_LOG_LEVEL: 'silent', ...env });
  const server = await createServer(config, { logger: silent });
  await server.listen();
  try {
    const transport = createGrpcTransport({ baseUrl: server.url() });
    const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
    // The owner must be a user of the tenant: the admin signs one up first.
    const owner = await createClient(AuthService, transport).signUp(
      { email: `bench-owner-${process.hrtime.bigint()}@example.com`, password: 'Kv-bench-owner-horse-staple', name: 'bench' },
      admin,
    );
    const created = await createClient(AgentService, transport).createAgent(
      { ownerId: owner.user?.id ?? '', name: 'bench', type: AgentType.AUTONOMOUS, permissions: [{ resource: 'mcp:github:*', actions: ['read'] }] },
      admin,
    );
    const abort = new AbortController();
    const arrived = new Map<string, number>();
    let ready: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (ready = resolve));
    const reading = (async () => {
      const stream = createClient(AuditService, transport).tailAudit({ filter: { agentId: created.agent?.id ?? '' } }, { ...admin, signal: abort.signal });
      for await (const res of stream) {
        if (res.event.case === 'heartbeat') ready();
        else if (res.event.case === 'entry') arrived.set(res.event.value.id, performance.now());
      }
    })().catch(() => undefined);
    await started;
    const authz = createClient(AuthorizeService, transport);
    const agent = { headers: { authorization: `Bearer ${created.token}` } };
    const tail: number[] = [];
    const decide: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      const { auditId } = await authz.authorize({ action: 'read', resource: `mcp:github:repos:${i}` }, agent);
      decide.push(performance.now() - t0);
      while (!arrived.has(auditId)) await new Promise((resolve) => setImmediate(resolve));
      tail.push((arrived.get(auditId) ?? 0) - t0);
    }
    abort.abort();
    await reading;
    tail.sort((a, b) => a - b);
    decide.sort((a, b) => a - b);
    return {
      calls,
      tailP50Ms: round(percentile(tail, 50)),
      tailP99Ms: round(percentile(tail, 99)),
      authorizeP50Ms: round(percentile(decide, 50)),
      authorizeP99Ms: round(percentile(decide, 99)),
    };
  } finally {
    await server.close();
  }
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb * 1024;
}

async function exportMemory() {
  const dir = join(work, 'export');
  const store = openEmbeddedStore({ path: join(dir, 'kavach.db'), synchronous: 'normal' });
  const loadStart = performance.now();
  const base = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < EXPORT_ENTRIES; i += 10_000) {
    const size = Math.min(10_000, EXPORT_ENTRIES - i);
    await store.audit.append(Array.from({ length: size }, (_, k) => anEntry(new Date(base + (i + k) * 10))));
  }
  const loadSeconds = (performance.now() - loadStart) / 1000;
  await store.close();

  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: join(dirname(fileURLToPath(import.meta.url)), '..'),
    env: { PATH: process.env.PATH ?? '', KAVACH_HOST: '127.0.0.1', KAVACH_PORT: '0', KAVACH_DATA_DIR: dir, KAVACH_ADMIN_TOKEN: ADMIN_TOKEN, KAVACH_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
        if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
      });
      child.once('exit', (code) => reject(new Error(`the server exited with ${String(code)}`)));
    });
    const pid = child.pid ?? 0;
    const audit = createClient(AuditService, createGrpcTransport({ baseUrl: url }));
    const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
    await audit.queryAudit({ pageSize: 10 }, admin);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const baseline = rssOf(pid);
    let peak = baseline;
    const timeline: number[] = [];
    let ticks = 0;
    const sampler = setInterval(() => {
      const rss = rssOf(pid);
      peak = Math.max(peak, rss);
      // One sample a second shows whether memory is flat or grows with the entries exported.
      if (++ticks % 20 === 0) timeline.push(round(rss / 2 ** 20, 0));
    }, 50);
    const start = performance.now();
    let bytes = 0;
    let lines = 0;
    for await (const chunk of audit.exportAudit({ format: ExportFormat.CSV }, admin)) {
      bytes += chunk.data.length;
      for (const b of chunk.data) if (b === 0x0a) lines += 1;
    }
    const seconds = (performance.now() - start) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, rssOf(pid));
    const growthMb = (peak - baseline) / 2 ** 20;
    if (lines !== EXPORT_ENTRIES + 1) throw new Error(`exported ${lines - 1} entries, expected ${EXPORT_ENTRIES}`);
    return {
      entries: EXPORT_ENTRIES,
      loadSeconds: round(loadSeconds, 1),
      exportSeconds: round(seconds, 1),
      entriesPerSecond: Math.round(EXPORT_ENTRIES / seconds),
      megabytes: round(bytes / 2 ** 20, 1),
      baselineRssMb: round(baseline / 2 ** 20, 1),
      peakRssMb: round(peak / 2 ** 20, 1),
      rssGrowthMb: round(growthMb, 1),
      rssEverySecondMb: timeline,
      targetMb: EXPORT_TARGET_MB,
      meetsTarget: growthMb < EXPORT_TARGET_MB,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

try {
  process.stdout.write('ingest...\n');
  const ingested = await ingest();
  process.stdout.write('tail latency (embedded)...\n');
  const tailEmbedded = await tailLatency({ KAVACH_DATA_DIR: join(work, 'tail') }, TAIL_CALLS);
  const mongoUri = process.env.KAVACH_BENCH_MONGODB_URI;
  let tailMongo: Awaited<ReturnType<typeof tailLatency>> | undefined;
  if (mongoUri !== undefined && mongoUri !== '') {
    process.stdout.write('tail latency (mongo)...\n');
    const database = `kavach_bench_audit_${randomBytes(4).toString('hex')}`;
    tailMongo = await tailLatency({ KAVACH_STORE: 'mongo', MONGODB_URI: mongoUri, KAVACH_MONGODB_DATABASE: database }, TAIL_CALLS_MONGO);
  }
  process.stdout.write(`export memory (${EXPORT_ENTRIES.toLocaleString('en-US')} entries)...\n`);
  const exported = await exportMemory();

  const rows: string[][] = [
    ['measure', 'value'],
    ['ingest (writer, file, fsync per commit)', `${ingested.entriesPerSecond.toLocaleString('en-US')} entries/s (mean batch ${ingested.meanBatch})`],
    ['tail latency, embedded p50 / p99', `${tailEmbedded.tailP50Ms} / ${tailEmbedded.tailP99Ms} ms (Authorize ${tailEmbedded.authorizeP50Ms} / ${tailEmbedded.authorizeP99Ms} ms)`],
    ...(tailMongo === undefined
      ? [['tail latency, mongo', 'skipped (set KAVACH_BENCH_MONGODB_URI)']]
      : [['tail latency, mongo p50 / p99', `${tailMongo.tailP50Ms} / ${tailMongo.tailP99Ms} ms (Authorize ${tailMongo.authorizeP50Ms} / ${tailMongo.authorizeP99Ms} ms)`]]),
    ['export CSV, server RSS growth', `${exported.rssGrowthMb} MB (target < ${EXPORT_TARGET_MB}: ${exported.meetsTarget ? 'met' : 'NOT met'})`],
    ['export CSV, throughput', `${exported.entriesPerSecond.toLocaleString('en-US')} entries/s, ${exported.megabytes} MB in ${exported.exportSeconds} s`],
  ];
  const width = Math.max(...rows.map((r) => (r[0] ?? '').length));
  for (const [i, r] of rows.entries()) {
    process.stdout.write(`${(r[0] ?? '').padEnd(width)}  ${r[1] ?? ''}\n`);
    if (i === 0) process.stdout.write(`${'-'.repeat(width)}  ${'-'.repeat(40)}\n`);
  }
  const m = machine();
  process.stdout.write(`${m.cpu}, ${m.cores} cores, node ${m.node}\n`);

  const result = {
    benchmark: 'audit',
    machine: m,
    settings: {
      ingestSeconds: SECONDS,
      ingestInFlight: INGEST_IN_FLIGHT,
      ingestStore: 'embedded (file, WAL, synchronous=FULL)',
      tailCalls: TAIL_CALLS,
      tailCallsMongo: tailMongo === undefined ? 0 : TAIL_CALLS_MONGO,
      tailTransport: 'connect-node gRPC (h2c), client and server in one process, sequential Authorize calls',
      exportEntries: EXPORT_ENTRIES,
      exportServer: 'src/main.ts in a child process, embedded store on a file',
    },
    ingest: ingested,
    tailEmbedded,
    tailMongo: tailMongo ?? null,
    export: exported,
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'audit.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
