import { describe, expect, it } from 'vitest';
import type { JsonObject } from '@bufbuild/protobuf';
import { argumentsFromProto, toTimestamp } from '../../../src/api/mapping.js';

describe('request arguments', () => {
  it.each([
    ['an own __proto__ key', '{"__proto__": {"amount": 1}}', 'arguments.__proto__'],
    ['a nested own __proto__ key', '{"outer": {"__proto__": {"a": 1}}}', 'arguments.outer.__proto__'],
    ['one inside a list', '{"list": [{"__proto__": {"a": 1}}]}', 'arguments.list[0].__proto__'],
  ])('refuses %s, naming the path', (_name, json, field) => {
    expect(() => argumentsFromProto(JSON.parse(json) as JsonObject, 'arguments')).toThrow(expect.objectContaining({ kind: 'invalid_argument', field }));
  });

  it('refuses an object whose prototype a decoder set from a __proto__ key', () => {
    const args = {} as Record<string, unknown>;
    Object.setPrototypeOf(args, { amount: 1 });
    expect(() => argumentsFromProto(args as JsonObject, 'arguments')).toThrow(expect.objectContaining({ kind: 'invalid_argument' }));
  });

  it('passes ordinary arguments through unchanged', () => {
    const args = { path: '/etc/hosts', count: 3, nested: { ok: true, list: [1, 'two'] } };
    expect(argumentsFromProto(args, 'arguments')).toEqual(args);
  });
});

describe('toTimestamp on stored times outside the protobuf JSON range', () => {
  it('clamps after 9999-12-31 to its last instant, before 0001-01-01 to its first, and reads an invalid Date as unset', () => {
    expect(toTimestamp(new Date(253_402_300_800_000))).toMatchObject({ seconds: 253_402_300_799n, nanos: 999_999_999 });
    expect(toTimestamp(new Date(-62_135_596_801_000))).toMatchObject({ seconds: -62_135_596_800n, nanos: 0 });
    expect(toTimestamp(new Date(Number.NaN))).toBeUndefined();
    expect(toTimestamp(new Date(1_700_000_000_123))).toMatchObject({ seconds: 1_700_000_000n, nanos: 123_000_000 });
  });
});
