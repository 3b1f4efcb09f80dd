import { describe, expect, it } from 'vitest';
import { forwardedHops, peerIpOf } from '../../../src/server/call-meta.js';
import { requestIdFrom } from '../../../src/server/request-id.js';

describe('requestIdFrom', () => {
  it.each(['abc', 'req-42.a_b', 'A'.repeat(64), '0f8e1c2a-9d7b-4c3e-8a1f-2b3c4d5e6f70'])('keeps the acceptable id %s', (id) => {
    expect(requestIdFrom(id)).toBe(id);
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'A'.repeat(65)],
    ['a space', 'a b'],
    ['a newline (log injection)', 'a\nb'],
    ['a quote', 'a"b'],
    ['non-ASCII', 'ä'],
  ])('replaces an id with %s by a generated one', (_name, id) => {
    const got = requestIdFrom(id);
    expect(got).not.toBe(id);
    expect(got).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
  });

  it('generates a fresh id for each request without one', () => {
    expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined));
  });
});

describe('forwardedHops', () => {
  it.each<[string | string[] | undefined, string[]]>([
    [undefined, []],
    ['', []],
    [' , 10.0.0.1', ['', '10.0.0.1']],
    ['203.0.113.9', ['203.0.113.9']],
    [' 203.0.113.9 , 10.0.0.1', ['203.0.113.9', '10.0.0.1']],
    [['2001:db8::1, 10.0.0.1', '10.0.0.2'], ['2001:db8::1', '10.0.0.1', '10.0.0.2']],
    [`${'x'.repeat(65)}, 10.0.0.1`, ['', '10.0.0.1']],
    [Array.from({ length: 20 }, (_, i) => `10.0.0.${i}`).join(','), Array.from({ length: 16 }, (_, i) => `10.0.0.${i + 4}`)],
  ])('%j -> %j', (header, expected) => {
    expect(forwardedHops(header)).toEqual(expected);
  });
});

describe('peerIpOf', () => {
  it.each<[string | undefined, string]>([
    [undefined, ''],
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::1', '::1'],
    ['not an ip', ''],
  ])('%j -> %j', (remote, expected) => {
    expect(peerIpOf(remote)).toBe(expected);
  });
});
