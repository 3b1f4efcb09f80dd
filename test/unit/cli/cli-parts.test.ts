/**
 * The `kavach` command's parts that need no server: argument parsing (every mistake a usage
 * error naming the flag), connection precedence, table fitting, the progress bar and the
 * error-to-exit-code table.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError, Code, KavachError, NotFoundError, ServerError, ValidationError, AuditResult } from '../../../clients/ts/src/node.js';
import { CliError, EXIT, UsageError, exitCodeOf } from '../../../clients/cli/src/exit-codes.js';
import { parseEnum, parseKeyValues, parsePermissionFlag, parsePositiveInt, parseTimestamp } from '../../../clients/cli/src/input.js';
import { renderTable, type Terminal } from '../../../clients/cli/src/output.js';
import { progressLine } from '../../../clients/cli/src/progress.js';
import { configPath, resolveConnection, saveSession } from '../../../clients/cli/src/session.js';

describe('argument parsing', () => {
  it('reads ACTIONS@RESOURCE permissions and refuses anything else with the flag named', () => {
    expect(parsePermissionFlag('read,write@mcp:github:*', '--allow')).toMatchObject({ resource: 'mcp:github:*', actions: ['read', 'write'] });
    for (const bad of ['read', '@mcp:x', 'read@', '']) expect(() => parsePermissionFlag(bad, '--allow')).toThrow(UsageError);
    expect(() => parsePermissionFlag('read', '--approval')).toThrow(/--approval takes ACTIONS@RESOURCE/);
  });

  it('maps lower-case enum names and lists the choices otherwise', () => {
    expect(parseEnum(AuditResult, 'pending_approval', '--result')).toBe(AuditResult.PENDING_APPROVAL);
    expect(parseEnum(AuditResult, 'rate-limited', '--result')).toBe(AuditResult.RATE_LIMITED);
    expect(() => parseEnum(AuditResult, 'unspecified', '--result')).toThrow('--result must be one of allowed, denied, rate_limited, pending_approval, got "unspecified"');
  });

  it('reads key=value arguments keeping JSON types, timestamps and counts', () => {
    expect(parseKeyValues(['a=1', 'b=x', 'c=true', 'd=[1]', 'e=a=b'], '--arg')).toEqual({ a: 1, b: 'x', c: true, d: [1], e: 'a=b' });
    expect(() => parseKeyValues(['=x'], '--arg')).toThrow('--arg takes KEY=VALUE, got "=x"');
    expect(Number(parseTimestamp('2030-01-31T00:00:00Z', '--since').seconds)).toBe(Date.UTC(2030, 0, 31) / 1000);
    expect(() => parseTimestamp('tomorrow', '--since')).toThrow(/--since takes an ISO 8601 time/);
    expect(() => parsePositiveInt('0', '--limit')).toThrow('--limit must be a positive integer, got "0"');
  });
});

describe('connection precedence', () => {
  let home = '';
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('takes flags over KAVACH_* over the saved session, over the default server', async () => {
    home = await mkdtemp(path.join(tmpdir(), 'kavach-conn-'));
    const env = { HOME: home };
    expect(configPath(env)).toBe(path.join(home, '.config', 'kavach', 'config.json'));
    expect(configPath({ ...env, XDG_CONFIG_HOME: '/x' })).toBe('/x/kavach/config.json');
    await expect(resolveConnection({}, env)).rejects.toMatchObject({ exitCode: EXIT.auth });
    expect(await resolveConnection({}, env, false)).toEqual({ url: 'http://127.0.0.1:8080', token: '', tenant: undefined });
    await saveSession(env, { url: 'http://saved:1', token: 'kvs_saved', tenant: 'saved' });
    expect(await resolveConnection({}, env)).toEqual({ url: 'http://saved:1', token: 'kvs_saved', tenant: 'saved' });
    const withEnv = { ...env, KAVACH_URL: 'http://env:2/', KAVACH_TOKEN: 'kvs_env', KAVACH_TENANT: 'env' };
    expect(await resolveConnection({}, withEnv)).toEqual({ url: 'http://env:2', token: 'kvs_env', tenant: 'env' });
    expect(await resolveConnection({ url: 'https://flag:3', token: 'kvs_flag', tenant: 'flag' }, withEnv)).toEqual({ url: 'https://flag:3', token: 'kvs_flag', tenant: 'flag' });
    await expect(resolveConnection({ url: 'ftp://x' }, withEnv)).rejects.toThrow(UsageError);
  });
});

describe('output', () => {
  const term = (width: number | undefined, color = false): Terminal => ({ stdout: process.stdout, stderr: process.stderr, color, width, stderrIsTty: false });
  const columns = [
    { header: 'id', value: (r: unknown) => (r as { id: string }).id },
    { header: 'note', value: (r: unknown) => (r as { note: string }).note, style: () => 'red' as const },
  ];
  const rows = [{ id: 'agt_1', note: 'a fairly long note that will not fit\u001b[2J' }];

  it('fits tables into the terminal width, strips control characters, and colours only when told', () => {
    const wide = renderTable(term(undefined), columns, rows);
    expect(wide).toBe('ID     NOTE\nagt_1  a fairly long note that will not fit?[2J\n');
    const narrow = renderTable(term(24), columns, rows).trimEnd().split('\n');
    for (const line of narrow) expect(line.length).toBeLessThanOrEqual(24);
    expect(narrow[1]).toBe('agt_1  a fairly long no…');
    expect(renderTable(term(undefined, true), columns, rows)).toContain('\u001b[31m');
  });

  it('draws a progress bar', () => {
    expect(progressLine(0, 0, 40)).toBe(`[${'.'.repeat(30)}]  0 rows`);
    expect(progressLine(50, 100, 60)).toMatch(/^\[#+\.+\] {2}50% {2}50\/100 rows$/);
    expect(progressLine(100, 100, 60)).not.toContain('.]');
  });
});

describe('exit codes', () => {
  it('maps every failure kind to its documented code', () => {
    expect(exitCodeOf(new UsageError('x'))).toBe(2);
    expect(exitCodeOf(new CliError('x', EXIT.denied))).toBe(3);
    expect(exitCodeOf(new AuthenticationError('x', Code.Unauthenticated))).toBe(4);
    expect(exitCodeOf(new KavachError('x', Code.PermissionDenied))).toBe(4);
    expect(exitCodeOf(new NotFoundError('x', Code.NotFound))).toBe(5);
    expect(exitCodeOf(new ServerError('x', Code.Unavailable))).toBe(6);
    expect(exitCodeOf(new ServerError('x', Code.Internal))).toBe(1);
    expect(exitCodeOf(new ValidationError('x', Code.InvalidArgument))).toBe(1);
    expect(exitCodeOf(new Error('x'))).toBe(1);
  });
});
