/**
 * What the server benchmarks share: the server in its own process (bench/server.ts), load
 * generators in theirs (bench/load.ts), and the server's CPU time read from /proc between the
 * load generator's MEASURE markers.
 */
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadResult, LoadSpec } from './load.js';

export const ADMIN_TOKEN = `bench-admin-${'x'.repeat(32)}`;
const CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
const here = path.dirname(new URL(import.meta.url).pathname);

export function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // After the command name: state is field 3, so utime (14) and stime (15) sit at 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / CLK_TCK) * 1e6;
}

export interface BenchServer {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The ports the server printed on its READY line, by name (`port`, `grpc`, `inject`, `bare`). */
  readonly ports: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/** Starts bench/server.ts on `dataDir` with `node`; `env` adds settings. Resolves once it printed READY. */
export async function startBenchServer(dataDir: string, env: Record<string, string> = {}, node = process.execPath): Promise<BenchServer> {
  const child = spawn(node, ['--import', 'tsx', path.join(here, 'server.ts')], {
    env: {
      ...process.env,
      KAVACH_PORT: '0',
      KAVACH_DATA_DIR: dataDir,
      KAVACH_ADMIN_TOKEN: ADMIN_TOKEN,
      KAVACH_LOG_LEVEL: 'warn',
      KAVACH_AGENT_QUOTA: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports = await new Promise<Record<string, number>>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /READY (.*)\n/.exec(out);
      if (m?.[1] !== undefined) resolve(JSON.parse(m[1]) as Record<string, number>);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    child,
    pid: child.pid ?? 0,
    ports,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Runs one load process; samples the server's CPU between its MEASURE markers. */
export function runLoad(spec: LoadSpec, serverPid: number): Promise<LoadResult & { serverCpuUs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'load.ts'), JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let cpuStart = 0;
    let cpuEnd = 0;
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'MEASURE_START') cpuStart = cpuMicros(serverPid);
        else if (line === 'MEASURE_END') cpuEnd = cpuMicros(serverPid);
        else if (line.startsWith('RESULT ')) resolve({ ...(JSON.parse(line.slice(7)) as LoadResult), serverCpuUs: cpuEnd - cpuStart });
      }
    });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
  });
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** The permissions every bench agent holds: 20 patterns, one of them matching the load's checks. */
export function benchPermissions() {
  const perms = [{ resource: 'mcp:github:*', actions: ['read'] }];
  for (let i = 0; i < 19; i++) perms.push({ resource: `mcp:tool${i}:*:item`, actions: ['read', 'write'] });
  return perms;
}
