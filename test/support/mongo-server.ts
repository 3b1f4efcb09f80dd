/**
 * Finds or starts a MongoDB-compatible server for tests (docs/ARCHITECTURE.md#storage-engines).
 *
 * Order:
 *   1. env `MONGODB_URI` (must answer `ping` within a few seconds, else this throws);
 *   2. a `mongod` on PATH (or env `MONGOD_BIN`), started standalone with a temp dbpath;
 *   3. a `ferretdb` (env `FERRETDB_BIN`, then PATH, then `$HOME/go/bin`, `$GOBIN`, `$GOPATH/bin`),
 *      started with its SQLite backend in a temp dir, telemetry off, loopback only.
 * With none usable, it returns `{ skipReason }` and says why.
 *
 * `private: true` skips `MONGODB_URI` and always starts a process of our own, so that a test
 * may stop, kill and restart it (outage tests):
 *
 *   const r = await startMongoTestServer({ private: true });
 *   // if isSkip(r): skip locally, fail when process.env.CI === 'true'
 *   await r.kill!();     // SIGKILL, data kept      (r.halt!() = SIGTERM, ~3 s on FerretDB)
 *   await r.restart!();  // same binary, port and data dir; resolves once `ping` answers
 *   await r.stop();      // kill and delete the temp dir (in afterAll)
 *
 * A failed start of a FerretDB built by plain `go install` (it panics) is reported with a hint
 * to run scripts/install-ferretdb.sh.
 *
 * Servers are always bound to 127.0.0.1 on a free port. Their logs go to `<tempdir>/server.log`.
 * Child processes are killed when this Node process exits.
 *
 * This module has no vitest imports, so it is safe in vitest `globalSetup`, in scripts and in
 * test workers alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, mkdirSync, openSync, closeSync, readFileSync, realpathSync, rmSync, statSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { MongoClient } from 'mongodb';

export type MongoServerKind = 'uri' | 'mongod' | 'ferretdb';

export interface MongoTestServer {
  /** Connection string, e.g. `mongodb://127.0.0.1:40123/`. No database name in it. */
  uri: string;
  kind: MongoServerKind;
  /** True when the server is FerretDB (found via `buildInfo.ferretdbVersion`), whatever `kind`. */
  ferretdb: boolean;
  /** Present for servers this helper started. */
  pid?: number;
  port?: number;
  /** Temp dir holding the data dir, the state dir and `server.log`. Removed by `stop()`. */
  dir?: string;
  logFile?: string;
  /** Path of the binary that was started. */
  binary?: string;
  /** Kill the server (if we started it) and delete its temp dir. Idempotent. No-op for `uri`. */
  stop(): Promise<void>;
  /**
   * Only for servers we started. Stops the process if it runs (SIGTERM) and starts it again on
   * the same port and data dir, then waits for `ping`. Data survives.
   */
  restart?(): Promise<void>;
  /** Only for servers we started. SIGKILL the process, keep the data dir. `restart()` revives it. */
  kill?(): Promise<void>;
  /** Only for servers we started. Graceful stop (SIGTERM), keep the data dir. `restart()` revives it. */
  halt?(): Promise<void>;
}

export interface StartMongoTestServerOptions {
  /** Ignore `MONGODB_URI`; always start our own process. Default false. */
  private?: boolean;
  /** How long to wait for the server to answer `ping`. Default 30 000 ms. */
  startTimeoutMs?: number;
  /** Environment to read the discovery variables from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Extra arguments for a ferretdb we start, e.g. `['--test-capped-cleanup-interval=1s']`. */
  ferretdbArgs?: string[];
  /** Extra arguments for a mongod we start. */
  mongodArgs?: string[];
}

export type StartMongoTestServerResult = MongoTestServer | { skipReason: string };

export function isSkip(r: StartMongoTestServerResult): r is { skipReason: string } {
  return 'skipReason' in r;
}

/** Client options every test should use: fail fast when there is no server. */
export const TEST_CLIENT_OPTIONS = {
  serverSelectionTimeoutMS: 2000,
  connectTimeoutMS: 2000,
} as const;

/**
 * TEST_CLIENT_OPTIONS plus, for FerretDB, `maxPoolSize: 1`. FerretDB v1 (SQLite) applies updates
 * as read-then-write without a check, so concurrent updates on different connections lose writes
 * (`$inc`, `$push`, conditional updates, findOneAndUpdate claims). One connection serializes a
 * process's operations and makes them atomic again. See .ferretdb-notes.md §1.
 */
export function testClientOptions(target: { ferretdb: boolean }): { serverSelectionTimeoutMS: number; connectTimeoutMS: number; maxPoolSize?: number } {
  return target.ferretdb ? { ...TEST_CLIENT_OPTIONS, maxPoolSize: 1 } : { ...TEST_CLIENT_OPTIONS };
}

/** Whether the server at `uri` is FerretDB. False if it cannot tell. */
export async function detectFerretDB(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { ...TEST_CLIENT_OPTIONS });
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    return typeof info.ferretdbVersion === 'string';
  } catch {
    return false;
  } finally {
    await client.close(true).catch(() => undefined);
  }
}

let dbCounter = 0;

/**
 * A database name unique to this process and call: `<prefix>_<pid36>_<n>_<rand>`.
 * Kept short and in `[A-Za-z0-9_]` (FerretDB limits names to 63 characters).
 */
export function freshDatabaseName(prefix = 'kt'): string {
  const safe = prefix.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 24);
  dbCounter += 1;
  return `${safe}_${process.pid.toString(36)}_${dbCounter.toString(36)}_${randomBytes(4).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------

/** Ask the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One `ping` with short timeouts. Resolves true/false, never throws. */
export async function pingOnce(uri: string, timeoutMs = 1000): Promise<boolean> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs * 2,
    monitorCommands: false,
  });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close(true).catch(() => undefined);
  }
}

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function uniqueExecutables(paths: Array<string | undefined>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of paths) {
    if (!p || !isExecutable(p)) continue;
    let real = p;
    try {
      real = realpathSync(p);
    } catch {
      /* keep p */
    }
    if (seen.has(real)) continue;
    seen.add(real);
    out.push(p);
  }
  return out;
}

function tail(file: string, max = 2000): string {
  try {
    const s = readFileSync(file, 'utf8');
    return s.length > max ? s.slice(-max) : s;
  } catch {
    return '';
  }
}

// Every child we start, so that we can kill them if this process exits without cleaning up.
// Temp dirs of servers not yet stopped, removed at exit as well.
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of liveChildren) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* ignore */
      }
    }
    for (const d of liveDirs) {
      try {
        rmSync(d, { recursive: true, force: true });
      } catch {
        /* ignore */
      }
    }
  });
}

interface ProcessSpec {
  kind: 'mongod' | 'ferretdb';
  binary: string;
  /** Arguments for a given port and temp dir. */
  args(port: number, dir: string): string[];
  /** Prepare the temp dir (create sub dirs). */
  prepare(dir: string): void;
  env: NodeJS.ProcessEnv;
}

class ManagedServer implements MongoTestServer {
  uri: string;
  kind: 'mongod' | 'ferretdb';
  ferretdb: boolean;
  pid?: number;
  port: number;
  dir: string;
  logFile: string;
  binary: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly spec: ProcessSpec,
    port: number,
    dir: string,
    private readonly startTimeoutMs: number,
  ) {
    this.kind = spec.kind;
    this.ferretdb = spec.kind === 'ferretdb';
    this.port = port;
    this.dir = dir;
    this.logFile = join(dir, 'server.log');
    this.binary = spec.binary;
    this.uri = `mongodb://127.0.0.1:${port}/`;
  }

  /** Spawn and wait for ping. Throws with the log tail if the process exits or times out. */
  async launch(): Promise<void> {
    if (this.stopped) throw new Error('server was stopped');
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.spec.binary, this.spec.args(this.port, this.dir), {
        stdio: ['ignore', fd, fd],
        env: this.spec.env,
        cwd: this.dir,
      });
    } finally {
      closeSync(fd);
    }
    installExitHook();
    liveChildren.add(child);
    this.child = child;
    this.pid = child.pid;
    let exitInfo: string | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = `exited with code ${code}${signal ? ` (signal ${signal})` : ''}`;
        liveChildren.delete(child);
        if (this.child === child) this.child = undefined;
        resolve();
      });
      child.once('error', (err) => {
        exitInfo = `failed to spawn: ${err.message}`;
        liveChildren.delete(child);
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });

    const deadline = Date.now() + this.startTimeoutMs;
    while (Date.now() < deadline) {
      if (exitInfo !== undefined) break;
      if (await pingOnce(this.uri, 500)) return;
      if (exitInfo !== undefined) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const why = exitInfo ?? `did not answer ping within ${this.startTimeoutMs} ms`;
    await this.terminate('SIGKILL');
    const log = tail(this.logFile);
    const hint = /version\.txt/.test(log)
      ? '\nThis ferretdb was built with a plain `go install` and panics at start-up; rebuild it with scripts/install-ferretdb.sh.'
      : '';
    throw new Error(`${this.kind} (${this.binary}) ${why} on port ${this.port}.${hint}\n--- ${this.logFile} (tail) ---\n${log}`);
  }

  private async terminate(signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) return;
    const exited = this.exited;
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), graceMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
    if (timedOut) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* ignore */
      }
      await exited;
    }
  }

  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  async halt(): Promise<void> {
    await this.terminate('SIGTERM');
  }

  async restart(): Promise<void> {
    await this.terminate('SIGTERM');
    await this.launch();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // The data is thrown away, so no need for a graceful stop (FerretDB's takes ~3 s with clients
    // still connected).
    await this.terminate('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
    liveDirs.delete(this.dir);
  }
}

async function startManaged(spec: ProcessSpec, startTimeoutMs: number): Promise<ManagedServer> {
  let lastErr: unknown;
  // A free port may be grabbed by someone else between freePort() and bind: retry a few times.
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), `kavach-${spec.kind}-`));
    installExitHook();
    liveDirs.add(dir);
    spec.prepare(dir);
    const server = new ManagedServer(spec, await freePort(), dir, startTimeoutMs);
    try {
      await server.launch();
      return server;
    } catch (err) {
      lastErr = err;
      await server.stop().catch(() => undefined);
      if (!/address already in use|EADDRINUSE/i.test(String(err))) break;
    }
  }
  throw lastErr;
}

function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('FERRETDB_')) continue; // flags below are the only configuration
    out[k] = v;
  }
  out.DO_NOT_TRACK = '1';
  return out;
}

function mongodSpec(binary: string, env: NodeJS.ProcessEnv, extra: string[] = []): ProcessSpec {
  return {
    kind: 'mongod',
    binary,
    env: childEnv(env),
    prepare: (dir) => mkdirSync(join(dir, 'db'), { recursive: true }),
    args: (port, dir) => [
      '--dbpath', join(dir, 'db'),
      '--port', String(port),
      '--bind_ip', '127.0.0.1',
      '--unixSocketPrefix', dir,
      '--logpath', join(dir, 'mongod.log'),
      '--quiet',
      '--wiredTigerCacheSizeGB', '0.25',
      '--setParameter', 'diagnosticDataCollectionEnabled=false',
      ...extra,
    ],
  };
}

function ferretdbSpec(binary: string, env: NodeJS.ProcessEnv, extra: string[] = []): ProcessSpec {
  const level = env.KAVACH_FERRETDB_LOG_LEVEL ?? 'WARN';
  return {
    kind: 'ferretdb',
    binary,
    env: childEnv(env),
    prepare: (dir) => {
      mkdirSync(join(dir, 'data'), { recursive: true });
      mkdirSync(join(dir, 'state'), { recursive: true });
    },
    args: (port, dir) => [
      '--handler=sqlite',
      `--sqlite-url=file:${join(dir, 'data')}/`,
      `--listen-addr=127.0.0.1:${port}`,
      `--state-dir=${join(dir, 'state')}`,
      '--debug-addr=-', // no HTTP debug listener (its default 127.0.0.1:8088 would clash)
      '--telemetry=disable',
      `--log-level=${level}`,
      '--log-format=text',
      '--no-log-uuid',
      '--no-metrics-uuid',
      ...extra,
    ],
  };
}

/** Candidate binaries, in discovery order. */
export function findServerBinaries(env: NodeJS.ProcessEnv = process.env): { mongod: string[]; ferretdb: string[] } {
  const home = env.HOME ?? homedir();
  return {
    mongod: uniqueExecutables([env.MONGOD_BIN, onPath('mongod', env)]),
    ferretdb: uniqueExecutables([
      env.FERRETDB_BIN,
      onPath('ferretdb', env),
      join(home, 'go', 'bin', 'ferretdb'),
      env.GOBIN ? join(env.GOBIN, 'ferretdb') : undefined,
      env.GOPATH ? join(env.GOPATH.split(delimiter)[0] ?? '', 'bin', 'ferretdb') : undefined,
    ]),
  };
}

export async function startMongoTestServer(options: StartMongoTestServerOptions = {}): Promise<StartMongoTestServerResult> {
  const env = options.env ?? process.env;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;

  if (!options.private && env.MONGODB_URI) {
    const uri = env.MONGODB_URI;
    const deadline = Date.now() + 10_000;
    while (!(await pingOnce(uri, 2000))) {
      if (Date.now() > deadline) throw new Error(`MONGODB_URI is set but the server does not answer ping: ${redact(uri)}`);
    }
    return { uri, kind: 'uri', ferretdb: await detectFerretDB(uri), stop: async () => undefined };
  }

  const bins = findServerBinaries(env);
  const failures: string[] = [];
  for (const b of bins.mongod) {
    try {
      return await startManaged(mongodSpec(b, env, options.mongodArgs), startTimeoutMs);
    } catch (err) {
      failures.push(firstLines(err));
    }
  }
  for (const b of bins.ferretdb) {
    try {
      return await startManaged(ferretdbSpec(b, env, options.ferretdbArgs), startTimeoutMs);
    } catch (err) {
      failures.push(firstLines(err));
    }
  }
  const looked = `${options.private ? '' : 'MONGODB_URI is unset; '}no mongod on PATH; no ferretdb on PATH, in $HOME/go/bin, $GOBIN or $GOPATH/bin`;
  return {
    skipReason: failures.length
      ? `no usable MongoDB-compatible server: ${failures.join(' | ')}`
      : `no MongoDB-compatible server: ${looked} (run scripts/install-ferretdb.sh)`,
  };
}

function firstLines(err: unknown): string {
  const s = err instanceof Error ? err.message : String(err);
  return s.split('\n').slice(0, 2).join(' ');
}

function redact(uri: string): string {
  return uri.replace(/\/\/([^@/]*)@/, '//***@');
}
