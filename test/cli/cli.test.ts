/**
 * The `kavach` command as installed from its packed tarball (`npm pack` + `npm install -g
 * --prefix`), run as a separate process against a real server: every command, `--output json`
 * and `yaml` parsed back, exit codes, the session file's mode, and flag/env/session precedence.
 */
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../support/server.js';
import { installedKavach, removeDir, runKavach, startKavach, userEnv, type Result } from '../support/cli-install.js';

const PASSWORD = 'correct horse battery staple 7';

let srv: RunningServer;
let bin: string;
const homes: string[] = [];

beforeAll(async () => {
  [bin, srv] = await Promise.all([installedKavach(), startServer({ KAVACH_AUDIT_TAIL_HEARTBEAT_MS: '100', KAVACH_AUDIT_TAIL_POLL_MS: '20' })]);
}, 180_000);
afterAll(async () => {
  await srv?.close();
  await Promise.all(homes.map(removeDir));
});

async function aHome(): Promise<string> {
  const home = await mkdtemp(path.join(tmpdir(), 'kavach-cli-home-'));
  homes.push(home);
  return home;
}

/** A user's shell: their own home and config directory, KAVACH_URL pointing at the server. */
async function aShell(extra: Record<string, string> = {}) {
  const home = await aHome();
  const env = userEnv(home, { KAVACH_URL: srv.url, ...extra });
  const kavach = (args: string[], input?: string, more: Record<string, string> = {}, program = bin): Promise<Result> =>
    runKavach(program, args, { env: { ...env, ...more }, input, cwd: home });
  const json = async <T = Record<string, unknown>>(args: string[], input?: string): Promise<T> => {
    const res = await kavach([...args, '--output', 'json'], input);
    expect(res.stderr, args.join(' ')).not.toMatch(/^kavach: .*(Error|error)/m);
    expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
    return JSON.parse(res.stdout) as T;
  };
  return { home, env, kavach, json, configFile: path.join(home, '.config', 'kavach', 'config.json') };
}

let emails = 0;
async function aSignedUpShell() {
  const shell = await aShell();
  const email = `cli${++emails}-${Date.now()}@example.com`;
  const signup = await shell.json<{ user: { id: string; email: string } }>(['signup', '--email', email, '--name', 'Ada', '--password-stdin'], `${PASSWORD}\n`);
  return { ...shell, email, userId: signup.user.id };
}

interface AgentOut {
  agent: { id: string; name: string; status: string; permissions: { resource: string; actions: string[]; constraints?: Record<string, unknown> }[] };
  token: string;
}

describe('kavach (installed from the packed tarball)', () => {
  it('is a self-contained install outside the checkout', async () => {
    expect(bin.startsWith(tmpdir())).toBe(true);
    const res = await runKavach(bin, ['--version'], { env: userEnv(await aHome()) });
    expect(res).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const help = await runKavach(bin, ['--help'], { env: userEnv(await aHome()) });
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toMatch(/agents\s+create and manage agents/);
  });

  it('signs up and logs in with a session file only the user can read, and logs out', async () => {
    const shell = await aSignedUpShell();
    const file = await stat(shell.configFile);
    expect(file.mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(shell.configFile))).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(await readFile(shell.configFile, 'utf8')) as { url: string; token: string };
    expect(saved.url).toBe(srv.url);
    expect(saved.token).toMatch(/^kvs_/);

    // The saved session is used without any flag or variable.
    const bare = userEnv(shell.home);
    const whoami = await runKavach(bin, ['whoami', '-o', 'json'], { env: bare });
    expect(JSON.parse(whoami.stdout)).toMatchObject({ user: { email: shell.email, name: 'Ada' } });

    const login = await shell.json<{ user: { id: string } }>(['login', '--email', shell.email, '--password-stdin'], `${PASSWORD}\n`);
    expect(login.user.id).toBe(shell.userId);
    expect((await stat(shell.configFile)).mode & 0o777).toBe(0o600);
    const wrong = await shell.kavach(['login', '--email', shell.email], undefined, { KAVACH_PASSWORD: 'not the password at all' });
    expect(wrong.code).toBe(4);

    const out = await shell.json<{ removed: boolean; endedSessions: number }>(['logout']);
    expect(out).toEqual({ removed: true, endedSessions: 1 });
    await expect(stat(shell.configFile)).rejects.toMatchObject({ code: 'ENOENT' });
    const after = await runKavach(bin, ['agents', 'list'], { env: bare });
    expect(after.code).toBe(4);
    expect(after.stderr).toContain('not logged in');
  });

  it('manages agents with permissions from flags and from a YAML file', async () => {
    const shell = await aSignedUpShell();
    const created = await shell.json<AgentOut>(['agents', 'create', '--name', 'reader', '--allow', 'read,write@mcp:github:*', '--approval', 'execute@mcp:deploy:production', '--metadata', 'team=infra']);
    expect(created.token).toMatch(/^kv_/);
    expect(created.agent.permissions).toEqual([
      { resource: 'mcp:github:*', actions: ['read', 'write'], constraints: {} },
      { resource: 'mcp:deploy:production', actions: ['execute'], constraints: { requireApproval: true } },
    ]);
    await writeFile(
      path.join(shell.home, 'perms.yaml'),
      'permissions:\n  - resource: "mcp:slack:*"\n    actions: [write]\n    constraints:\n      maxCallsPerHour: 10\n      ipAllowlist: ["10.0.0.0/8"]\n',
    );
    const fromFile = await shell.json<AgentOut>(['agents', 'create', '--name', 'poster', '--type', 'service', '--permissions-file', 'perms.yaml']);
    expect(fromFile.agent.permissions).toEqual([{ resource: 'mcp:slack:*', actions: ['write'], constraints: { maxCallsPerHour: 10, ipAllowlist: ['10.0.0.0/8'] } }]);

    const list = await shell.json<{ agents: { name: string }[] }>(['agents', 'list']);
    expect(list.agents.map((a) => a.name).sort()).toEqual(['poster', 'reader']);
    const yaml = parseYaml((await shell.kavach(['agents', 'list', '--status', 'active', '-o', 'yaml'])).stdout) as { agents: { name: string }[] };
    expect(yaml.agents).toHaveLength(2);
    const id = created.agent.id;
    expect((await shell.json<AgentOut>(['agents', 'get', id])).agent.name).toBe('reader');
    const updated = await shell.json<AgentOut>(['agents', 'update', id, '--name', 'renamed', '--allow', 'read@mcp:github:*']);
    expect(updated.agent).toMatchObject({ name: 'renamed', permissions: [{ resource: 'mcp:github:*', actions: ['read'] }] });
    const rotated = await shell.json<AgentOut>(['agents', 'rotate', id]);
    expect(rotated.token).not.toBe(created.token);
    const old = await shell.kavach(['authorize', 'read', 'mcp:github:repos', '--token', created.token]);
    expect(old.code).toBe(4);
    expect((await shell.json<AgentOut>(['agents', 'revoke', id])).agent.status).toBe('AGENT_STATUS_REVOKED');

    const table = await shell.kavach(['agents', 'list'], undefined, { COLUMNS: '60' });
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+TYPE\s+STATUS/);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
    expect(table.stdout).not.toContain('\u001b[');

    // --field prints one value bare, for scripts; a missing one is an error.
    const only = await shell.kavach(['agents', 'get', fromFile.agent.id, '--field', 'agent.permissions.0.constraints.maxCallsPerHour']);
    expect(only).toMatchObject({ code: 0, stdout: '10\n' });
    expect((await shell.kavach(['agents', 'get', fromFile.agent.id, '--field', 'agent.nothing'])).code).toBe(1);

    const badFile = await shell.kavach(['agents', 'create', '--name', 'x', '--permissions-file', 'perms.yaml', '--allow', 'nonsense']);
    expect(badFile.code).toBe(2);
    await writeFile(path.join(shell.home, 'bad.json'), '[{"resource": "a", "actions": ["read"], "colour": "blue"}]');
    const unknownField = await shell.kavach(['agents', 'create', '--name', 'x', '--permissions-file', 'bad.json']);
    expect(unknownField.code).toBe(1);
    expect(unknownField.stderr).toContain('colour');
  });

  it('authorizes one call and a batch, with exit code 3 on a denial, and runs the approval flow', async () => {
    const shell = await aSignedUpShell();
    const agent = await shell.json<AgentOut>(['agents', 'create', '--name', 'deployer', '--allow', 'read@mcp:github:*', '--approval', 'execute@mcp:deploy:production']);
    const id = agent.agent.id;

    const allowed = await shell.json<{ allowed: boolean; auditId: string }>(['authorize', '--agent', id, 'read', 'mcp:github:repos']);
    expect(allowed.allowed).toBe(true);
    // The agent asking for itself with its own token.
    const self = await shell.kavach(['authorize', 'read', 'mcp:github:repos', '--arg', 'repo=kavach', '--arg', 'depth=2'], undefined, { KAVACH_TOKEN: agent.token });
    expect(self.code).toBe(0);
    expect(self.stdout).toMatch(/allowed\s+true/);
    const denied = await shell.kavach(['authorize', '--agent', id, 'write', 'mcp:github:repos', '-o', 'json']);
    expect(denied.code).toBe(3);
    expect(JSON.parse(denied.stdout)).toMatchObject({ allowed: false, reason: 'REASON_CODE_NO_MATCHING_PERMISSION' });

    await writeFile(path.join(shell.home, 'batch.yaml'), `- agentId: ${id}\n  action: read\n  resource: mcp:github:a\n- agentId: ${id}\n  action: read\n  resource: mcp:slack:b\n`);
    const batch = await shell.kavach(['authorize', '--batch', 'batch.yaml', '-o', 'json']);
    expect(batch.code).toBe(3);
    expect((JSON.parse(batch.stdout) as { decisions: { allowed: boolean }[] }).decisions.map((d) => d.allowed)).toEqual([true, false]);
    await writeFile(path.join(shell.home, 'ok.json'), JSON.stringify([{ agentId: id, action: 'read', resource: 'mcp:github:a' }]));
    expect((await shell.kavach(['authorize', '--batch', 'ok.json'])).code).toBe(0);

    const pending = await shell.kavach(['authorize', '--agent', id, 'execute', 'mcp:deploy:production', '--arg', 'version=1.2.3', '-o', 'json']);
    expect(pending.code).toBe(3);
    const approvalId = (JSON.parse(pending.stdout) as { approvalId: string }).approvalId;
    expect(approvalId).toMatch(/^apr_/);
    const list = await shell.json<{ approvals: { id: string; status: string }[] }>(['approvals', 'list', '--status', 'pending']);
    expect(list.approvals.map((a) => a.id)).toEqual([approvalId]);
    const approved = await shell.json<{ approval: { status: string } }>(['approvals', 'approve', approvalId, '--reason', 'release day']);
    expect(approved.approval.status).toBe('APPROVAL_STATUS_APPROVED');
    expect((await shell.kavach(['authorize', '--agent', id, 'execute', 'mcp:deploy:production', '--arg', 'version=1.2.3'])).code).toBe(0);
    const again = await shell.kavach(['authorize', '--agent', id, 'execute', 'mcp:deploy:production', '-o', 'json']);
    const second = (JSON.parse(again.stdout) as { approvalId: string }).approvalId;
    expect((await shell.json<{ approval: { status: string } }>(['approvals', 'deny', second])).approval.status).toBe('APPROVAL_STATUS_DENIED');
  });

  it('delegates, lists, shows effective permissions and revokes', async () => {
    const shell = await aSignedUpShell();
    const from = await shell.json<AgentOut>(['agents', 'create', '--name', 'lead', '--allow', 'read,write@mcp:github:*']);
    const to = await shell.json<AgentOut>(['agents', 'create', '--name', 'helper', '--type', 'delegated', '--allow', 'read@mcp:docs:*']);
    const created = await shell.json<{ delegation: { id: string; depth: number } }>(['delegations', 'create', '--from', from.agent.id, '--to', to.agent.id, '--allow', 'read@mcp:github:repos', '--max-depth', '2']);
    expect(created.delegation.depth).toBe(1);
    const listed = await shell.json<{ delegations: { id: string }[] }>(['delegations', 'list', to.agent.id]);
    expect(listed.delegations.map((d) => d.id)).toEqual([created.delegation.id]);
    const effective = await shell.json<{ permissions: { permission: { resource: string }; source: string }[] }>(['delegations', 'effective', to.agent.id]);
    expect(effective.permissions.map((p) => [p.permission.resource, p.source]).sort()).toEqual([
      ['mcp:docs:*', 'PERMISSION_SOURCE_OWN'],
      ['mcp:github:repos', 'PERMISSION_SOURCE_DELEGATED'],
    ]);
    expect((await shell.json<{ revokedCount: number }>(['delegations', 'revoke', created.delegation.id])).revokedCount).toBe(1);
    expect((await shell.json<{ delegations: unknown[] }>(['delegations', 'list', to.agent.id])).delegations).toEqual([]);
  });

  it('queries and exports the audit log', async () => {
    const shell = await aSignedUpShell();
    const agent = await shell.json<AgentOut>(['agents', 'create', '--name', 'audited', '--allow', 'read@mcp:github:*']);
    for (const resource of ['mcp:github:a', 'mcp:slack:b', 'mcp:github:c']) await shell.kavach(['authorize', '--agent', agent.agent.id, 'read', resource]);

    const denied = await shell.json<{ entries: { resource: string }[]; total: string }>(['audit', 'query', '--agent', agent.agent.id, '--result', 'denied']);
    expect(denied).toMatchObject({ total: '1', entries: [{ resource: 'mcp:slack:b' }] });
    const limited = await shell.json<{ entries: unknown[]; total: string }>(['audit', 'query', '--agent', agent.agent.id, '--action', 'read', '--limit', '2']);
    expect(limited.entries).toHaveLength(2);
    expect(limited.total).toBe('3');

    const jsonl = await shell.kavach(['audit', 'export', '--agent', agent.agent.id, '--action', 'read']);
    expect(jsonl.code).toBe(0);
    expect(jsonl.stderr).toBe('');
    expect(jsonl.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { resource: string }).resource)).toEqual(['mcp:github:a', 'mcp:slack:b', 'mcp:github:c']);
    const csv = await shell.kavach(['audit', 'export', '--agent', agent.agent.id, '--format', 'csv', '--out', 'audit.csv']);
    expect(csv.code).toBe(0);
    expect(csv.stderr).toContain('wrote 4 entries to audit.csv');
    const text = await readFile(path.join(shell.home, 'audit.csv'), 'utf8');
    expect(text.split('\r\n').filter((l) => l !== '')).toHaveLength(5);
    expect((await stat(path.join(shell.home, 'audit.csv'))).mode & 0o777).toBe(0o600);
    expect((await shell.kavach(['audit', 'export', '--format', 'xml'])).code).toBe(2);

    // On a terminal (a pseudo-terminal from script(1)), the export draws a progress bar on stderr.
    const tty = await shell.kavach(['-c', `${bin} audit export --agent ${agent.agent.id} --out tty.jsonl`, '/dev/null'], undefined, {}, 'script');
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(/\[#{10,}\] 100% {2}4\/4 rows/);
    expect(tty.stdout).toContain('wrote 4 entries to tty.jsonl');
  });

  it('exits with documented codes', async () => {
    const shell = await aSignedUpShell();
    expect((await shell.kavach(['bogus'])).code).toBe(2);
    expect((await shell.kavach(['agents'])).code).toBe(2);
    expect((await shell.kavach(['agents', 'list', '--output', 'xml'])).code).toBe(2);
    expect((await shell.kavach(['agents', 'create'])).code).toBe(2);
    expect((await shell.kavach(['agents', 'update', 'agt_x'])).code).toBe(2);
    expect((await shell.kavach(['authorize', 'read'])).code).toBe(2);
    expect((await shell.kavach(['completion', 'fish'])).code).toBe(2);
    const missing = await shell.kavach(['agents', 'get', 'agt_missing']);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/NotFound: .* \(request id [0-9a-f-]{36}\)/);
    expect((await shell.kavach(['agents', 'list', '--token', 'kvs_not_a_session_00000000000000000000000000000'])).code).toBe(4);
    expect((await shell.kavach(['agents', 'list', '--url', 'http://127.0.0.1:1', '--timeout', '2000'])).code).toBe(6);
    expect((await shell.kavach(['agents', 'create', '--name', ''])).code).toBe(1);
  });

  it('lets --url/--token/--tenant beat KAVACH_* variables, which beat the saved session', async () => {
    const shell = await aSignedUpShell();
    // The saved session points at a dead server: KAVACH_URL and then --url win.
    const dead = { KAVACH_URL: 'http://127.0.0.1:1' };
    expect((await shell.kavach(['whoami', '--timeout', '2000'], undefined, dead)).code).toBe(6);
    expect((await shell.kavach(['whoami', '--url', srv.url], undefined, dead)).code).toBe(0);
    // The admin token from the environment replaces the saved user session; --token beats it.
    const admin = await shell.kavach(['agents', 'list', '--owner', shell.userId, '-o', 'json'], undefined, { KAVACH_TOKEN: srv.adminToken });
    expect(admin.code).toBe(0);
    // whoami needs a session: with the admin token in the environment, the saved session is not used.
    const whoamiAdmin = await shell.kavach(['whoami'], undefined, { KAVACH_TOKEN: srv.adminToken });
    expect(whoamiAdmin.code).toBe(1);
    expect(whoamiAdmin.stderr).toContain('InvalidArgument: session_token');
    expect((await shell.kavach(['agents', 'list', '--token', 'kvs_bad_000000000000000000000000000000000000000'], undefined, { KAVACH_TOKEN: srv.adminToken })).code).toBe(4);
    // Tenants: the admin in another tenant sees none of the default tenant's agents.
    const other = await shell.json<{ agents: unknown[] }>(['agents', 'list', '--token', srv.adminToken, '--tenant', 'acme']);
    expect(other.agents).toEqual([]);
    // login with a token saves it after checking it.
    const adminShell = await aShell();
    expect((await adminShell.kavach(['login', '--token', 'kva_wrong_000000000000000000000000000000000000'])).code).toBe(4);
    expect((await adminShell.kavach(['login', '--token', srv.adminToken, '--tenant', 'acme'])).code).toBe(0);
    expect(JSON.parse(await readFile(adminShell.configFile, 'utf8'))).toMatchObject({ token: srv.adminToken, tenant: 'acme' });
    expect((await stat(adminShell.configFile)).mode & 0o777).toBe(0o600);
  });

  it('colours tables and hides the typed password only on a terminal', async () => {
    const shell = await aSignedUpShell();
    await shell.json(['agents', 'create', '--name', 'coloured', '--allow', 'read@mcp:x:*']);
    // script(1) gives the command a pseudo-terminal; its output comes back on our stdout.
    const inPty = (command: string, more: Record<string, string> = {}, input?: string) =>
      shell.kavach(['-q', '-e', '-c', command, '/dev/null'], input, more, 'script');
    const coloured = await inPty(`${bin} agents list`);
    expect(coloured.code).toBe(0);
    expect(coloured.stdout).toContain(`${String.fromCharCode(27)}[`);
    expect((await inPty(`${bin} agents list`, { NO_COLOR: '1' })).stdout).not.toContain('\u001b[');
    expect((await inPty(`${bin} agents list --no-color`)).stdout).not.toContain('\u001b[');

    // The password is typed once the prompt is up (typed ahead, the terminal itself would echo it).
    const login = startKavach('script', ['-q', '-e', '-c', `${bin} login --email ${shell.email} -o json`, '/dev/null'], { env: shell.env, cwd: shell.home, interactive: true });
    await vi.waitFor(() => expect(login.stdout()).toContain('Password: '), { timeout: 15_000 });
    login.type(`${PASSWORD}\r`);
    const prompted = await login.done;
    expect(prompted.code, prompted.stdout).toBe(0);
    expect(prompted.stdout).not.toContain(PASSWORD);
    expect(prompted.stdout).toContain(shell.userId);
  });

  it('works over every transport', async () => {
    const shell = await aSignedUpShell();
    for (const transport of ['connect', 'grpc', 'grpc-web']) {
      const res = await shell.kavach(['whoami', '--transport', transport, '-o', 'json']);
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({ user: { email: shell.email } });
    }
    expect((await shell.kavach(['whoami', '--transport', 'carrier-pigeon'])).code).toBe(2);
  });
});
