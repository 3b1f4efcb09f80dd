/**
 * `npm run bench`: every benchmark, one after the other, each in its own process so that none
 * shares a heap or CPU accounting with another. Each prints its table and writes JSON under
 * bench/results/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const only = process.argv.slice(2);
const benches = ['engine.ts', 'server-bench.ts', 'grpc-bench.ts', 'audit.ts'].filter(
  (b) => existsSync(path.join(here, b)) && (only.length === 0 || only.some((o) => b.startsWith(o))),
);
let failed = 0;
for (const bench of benches) {
  console.log(`\n=== ${bench}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, bench)], { stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
