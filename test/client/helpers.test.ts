/**
 * The client's pure parts: permission helpers build the generated messages, the export splitter
 * keeps quoted CSV line breaks inside a row, backoff stays within its bounds, and the browser
 * entry bundles for a browser without any Node module.
 */
import { create, equals } from '@bufbuild/protobuf';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { splitRows } from '../../clients/ts/src/audit.js';
import { backoffDelay, newRequestId } from '../../clients/ts/src/interceptors.js';
import {
  PermissionSchema,
  Weekday,
  argumentRule,
  execute,
  fullAccess,
  ipAllowlist,
  rateLimited,
  read,
  readWrite,
  timeWindow,
  withApproval,
  write,
} from '../../clients/ts/src/node.js';

describe('permission helpers', () => {
  it('build plain Permission messages and never change their input', () => {
    expect(read('mcp:github:*').actions).toEqual(['read']);
    expect(write('a').actions).toEqual(['write']);
    expect(execute('a').actions).toEqual(['execute']);
    expect(readWrite('a').actions).toEqual(['read', 'write']);
    expect(fullAccess('a').actions).toEqual(['*']);
    const base = execute('mcp:deploy:production');
    const guarded = withApproval(base);
    expect(guarded.constraints?.requireApproval).toBe(true);
    expect(base.constraints).toBeUndefined();
    const all = argumentRule(
      argumentRule(
        argumentRule(timeWindow(ipAllowlist(rateLimited(guarded, 100), ['10.0.0.0/8']), { start: '09:00', end: '17:00', days: ['monday', Weekday.FRIDAY], timeZone: 'Europe/Berlin' }), 'path', { glob: '/srv/**' }),
        'env',
        { allowedValues: ['prod', 'staging'] },
      ),
      'replicas',
      { min: 1, max: 5 },
    );
    const expected = create(PermissionSchema, {
      resource: 'mcp:deploy:production',
      actions: ['execute'],
      constraints: {
        requireApproval: true,
        maxCallsPerHour: 100,
        ipAllowlist: ['10.0.0.0/8'],
        timeWindow: { start: '09:00', end: '17:00', days: [Weekday.MONDAY, Weekday.FRIDAY], timeZone: 'Europe/Berlin' },
        argumentRules: [
          { name: 'path', rule: { case: 'glob', value: '/srv/**' } },
          { name: 'env', rule: { case: 'allowedValues', value: { values: ['prod', 'staging'] } } },
          { name: 'replicas', rule: { case: 'range', value: { min: 1, max: 5 } } },
        ],
      },
    });
    expect(equals(PermissionSchema, all, expected)).toBe(true);
  });

  it('refuse nonsense with the offending value named', () => {
    expect(() => rateLimited(read('a'), 0)).toThrow(/maxCallsPerHour.*0/);
    expect(() => timeWindow(read('a'), { start: '09:00', end: '10:00', days: ['funday' as 'monday'] })).toThrow(/funday/);
    expect(() => argumentRule(read('a'), 'n', {})).toThrow(/argumentRule n/);
  });
});

describe('splitRows', () => {
  it('splits at line ends outside quotes and keeps the unfinished rest', () => {
    expect(splitRows('a,b\r\n"x\r\ny",z\r\n"open', true)).toEqual({ rows: ['a,b', '"x\r\ny",z'], rest: '"open' });
    expect(splitRows('{"a":"\\""}\n{"b":1}\n{"c"', false)).toEqual({ rows: ['{"a":"\\""}', '{"b":1}'], rest: '{"c"' });
  });
});

describe('backoffDelay', () => {
  it('is full jitter under an exponential cap', () => {
    expect(backoffDelay(0, {}, () => 1)).toBe(100);
    expect(backoffDelay(3, {}, () => 1)).toBe(800);
    expect(backoffDelay(10, {}, () => 1)).toBe(2000);
    expect(backoffDelay(10, {}, () => 0)).toBe(0);
    expect(backoffDelay(2, { initialDelayMs: 10, maxDelayMs: 15 }, () => 0.5)).toBe(8);
  });
});

describe('newRequestId', () => {
  it('makes v4 UUIDs, also where crypto.randomUUID is missing (a browser page over plain http)', () => {
    const withoutRandomUUID = { getRandomValues: (a: Uint8Array): Uint8Array => globalThis.crypto.getRandomValues(a) };
    const ids = new Set(Array.from({ length: 100 }, () => newRequestId(withoutRandomUUID)));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newRequestId()).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('the browser entry', () => {
  it('bundles for a browser with no Node module in it', async () => {
    const result = await build({
      entryPoints: ['clients/ts/src/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]?.text ?? '';
    expect(code).toContain('createGrpcWebTransport');
    expect(code).not.toMatch(/from ["']node:|require\(["'](node:)?(http2?|net|tls)["']\)/);
  });
});
