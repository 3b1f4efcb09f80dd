#!/usr/bin/env node
// Measures the Kavach Console as shipped: the size of the committed bundle (raw, gzip, brotli)
// and its first load in real Chromium against a real Kavach on this machine: a fresh browser
// context per run (cold cache), from navigation start to the sign-in form on screen, plus the
// browser's own DOMContentLoaded, load and first-contentful-paint. Prints medians of RUNS runs.
// It then measures how long a pending approval takes to show in the inbox after the Authorize
// that created it returns (the TailAudit-driven refresh).
// Usage: node --import tsx scripts/console-measure.mjs (tsx loads gen/)   (RUNS=9 by default; CHROMIUM_PATH to override)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { chromium } from 'playwright-core';
import { AgentService } from '../gen/kavach/v1/agent_service_pb.js';
import { AuthService } from '../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService } from '../gen/kavach/v1/authorize_service_pb.js';
import { AgentType } from '../gen/kavach/v1/types_pb.js';
import { repoRoot, startKavach } from './rings/support.mjs';

const RUNS = Number(process.env.RUNS ?? 9);
const dist = path.join(repoRoot, 'clients/console/dist');

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let raw = 0;
let gz = 0;
let br = 0;
console.log('bundle (clients/console/dist):');
for (const file of files(dist)) {
  const body = readFileSync(file);
  const g = gzipSync(body, { level: 9 }).length;
  const b = brotliCompressSync(body).length;
  raw += body.length;
  gz += g;
  br += b;
  console.log(`  ${path.relative(dist, file).padEnd(32)} ${kib(body.length).padStart(10)} raw ${kib(g).padStart(10)} gzip ${kib(b).padStart(10)} brotli`);
}
console.log(`  ${'total'.padEnd(32)} ${kib(raw).padStart(10)} raw ${kib(gz).padStart(10)} gzip ${kib(br).padStart(10)} brotli`);

const kavach = await startKavach();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const shown = [];
const dcl = [];
const load = [];
const fcp = [];
let transferred = 0;
let approvalLatency;

async function measureApprovals() {
  const transport = createConnectTransport({ baseUrl: kavach.url, httpVersion: '1.1' });
  const bearer = (token) => ({ headers: { authorization: `Bearer ${token}` } });
  const auth = createClient(AuthService, transport);
  const suffix = Math.random().toString(36).slice(2, 10);
  const signed = await auth.signUp({ email: `measure-${suffix}@example.com`, password: `Kv-${suffix}-measure-horse-42` });
  const created = await createClient(AgentService, transport).createAgent(
    { name: 'measure', type: AgentType.AUTONOMOUS, permissions: [{ resource: 'mcp:x:*', actions: ['write'], constraints: { requireApproval: true } }] },
    bearer(signed.sessionToken),
  );
  const context = await browser.newContext();
  const session = JSON.stringify({ kind: 'user', token: signed.sessionToken, tenant: signed.user.tenantId, label: signed.user.email, userId: signed.user.id });
  // Runs in the page before its scripts: the console's own session key, as sign-in would set it.
  await context.addInitScript((value) => globalThis.sessionStorage.setItem('kavach.console.session', value), session);
  const page = await context.newPage();
  await page.goto(`${kavach.url}/audit`);
  await page.getByText('Streaming new entries.').waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Approvals/ }).click();
  await page.getByText('Nothing waits for you').waitFor();
  const authz = createClient(AuthorizeService, transport);
  const out = [];
  for (let i = 0; i < RUNS; i += 1) {
    const res = await authz.authorize({ action: 'write', resource: `mcp:x:${i}` }, bearer(created.token));
    const t0 = performance.now();
    await page.getByRole('listitem', { name: new RegExp(res.approvalId) }).waitFor();
    out.push(performance.now() - t0);
  }
  await context.close();
  return out;
}
try {
  for (let i = 0; i < RUNS; i += 1) {
    const context = await browser.newContext();
    const page = await context.newPage();
    let bytes = 0;
    page.on('response', async (r) => {
      const h = await r.allHeaders();
      bytes += Number(h['content-length'] ?? 0);
    });
    const t0 = performance.now();
    await page.goto(kavach.url);
    await page.getByRole('heading', { name: 'Kavach Console' }).waitFor();
    shown.push(performance.now() - t0);
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const paint = performance.getEntriesByName('first-contentful-paint')[0];
      return { dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: paint?.startTime ?? 0 };
    });
    dcl.push(timing.dcl);
    load.push(timing.load);
    fcp.push(timing.fcp);
    transferred = bytes;
    await context.close();
  }
  approvalLatency = await measureApprovals();
} finally {
  await browser.close();
  await kavach.stop();
}
console.log(`first load, cold cache, median of ${RUNS} (same machine, loopback, gzip on the wire):`);
console.log(`  sign-in form on screen   ${median(shown).toFixed(0)} ms (navigation start to the form, measured by the driver)`);
console.log(`  first contentful paint   ${median(fcp).toFixed(0)} ms`);
console.log(`  DOMContentLoaded         ${median(dcl).toFixed(0)} ms`);
console.log(`  load                     ${median(load).toFixed(0)} ms`);
console.log(`  bytes transferred        ${kib(transferred)}`);
console.log(`approval in the inbox after its Authorize returned: median ${median(approvalLatency).toFixed(0)} ms, max ${Math.max(...approvalLatency).toFixed(0)} ms (${RUNS} approvals)`);
