import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SECRET_ARGUMENT_NAMES,
  normalizeSecretName,
  redactArguments,
  redactUrlPasswords,
} from '../../../src/domain/redaction.js';
import type { Arguments } from '../../../src/domain/types.js';

describe('redactArguments (docs/ARCHITECTURE.md#audit)', () => {
  it.each<[string, Arguments, Arguments]>([
    ['an exact secret name', { password: 'hunter2', user: 'ann' }, { password: '[REDACTED]', user: 'ann' }],
    ['a name containing a secret name, any case', { GitHub_Token: 'ghp_x', X_API_KEY: 'k' }, { GitHub_Token: '[REDACTED]', X_API_KEY: '[REDACTED]' }],
    ['an authorization header', { Authorization: 'Bearer x' }, { Authorization: '[REDACTED]' }],
    ['a nested secret', { headers: { authorization: 'Bearer x', accept: 'json' } }, { headers: { authorization: '[REDACTED]', accept: 'json' } }],
    ['a secret inside an array of objects', { items: [{ secret: 's' }, { name: 'n' }] }, { items: [{ secret: '[REDACTED]' }, { name: 'n' }] }],
    ['a secret whose value is an object', { client_secret: { a: 1 } }, { client_secret: '[REDACTED]' }],
    ['nothing secret', { path: 'src/a.ts', n: 1, ok: true, none: null }, { path: 'src/a.ts', n: 1, ok: true, none: null }],
  ])('redacts %s', (_name, input, expected) => {
    expect(redactArguments(input)).toEqual(expected);
  });

  it('does not modify its input', () => {
    const input = { password: 'p', nested: { token: 't' } };
    redactArguments(input);
    expect(input).toEqual({ password: 'p', nested: { token: 't' } });
  });

  it('uses the configured names instead of the defaults', () => {
    expect(redactArguments({ pin: '1234', password: 'p' }, ['PIN'])).toEqual({ pin: '[REDACTED]', password: 'p' });
    expect(redactArguments({ 'Pin-Code': '1234', api_key: 'k' }, ['pin_code'])).toEqual({ 'Pin-Code': '[REDACTED]', api_key: 'k' });
  });

  it('keeps a "__proto__" key as plain data', () => {
    const input = JSON.parse('{"__proto__": {"token": "t"}}') as Arguments;
    const out = redactArguments(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"token":"[REDACTED]"}}');
  });

  it('truncates nesting deeper than 32 levels', () => {
    let deep: Arguments = { password: 'p' };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(JSON.stringify(redactArguments(deep))).toContain('[TRUNCATED]');
    expect(JSON.stringify(redactArguments(deep))).not.toContain('"p"');
  });
});

describe('secret names, matched after normalising case and separators (issue 11 item 7)', () => {
  it.each([
    'apiKey', 'api-key', 'API_KEY', 'x-api-key', 'X-Api-Key', 'xApiKey', 'apikey',
    'passwd', 'PASSWD', 'pwd', 'db_pwd', 'password', 'Password', 'passphrase',
    'private_key', 'privateKey', 'PRIVATE-KEY', 'ssh_private_key',
    'credentials', 'Credential', 'aws_credentials',
    'cookie', 'Cookie', 'set-cookie', 'Set-Cookie',
    'authorization', 'Authorization', 'proxy-authorization',
    'session', 'sessionId', 'session_token',
    'secret', 'client_secret', 'clientSecret', 'CLIENT-SECRET', 'secret_key',
    'token', 'access_token', 'accessToken', 'refresh_token', 'Refresh-Token', 'id_token', 'github_token',
    'aws_access_key_id', 'AccessKey', 'bearer', 'signature',
  ])('redacts %s by default', (name) => {
    expect(redactArguments({ [name]: 'the-secret-value', keep: 'visible' })).toEqual({ [name]: '[REDACTED]', keep: 'visible' });
  });

  it.each(['path', 'user', 'name', 'url', 'branch', 'count', 'repository', 'email', 'description'])('keeps %s', (name) => {
    expect(redactArguments({ [name]: 'value' })).toEqual({ [name]: 'value' });
  });

  it.each([
    ['api-key', 'apikey'],
    ['API_KEY', 'apikey'],
    ['apiKey', 'apikey'],
    ['X-Api.Key ', 'xapikey'],
  ])('normalises %s to %s', (name, normalised) => {
    expect(normalizeSecretName(name)).toBe(normalised);
  });

  it('matches configured names after normalising them too', () => {
    for (const configured of ['api-key', 'API_KEY', 'apiKey']) {
      expect(redactArguments({ 'x-api-key': 'a', apiKey: 'b', other: 'c' }, [configured])).toEqual({
        'x-api-key': '[REDACTED]',
        apiKey: '[REDACTED]',
        other: 'c',
      });
    }
  });

  it('lists the common names in the defaults', () => {
    for (const name of ['password', 'passwd', 'pwd', 'secret', 'token', 'api_key', 'private_key', 'credential', 'cookie', 'authorization', 'session']) {
      expect(DEFAULT_SECRET_ARGUMENT_NAMES).toContain(name);
    }
  });
});

describe('passwords inside URLs (issue 11 item 7)', () => {
  it.each([
    ['https://user:pass@host/repo.git', 'https://user:[REDACTED]@host/repo.git'],
    ['postgres://app:s3cr3t!@db.internal:5432/main', 'postgres://app:[REDACTED]@db.internal:5432/main'],
    ['mongodb+srv://root:p%40ss@cluster0.example.net/?retryWrites=true', 'mongodb+srv://root:[REDACTED]@cluster0.example.net/?retryWrites=true'],
    ['HTTPS://A:B@h', 'HTTPS://A:[REDACTED]@h'],
    ['https://user:p@ss@host/x', 'https://user:[REDACTED]@host/x'],
    ['https://:onlypass@host', 'https://:[REDACTED]@host'],
    ['clone https://a:one@h1 and ftp://b:two@h2 now', 'clone https://a:[REDACTED]@h1 and ftp://b:[REDACTED]@h2 now'],
    ['https://host/path?x=a:b@c', 'https://host/path?x=a:b@c'],
    ['https://git@github.com/o/r', 'https://git@github.com/o/r'],
    ['https://host:8443/x', 'https://host:8443/x'],
    ['no url here: a:b@c', 'no url here: a:b@c'],
  ])('%s', (input, expected) => {
    expect(redactUrlPasswords(input)).toBe(expected);
  });

  it('redacts them in string values at any depth, whatever the key', () => {
    const input: Arguments = {
      url: 'https://ann:hunter2@git.example.com/r.git',
      nested: { remotes: ['https://bob:letmein@h/x', { origin: 'ssh://carl:pw1@h2/y' }], n: 3 },
    };
    const out = JSON.stringify(redactArguments(input));
    for (const secret of ['hunter2', 'letmein', 'pw1']) expect(out).not.toContain(secret);
    expect(redactArguments(input)).toEqual({
      url: 'https://ann:[REDACTED]@git.example.com/r.git',
      nested: { remotes: ['https://bob:[REDACTED]@h/x', { origin: 'ssh://carl:[REDACTED]@h2/y' }], n: 3 },
    });
  });
});
