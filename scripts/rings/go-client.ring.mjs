// The Go client ring: `go test -json` in clients/go against a real Kavach on the embedded store,
// over gRPC (grpc-go) and the Connect protocol (connect-go). The README's Go example must be the
// file the tests run (clients/go/examples/quickstart/main.go).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { countsFromGoTestJson, missingTool, repoRoot, startKavach } from './support.mjs';
import { readmeBlockMatches } from './readme-example.mjs';

export const name = 'go';

export async function run() {
  if (spawnSync('go', ['version']).status !== 0) return missingTool(name, 'go is not on PATH');
  const dir = path.join(repoRoot, 'clients/go');
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const example = readmeBlockMatches('go', readFileSync(path.join(dir, 'examples/quickstart/main.go'), 'utf8'));
  if (example.ok) counts.passed += 1;
  else {
    counts.failed += 1;
    console.error(`ring go: ${example.reason}`);
  }

  // Heartbeats every 100 ms let a tail with no cursor learn its position at once.
  const kavach = await startKavach({ env: { KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '100' } });
  try {
    const test = spawnSync('go', ['test', '-json', '-count=1', './...'], {
      cwd: dir,
      env: { ...process.env, KAVACH_URL: kavach.url, KAVACH_ADMIN_TOKEN: kavach.adminToken },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const got = countsFromGoTestJson(test.stdout);
    reportFailures(test.stdout);
    if (test.stderr) console.error(test.stderr);
    if (test.status !== 0 && got.failed === 0) got.failed = 1; // a build failure has no test events
    for (const key of Object.keys(counts)) counts[key] += got[key];
    console.log(`ring go: ${got.passed} passed, ${got.failed} failed, ${got.skipped} skipped (go test)`);
  } finally {
    await kavach.stop();
  }
  return counts;
}

/** Prints the output of each failed test (go test -json hides it in events). */
function reportFailures(stdout) {
  const output = new Map();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line);
    const key = `${event.Package} ${event.Test ?? ''}`;
    if (event.Action === 'output') output.set(key, (output.get(key) ?? '') + event.Output);
    if (event.Action === 'fail') console.error(`--- FAIL ${key}\n${output.get(key) ?? ''}`);
  }
}
