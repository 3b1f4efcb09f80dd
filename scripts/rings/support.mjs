// Shared by the outside test rings (scripts/rings/*.ring.mjs): a real Kavach on the embedded store
// for a ring to drive, the loud skip that fails under CI=true, and readers for other runners'
// reports.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const inCi = process.env.CI === 'true';

/**
 * Starts `src/main.ts` as a child process on port 0 with a fresh data directory and a known admin
 * token, and resolves once it is listening. `stop()` sends SIGTERM and removes the directory.
 */
export async function startKavach({ env = {}, timeoutMs = 60_000 } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kavach-ring-'));
  const adminToken = `ring-admin-${randomBytes(24).toString('base64url')}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      KAVACH_PORT: '0',
      KAVACH_HOST: '127.0.0.1',
      KAVACH_STORE: 'embedded',
      KAVACH_DATA_DIR: dataDir,
      KAVACH_ADMIN_TOKEN: adminToken,
      KAVACH_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kavach did not start within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /listening on (http:\/\/\S+?) /.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kavach exited with ${code} before listening:\n${stderr}`));
    });
  });
  return {
    url,
    adminToken,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A ring whose tool is missing: says so loudly; under CI=true that is a failure, not a skip. */
export function missingTool(ring, reason) {
  const verdict = inCi ? 'FAILED (CI=true requires it)' : 'SKIPPED';
  console.error(`\n!!! ring ${ring} ${verdict}: ${reason}\n`);
  return { passed: 0, failed: inCi ? 1 : 0, skipped: 1 };
}

/** Counts from a JUnit XML report (pytest's --junitxml): tests, failures + errors, skipped. */
export function countsFromJUnit(file) {
  const xml = readFileSync(file, 'utf8');
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const [, attrs] of xml.matchAll(/<testsuite\b([^>]*)>/g)) {
    const n = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(attrs)?.[1] ?? 0);
    const bad = n('failures') + n('errors');
    failed += bad;
    skipped += n('skipped');
    passed += n('tests') - bad - n('skipped');
  }
  return { passed, failed, skipped };
}

/** Counts from `go test -json` output: one "pass"/"fail"/"skip" action per test (not package). */
export function countsFromGoTestJson(output) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let event;
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    if (!event.Test) continue;
    if (event.Action === 'pass') counts.passed += 1;
    else if (event.Action === 'fail') counts.failed += 1;
    else if (event.Action === 'skip') counts.skipped += 1;
  }
  return counts;
}
