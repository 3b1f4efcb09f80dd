// The Python SDK ring (issue 13): the published `kavachos==0.1.0` from PyPI, unchanged, driven by
// pytest against a real Kavach on the embedded store (test/python-sdk/), then schemathesis
// fuzzing the REST surface from its own OpenAPI document, bounded in examples and time.
//
// The virtual environment is cached in ~/.cache/kavach/venv-sdk-<hash of requirements.txt>, so
// it is built once per set of pinned versions; a half-built one is never used.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { countsFromJUnit, missingTool, repoRoot, startKavach } from './support.mjs';

export const name = 'python-sdk';

const testDir = path.join(repoRoot, 'test', 'python-sdk');
const requirements = path.join(testDir, 'requirements.txt');
/** Bounds of the property-based run: examples per operation and seconds overall. */
const FUZZ_EXAMPLES = process.env.KAVACH_FUZZ_EXAMPLES ?? '25';
const FUZZ_SECONDS = process.env.KAVACH_FUZZ_SECONDS ?? '120';

function findPython() {
  for (const candidate of ['python3', 'python']) {
    const probe = spawnSync(candidate, ['-c', 'import sys, venv; print(sys.version_info >= (3, 11))'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.trim() === 'True') return candidate;
  }
  return undefined;
}

function exec(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.once('error', () => resolve(127));
  });
}

/** The cached venv's directory, building it first if needed; undefined when it cannot be built. */
async function ensureVenv(python) {
  const hash = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 16);
  const venv = path.join(homedir(), '.cache', 'kavach', `venv-sdk-${hash}`);
  // A venv records its own path in its scripts, so it cannot be built elsewhere and renamed:
  // it is built in place, and only the marker written last says it is whole.
  const complete = path.join(venv, '.kavach-complete');
  if (existsSync(complete)) return venv;
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(path.dirname(venv), { recursive: true });
  if ((await exec(python, ['-m', 'venv', venv])) !== 0) return undefined;
  const pip = ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '-r', requirements];
  if ((await exec(path.join(venv, 'bin', 'python'), pip)) !== 0) return undefined;
  writeFileSync(complete, `${readFileSync(requirements, 'utf8')}`);
  return venv;
}

export async function run() {
  const python = findPython();
  if (python === undefined) return missingTool(name, 'no python3 (3.11 or later, with venv) on PATH');
  const venv = await ensureVenv(python);
  if (venv === undefined) return missingTool(name, `could not build the venv from ${path.relative(repoRoot, requirements)} (is PyPI reachable?)`);
  const kavach = await startKavach();
  const reports = mkdtempSync(path.join(tmpdir(), 'kavach-python-sdk-'));
  try {
    const env = {
      ...process.env,
      KAVACH_URL: kavach.url,
      KAVACH_ADMIN_TOKEN: kavach.adminToken,
      // The repository's Python client, for Authorize over gRPC (test/python-sdk/conftest.py).
      PYTHONPATH: path.join(repoRoot, 'clients', 'python', 'src'),
    };
    const pytestXml = path.join(reports, 'pytest.xml');
    await exec(path.join(venv, 'bin', 'python'), ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', `--junitxml=${pytestXml}`, testDir], { cwd: testDir, env });
    const fuzzXml = path.join(reports, 'schemathesis.xml');
    await exec(
      path.join(venv, 'bin', 'schemathesis'),
      [
        'run',
        `${kavach.url}/api/kavach/openapi.json`,
        '-H',
        `Authorization: Bearer ${kavach.adminToken}`,
        // No 5xx, and every answer (status, content type, body) as the document says.
        '--checks',
        'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
        '--max-examples',
        FUZZ_EXAMPLES,
        '--max-time',
        FUZZ_SECONDS,
        '--seed',
        process.env.KAVACH_FUZZ_SEED ?? '13',
        '--no-color',
        '--report',
        'junit',
        '--report-junit-path',
        fuzzXml,
      ],
      { cwd: reports, env },
    );
    const counts = [pytestXml, fuzzXml].map((file) =>
      existsSync(file) ? countsFromJUnit(file) : { passed: 0, failed: 1, skipped: 0 },
    );
    return counts.reduce((a, b) => ({ passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped }));
  } finally {
    await kavach.stop();
    rmSync(reports, { recursive: true, force: true });
  }
}
