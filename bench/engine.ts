/**
 * Decision-engine benchmark: `planDecision` in process, on a 20-permission agent with a
 * realistic mix (wildcards, an IP allowlist, argument rules with a glob, time windows in a
 * non-UTC zone, stateful permissions), over a mix of allowed and denied requests.
 *
 *   npx tsx bench/engine.ts            # about 3 s of measurement
 *   BENCH_SECONDS=10 npx tsx bench/engine.ts
 *
 * Prints a table and writes bench/results/engine.json. The target is 1M decisions/s.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planDecision, type DecisionRequest } from '../src/domain/decision.js';
import { compilePermissionSet } from '../src/domain/permission-set.js';
import { validatePermissions } from '../src/domain/permission.js';
import type { Permission } from '../src/domain/types.js';

const TARGET_PER_SECOND = 1_000_000;
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);

const none = { ipAllowlist: [], argumentRules: [], requireApproval: false };
const perm = (resource: string, actions: string[], constraints: Partial<Permission['constraints']> = {}): Permission => ({
  resource,
  actions,
  constraints: { ...none, ...constraints },
});
const office = { start: '08:00', end: '20:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, timeZone: 'Europe/Berlin' };
const night = { start: '22:00', end: '06:00', days: [] as const, timeZone: 'America/New_York' };

const permissions: Permission[] = [
  perm('mcp:github:repos', ['read', 'list']),
  perm('mcp:github:*', ['read'], { ipAllowlist: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'] }),
  perm('mcp:github:issues:*', ['create', 'comment'], { maxCallsPerHour: 100 }),
  perm('mcp:github:pulls:*', ['merge'], { requireApproval: true }),
  perm('mcp:slack:*', ['post'], { timeWindow: { ...office, days: [...office.days] } }),
  perm('mcp:slack:channels', ['list', 'read']),
  perm('mcp:*:search', ['query']),
  perm('fs:read', ['call'], { argumentRules: [{ name: 'path', kind: 'glob', glob: '/srv/app/**/*.md' }] }),
  perm('fs:write', ['call'], {
    argumentRules: [
      { name: 'path', kind: 'glob', glob: '/srv/app/tmp/**' },
      { name: 'mode', kind: 'values', values: ['append', 'overwrite'] },
    ],
  }),
  perm('http:fetch', ['call'], {
    argumentRules: [
      { name: 'url', kind: 'glob', glob: 'https://api.example.com/**' },
      { name: 'timeout_ms', kind: 'range', min: 1, max: 30_000 },
    ],
  }),
  perm('db:analytics:*', ['select'], { timeWindow: { ...night, days: [...night.days] } }),
  perm('db:analytics:events', ['select'], { ipAllowlist: ['10.1.0.0/16'] }),
  perm('db:*:users', ['select'], { maxCallsPerHour: 50 }),
  perm('admin:*:delete', ['call'], { requireApproval: true, ipAllowlist: ['10.0.0.5'] }),
  perm('billing:invoices:*', ['read', 'list']),
  perm('billing:*', ['read'], { ipAllowlist: ['192.168.10.0/24'] }),
  perm('calendar:events:*', ['read', 'create', 'update']),
  perm('*:health', ['*']),
  perm('email:send', ['call'], { argumentRules: [{ name: 'to', kind: 'glob', glob: '*@example.com' }] }),
  perm('kv:cache:*', ['get', 'set']),
];
validatePermissions(permissions, 'permissions');
const set = compilePermissionSet(permissions);

// Monday 2024-03-11 14:00 UTC: inside Berlin office hours, outside the New York night window.
const base = Date.parse('2024-03-11T14:00:00Z');
// `now` advances 1 ms per decision, as a busy service's clock would.
const clock = Array.from({ length: 4096 }, (_, i) => new Date(base + i));

const req = (action: string, resource: string, args: DecisionRequest['args'] = {}, ip: string | undefined = '10.0.0.7') => ({
  action,
  resource,
  args,
  ip,
});
const requests: { name: string; request: Omit<DecisionRequest, 'now'> }[] = [
  { name: 'exact allow', request: req('read', 'mcp:github:repos') },
  { name: 'wildcard + ip allow', request: req('read', 'mcp:github:repos:kavach') },
  { name: 'ip deny', request: req('read', 'mcp:github:gists', {}, '172.16.0.1') },
  { name: 'rate-limited (stateful)', request: req('create', 'mcp:github:issues:42') },
  { name: 'time window allow', request: req('post', 'mcp:slack:general') },
  { name: 'time window deny', request: req('select', 'db:analytics:sessions') },
  { name: 'glob allow', request: req('call', 'fs:read', { path: '/srv/app/docs/guide/intro.md' }) },
  { name: 'glob deny', request: req('call', 'fs:read', { path: '/etc/passwd' }) },
  { name: 'args allow', request: req('call', 'http:fetch', { url: 'https://api.example.com/v1/items?page=2', timeout_ms: 5000 }) },
  { name: 'range deny', request: req('call', 'http:fetch', { url: 'https://api.example.com/v1', timeout_ms: 60_000 }) },
  { name: 'no match', request: req('write', 'mcp:github:repos') },
  { name: 'no match (unknown action)', request: req('launch', 'rockets:moon') },
];

const sample: Record<string, string> = {};
for (const { name, request } of requests) {
  const plan = planDecision(set, { ...request, now: clock[0] as Date });
  sample[name] = plan.kind === 'deny' ? `deny ${plan.reason}` : plan.kind;
}

/** Runs `fn(i)` in batches until `seconds` have passed; returns decisions per second. */
function measure(seconds: number, fn: (i: number) => unknown): { count: number; ns: number } {
  const batch = 10_000;
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let count = 0;
  let sink = 0;
  for (;;) {
    for (let i = 0; i < batch; i++) if (fn(count + i) !== undefined) sink++;
    count += batch;
    if (process.hrtime.bigint() >= deadline) break;
  }
  if (sink !== count) throw new Error('unexpected undefined plan');
  return { count, ns: Number(process.hrtime.bigint() - start) };
}

const withNow = requests.map(({ request }) => ({ ...request, now: clock[0] as Date }));
const mixed = (i: number) => {
  const r = withNow[i % withNow.length] as DecisionRequest & { now: Date };
  r.now = clock[i & 4095] as Date;
  return planDecision(set, r);
};

measure(0.5, mixed); // warm-up, so the optimizing compiler has seen the hot path
const overall = measure(SECONDS, mixed);
const perSecond = (overall.count / overall.ns) * 1e9;

const rows = requests.map(({ name }, k) => {
  const r = withNow[k] as DecisionRequest & { now: Date };
  const m = measure(Math.max(0.2, SECONDS / 15), (i) => {
    r.now = clock[i & 4095] as Date;
    return planDecision(set, r);
  });
  return { name, result: sample[name] ?? '', nsPerDecision: m.ns / m.count };
});

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
};
const result = {
  benchmark: 'engine',
  date: new Date().toISOString(),
  permissions: permissions.length,
  requestMix: requests.length,
  seconds: overall.ns / 1e9,
  decisions: overall.count,
  decisionsPerSecond: Math.round(perSecond),
  nsPerDecision: Number((overall.ns / overall.count).toFixed(1)),
  target: TARGET_PER_SECOND,
  meetsTarget: perSecond >= TARGET_PER_SECOND,
  perRequest: rows.map((r) => ({ ...r, nsPerDecision: Number(r.nsPerDecision.toFixed(1)) })),
  machine,
};

const table = [
  ['request', 'result', 'ns/decision'],
  ...rows.map((r) => [r.name, r.result, r.nsPerDecision.toFixed(0)]),
  ['mixed', '', result.nsPerDecision.toFixed(0)],
];
const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
const line = (row: string[]) => row.map((cell, c) => (c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
process.stdout.write(`${line(table[0]!)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
for (const row of table.slice(1)) process.stdout.write(`${line(row)}\n`);
process.stdout.write(
  `\n${result.decisionsPerSecond.toLocaleString('en-US')} decisions/s (${result.nsPerDecision} ns/decision), ` +
    `target ${TARGET_PER_SECOND.toLocaleString('en-US')}: ${result.meetsTarget ? 'met' : 'NOT met'}\n` +
    `${machine.cpu}, ${machine.cores} cores, node ${machine.node}, ${machine.platform}\n`,
);

const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'engine.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`wrote ${out}\n`);
