#!/usr/bin/env node
// `npm test`: the vitest ring, then every outside ring in scripts/rings/*.ring.mjs (Python, Go,
// browser...), and finally the plain closing line "N passed, N failed, N skipped" that CI reads
// (vitest's own summary is not one it knows), summed over every ring. Exits non-zero when any
// ring failed.
//
//   npm test                       every ring
//   npm test -- test/unit          only vitest, with these arguments (outside rings are skipped)
//   KAVACH_RINGS=vitest,go npm test   only the named rings
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const vitestArgs = process.argv.slice(2);
const chosen = process.env.KAVACH_RINGS?.split(',').map((s) => s.trim()).filter(Boolean);
const wanted = (name) => (chosen ? chosen.includes(name) : name === 'vitest' || vitestArgs.length === 0);

function runVitest() {
  const dir = mkdtempSync(path.join(tmpdir(), 'kavach-test-'));
  const report = path.join(dir, 'report.json');
  const run = spawnSync(
    'npx',
    ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs],
    { stdio: 'inherit' },
  );
  const counts = { passed: 0, failed: 0, skipped: 0 };
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    counts.passed = json.numPassedTests ?? 0;
    // A file that failed without a failing test (it did not load, a hook threw) counts once; a
    // failing test is not counted again through its describe blocks and file.
    const brokenFiles = (json.testResults ?? []).filter(
      (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
    ).length;
    counts.failed = (json.numFailedTests ?? 0) + brokenFiles;
    counts.skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  } catch {
    counts.failed += 1;
    console.error('no vitest report was written');
  }
  rmSync(dir, { recursive: true, force: true });
  if (run.status !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

const rings = [{ name: 'vitest', run: runVitest }];
for (const file of readdirSync(path.join(here, 'rings')).filter((f) => f.endsWith('.ring.mjs')).sort()) {
  const ring = await import(pathToFileURL(path.join(here, 'rings', file)).href);
  rings.push({ name: ring.name, run: ring.run });
}

const total = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
for (const ring of rings) {
  if (!wanted(ring.name)) continue;
  let counts;
  try {
    counts = await ring.run();
  } catch (err) {
    console.error(`ring ${ring.name} crashed:`, err);
    counts = { passed: 0, failed: 1, skipped: 0 };
  }
  for (const key of Object.keys(total)) total[key] += counts[key] ?? 0;
  lines.push(`  ${ring.name.padEnd(12)} ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
}
console.log(['', 'rings:', ...lines].join('\n'));
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
