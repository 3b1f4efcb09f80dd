/**
 * Every snippet the README marks with `<!-- readme-test: NAME -->` runs as written against a
 * real server: the shell ones in bash (`set -e`, so every line must succeed) with the CLI
 * installed exactly as the README says, the TypeScript ones (types stripped by esbuild, nothing
 * else changed) in a project where @kavach/client was installed from its packed tarball.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedClientProject, installedKavach } from '../support/cli-install.js';
import { startServer, type RunningServer } from '../support/server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

async function snippets(): Promise<Map<string, { lang: string; code: string }>> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const found = new Map<string, { lang: string; code: string }>();
  for (const m of readme.matchAll(/<!-- readme-test: ([\w-]+) -->\n```(\w+)\n([\s\S]*?)```/g)) found.set(m[1] ?? '', { lang: m[2] ?? '', code: m[3] ?? '' });
  return found;
}

let srv: RunningServer;
let project: string;
let work: string;
beforeAll(async () => {
  // The installs other test files share are finished first: the README's own `npm pack` then
  // rebuilds clients/cli/dist while nobody else packs.
  [, project, srv] = await Promise.all([installedKavach(), installedClientProject(), startServer({ KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '100' })]);
  work = await mkdtemp(path.join(tmpdir(), 'kavach-readme-'));
}, 180_000);
afterAll(async () => {
  await srv?.close();
  await rm(work, { recursive: true, force: true });
  await rm(path.join(ROOT, 'kavach-cli-0.1.0.tgz'), { force: true });
});

describe('README snippets', () => {
  it('are all found', async () => {
    expect([...(await snippets()).keys()]).toEqual(['cli-install', 'cli-journey', 'client-journey', 'client-reference']);
  });

  it('install the CLI and walk the whole journey with it', async () => {
    const all = await snippets();
    const prefix = path.join(work, 'global');
    const home = path.join(work, 'home');
    const env = {
      PATH: `${path.join(prefix, 'bin')}:${process.env.PATH ?? ''}`,
      HOME: home,
      // `npm install -g` installs here instead of the machine's global prefix.
      npm_config_prefix: prefix,
      KAVACH_URL: srv.url,
      KAVACH_PASSWORD: 'a long passphrase for ada',
    };
    const install = await run('bash', ['-e', '-o', 'pipefail', '-c', all.get('cli-install')?.code ?? 'false'], { cwd: ROOT, env });
    expect(install.stderr).not.toMatch(/ERR!/);
    expect(existsSync(path.join(prefix, 'bin', 'kavach'))).toBe(true);

    await run('mkdir', ['-p', home]);
    const journey = await run('bash', ['-e', '-o', 'pipefail', '-c', all.get('cli-journey')?.code ?? 'false'], { cwd: home, env });
    expect(journey.stdout).toContain('not yet: exit code 3');
    expect(journey.stdout).toMatch(/read@mcp:github:repos\s+delegated/);
    expect(journey.stdout).toMatch(/"action": "execute"/);
    const csv = await readFile(path.join(home, 'audit.csv'), 'utf8');
    expect(csv.startsWith('id,tenant_id,time')).toBe(true);
    expect(csv).toContain('delegation.create');
    // logged out: the session file is gone
    expect(existsSync(path.join(home, '.config', 'kavach', 'config.json'))).toBe(false);
  }, 120_000);

  async function runTs(name: string, code: string): Promise<string> {
    const js = await transform(code, { loader: 'ts', format: 'esm', target: 'node20' });
    const file = path.join(project, `readme-${name}.mjs`);
    await writeFile(file, js.code);
    const { stdout } = await run(process.execPath, [file], { cwd: project, env: { ...process.env, KAVACH_URL: srv.url, KAVACH_TOKEN: srv.adminToken } });
    return stdout;
  }

  it('walk the journey with @kavach/client', async () => {
    const out = await runTs('client-journey', (await snippets()).get('client-journey')?.code ?? '');
    expect(out).toMatch(/^\d+ audit entries about deployer$/m);
    expect(out).toContain('id,tenant_id,time');
    expect(out).toMatch(/,execute,mcp:deploy:production,/);
  });

  it('show typed errors, options and the tail', async () => {
    const out = await runTs('client-reference', (await snippets()).get('client-reference')?.code ?? '');
    expect(out).toMatch(/^NotFound: agent agt_missing not found \(request id [0-9a-f-]{36}\)$/m);
  });
});
