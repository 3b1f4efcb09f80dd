/**
 * Start-up mistakes an operator can make, through `src/main.ts` as a process (issue 11 item 9):
 * each ends with exit code 1 and one clear line on stderr naming the fix, never a stack trace.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Runs main.ts to its exit; resolves with the exit code and everything it printed. */
function runMainToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { PATH: process.env.PATH ?? '', KAVACH_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

function expectOneClearLine(stderr: string, stdout: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines).toHaveLength(1);
  const [line = ''] = lines;
  expect(line).toMatch(/^kavach: /);
  expect(line).not.toMatch(/^\s*at |"stack"|\{"level"/);
  expect(stdout).not.toMatch(/"stack"/);
  return line;
}

describe('src/main.ts refuses to start, in one clear line', () => {
  let dataDir: string;
  let blocker: Server;
  let takenPort = 0;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'kavach-start-'));
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    takenPort = address.port;
  });
  afterAll(async () => {
    await new Promise((resolve) => blocker.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when the port is already in use', async () => {
    const { code, stdout, stderr } = await runMainToExit({
      KAVACH_DATA_DIR: dataDir,
      KAVACH_PORT: String(takenPort),
      KAVACH_ADMIN_TOKEN: 'kva_start-errors-admin-token-0123456789abcdef',
    });
    expect(code).toBe(1);
    const line = expectOneClearLine(stderr, stdout);
    expect(line).toContain(`127.0.0.1:${takenPort}`);
    expect(line).toContain('already in use');
    expect(line).toContain('KAVACH_PORT');
  }, 60_000);

  it.each([
    ['an agent token', 'kv_'],
    ['a session token', 'kvs_'],
  ])('when KAVACH_ADMIN_TOKEN starts with the prefix of %s (%s)', async (_what, prefix) => {
    const { code, stdout, stderr } = await runMainToExit({
      KAVACH_DATA_DIR: dataDir,
      KAVACH_PORT: '0',
      KAVACH_ADMIN_TOKEN: `${prefix}${'a'.repeat(43)}`,
    });
    expect(code).toBe(1);
    const line = expectOneClearLine(stderr, stdout);
    expect(line).toContain('KAVACH_ADMIN_TOKEN');
    expect(line).toContain(`must not start with "${prefix}"`);
  }, 60_000);
});
