import { describe, expect, it } from 'vitest';
import type { JsonObject } from '@bufbuild/protobuf';
import { argumentsFromProto } from '../../../src/api/mapping.js';

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
