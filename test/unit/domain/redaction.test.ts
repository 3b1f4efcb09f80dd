import { describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_ARGUMENT_NAMES, redactArguments } from '../../../src/domain/redaction.js';
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
    expect(DEFAULT_SECRET_ARGUMENT_NAMES).toEqual(['password', 'secret', 'token', 'api_key', 'authorization']);
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
