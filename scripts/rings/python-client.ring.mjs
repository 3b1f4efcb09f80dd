// The Python client ring: pytest in clients/python against a real Kavach on the embedded store,
// over gRPC (grpcio, sync and grpc.aio) and the Connect protocol (connectrpc, sync and asyncio).
// The venv is cached under ~/.cache/kavach by scripts/install-python-tools.sh, keyed by the hash
// of clients/python/requirements-dev.txt; the client is installed into it with
// `pip install ./clients/python`, as a user would. The README's Python example must be the file
// the tests run (clients/python/examples/quickstart.py).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countsFromJUnit, missingTool, repoRoot, startKavach } from './support.mjs';
import { readmeBlockMatches } from './readme-example.mjs';

export const name = 'python';

export async function run() {
  if (spawnSync('python3', ['--version']).status !== 0) return missingTool(name, 'python3 is not on PATH');
  const install = spawnSync('bash', ['scripts/install-python-tools.sh'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const venv = install.stdout.trim().split('\n').pop();
  if (install.status !== 0 || !venv) return missingTool(name, 'scripts/install-python-tools.sh could not build the Python venv');
  const python = path.join(venv, 'bin/python');
  const dir = path.join(repoRoot, 'clients/python');

  const counts = { passed: 0, failed: 0, skipped: 0 };
  const example = readmeBlockMatches('python', readFileSync(path.join(dir, 'examples/quickstart.py'), 'utf8'));
  if (example.ok) counts.passed += 1;
  else {
    counts.failed += 1;
    console.error(`ring python: ${example.reason}`);
  }

  // setuptools builds in the source tree; a stale build/ could ship files that no longer exist.
  rmSync(path.join(dir, 'build'), { recursive: true, force: true });
  const pip = spawnSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--no-build-isolation', '--force-reinstall', dir],
    { stdio: 'inherit' },
  );
  if (pip.status !== 0) {
    console.error('ring python: pip install ./clients/python failed');
    counts.failed += 1;
    return counts;
  }

  const work = mkdtempSync(path.join(tmpdir(), 'kavach-python-ring-'));
  const report = path.join(work, 'junit.xml');
  // Heartbeats every 100 ms let a tail with no cursor learn its position at once.
  const kavach = await startKavach({ env: { KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '100' } });
  try {
    const test = spawnSync(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', `--junitxml=${report}`], {
      cwd: dir,
      env: { ...process.env, KAVACH_URL: kavach.url, KAVACH_ADMIN_TOKEN: kavach.adminToken, MYPY_CACHE_DIR: path.join(work, 'mypy') },
      stdio: 'inherit',
    });
    let got;
    try {
      got = countsFromJUnit(report);
    } catch {
      got = { passed: 0, failed: 1, skipped: 0 };
      console.error('ring python: pytest wrote no JUnit report');
    }
    if (test.status !== 0 && got.failed === 0) got.failed = 1;
    for (const key of Object.keys(counts)) counts[key] += got[key];
  } finally {
    await kavach.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return counts;
}
