/**
 * The `kavach` command as a user gets it: `npm pack` of @kavach/cli (its prepack builds the
 * bundle), then `npm install -g --prefix <dir>` of the tarball, outside the checkout. Packing
 * and installing take seconds, so the result is kept under the OS temp directory keyed by a
 * hash of the sources, and shared by every test file and worker (a lock directory serializes
 * the first install).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

function hashTree(hash: ReturnType<typeof createHash>, dir: string): void {
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name === 'dist') continue;
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) hashTree(hash, file);
    else hash.update(file).update(readFileSync(file));
  }
}

function sourceHash(): string {
  const hash = createHash('sha256');
  hashTree(hash, path.join(ROOT, 'clients/cli'));
  hashTree(hash, path.join(ROOT, 'clients/ts/src'));
  hash.update(readFileSync(path.join(ROOT, 'package-lock.json')));
  return hash.digest('hex').slice(0, 16);
}

/** Packs `workspace` into `dir` and returns the tarball's path. */
export async function pack(workspace: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await run('npm', ['pack', '-w', workspace, '--pack-destination', dir], { cwd: ROOT, maxBuffer: 16 << 20 });
  // npm names the tarball after the package: @kavach/cli@0.1.0 -> kavach-cli-0.1.0.tgz.
  const prefix = `${workspace.replace(/^@/, '').replace('/', '-')}-`;
  const tarball = readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack -w ${workspace} wrote no tarball into ${dir}`);
  return path.join(dir, tarball);
}

/** The path of the installed `kavach` binary (installing it on first use). */
export async function installedKavach(): Promise<string> {
  const base = path.join(tmpdir(), `kavach-cli-${sourceHash()}`);
  const bin = path.join(base, 'prefix', 'bin', 'kavach');
  const done = path.join(base, 'installed');
  const lock = path.join(base, 'lock');
  mkdirSync(base, { recursive: true });
  for (;;) {
    if (existsSync(done)) return bin;
    try {
      mkdirSync(lock);
      break;
    } catch {
      await sleep(200);
    }
  }
  try {
    if (existsSync(done)) return bin;
    const tarball = await pack('@kavach/cli', path.join(base, 'pack'));
    // From the tarball only, in a directory unrelated to the checkout.
    await run('npm', ['install', '-g', '--prefix', path.join(base, 'prefix'), '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: base });
    mkdirSync(done);
    return bin;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Result {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly input?: string;
  readonly cwd?: string;
  /** Leave stdin open for `Running.type()` (ignored when `input` is given). */
  readonly interactive?: boolean;
}

/** Environment of a fresh user: their own config directory, nothing from the test's KAVACH_* variables. */
export function userEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), ...extra };
}

/** Runs the installed binary to completion (asynchronously: the server under test shares this process). */
export function runKavach(bin: string, args: readonly string[], options: RunOptions = {}): Promise<Result> {
  const child = startKavach(bin, args, options);
  return child.done;
}

export interface Running {
  readonly done: Promise<Result>;
  stdout(): string;
  stderr(): string;
  kill(signal?: NodeJS.Signals): void;
  /** Writes to stdin (interactive runs); `end` closes it after. */
  type(text: string, end?: boolean): void;
}

export function startKavach(bin: string, args: readonly string[], options: RunOptions = {}): Running {
  const child = spawn(bin, [...args], { env: options.env ?? process.env as Record<string, string>, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  if (options.input !== undefined || options.interactive !== true) child.stdin.end(options.input ?? '');
  const done = new Promise<Result>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });
  const type = (text: string, end = false) => {
    child.stdin.write(text);
    if (end) child.stdin.end();
  };
  return { done, stdout: () => out, stderr: () => err, kill: (signal = 'SIGINT') => void child.kill(signal), type };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * A throwaway npm project with @kavach/client installed from its packed tarball (dependencies
 * from the npm cache or registry), cached like the CLI install. Returns the project directory.
 */
export async function installedClientProject(): Promise<string> {
  const base = path.join(tmpdir(), `kavach-client-${sourceHash()}`);
  const project = path.join(base, 'project');
  const done = path.join(base, 'installed');
  const lock = path.join(base, 'lock');
  mkdirSync(base, { recursive: true });
  for (;;) {
    if (existsSync(done)) return project;
    try {
      mkdirSync(lock);
      break;
    } catch {
      await sleep(200);
    }
  }
  try {
    if (existsSync(done)) return project;
    const tarball = await pack('@kavach/client', path.join(base, 'pack'));
    rmSync(project, { recursive: true, force: true });
    mkdirSync(project, { recursive: true });
    await run('npm', ['init', '-y'], { cwd: project });
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: project });
    mkdirSync(done);
    return project;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
