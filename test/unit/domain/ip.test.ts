import { describe, expect, it } from 'vitest';
import { compileIpAllowlist, normalizeIp, parseIpv4, validateIpOrCidr } from '../../../src/domain/ip.js';
import { thrownBy } from './builders.js';

describe('normalizeIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['255.255.255.255', '255.255.255.255'],
    ['0.0.0.0', '0.0.0.0'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:102:304', '1.2.3.4'],
    ['0:0:0:0:0:ffff:0102:0304', '1.2.3.4'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0000:0000:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::1', '::1'],
    ['::', '::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });

  it.each([
    '',
    'garbage',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1.2.3.-4',
    '1::2::3',
    '12345::1',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8',
    ':::',
    'fe80::1%',
    '1.2.3.4%eth0',
    '[::1]',
    '::ffff:1.2.3.256',
  ])('rejects %j', (input) => {
    expect(normalizeIp(input)).toBeUndefined();
  });

  it('parses IPv4 to an unsigned 32-bit number', () => {
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('10.0.0.1')).toBe(0x0a000001);
    expect(parseIpv4('10.0.0')).toBe(-1);
  });
});

describe('IP allowlists (docs/ARCHITECTURE.md#constraints)', () => {
  it.each([
    // IPv4 addresses and CIDRs
    [['10.0.0.0/8'], '10.1.2.3', true],
    [['10.0.0.0/8'], '11.0.0.0', false],
    [['10.0.0.0/8'], '9.255.255.255', false],
    [['192.168.1.10'], '192.168.1.10', true],
    [['192.168.1.10'], '192.168.1.11', false],
    [['192.168.1.0/31'], '192.168.1.1', true],
    [['192.168.1.0/31'], '192.168.1.2', false],
    [['0.0.0.0/0'], '203.0.113.9', true],
    [['10.0.0.1/8'], '10.200.0.1', true], // host bits below the prefix are ignored
    // IPv6
    [['2001:db8::/32'], '2001:db8:1::5', true],
    [['2001:db8::/32'], '2001:db9::5', false],
    [['::1'], '::1', true],
    [['::1'], '::2', false],
    [['fe80::/10'], 'fe80::1%eth0', true],
    [['::/0'], '2001:db8::1', true],
    // IPv4-mapped IPv6 counts as its IPv4 address, both ways
    [['10.0.0.0/8'], '::ffff:10.9.8.7', true],
    [['10.0.0.0/8'], '::ffff:11.9.8.7', false],
    [['::ffff:10.0.0.0/104'], '10.9.8.7', true],
    [['::ffff:10.0.0.0/104'], '11.9.8.7', false],
    [['::ffff:10.1.2.3'], '10.1.2.3', true],
    [['::/0'], '10.1.2.3', true],
    // one of several entries
    [['10.0.0.0/8', '2001:db8::/32', '192.168.0.1'], '192.168.0.1', true],
    [['10.0.0.0/8', '2001:db8::/32', '192.168.0.1'], '2001:db8::9', true],
    [['10.0.0.0/8', '2001:db8::/32', '192.168.0.1'], '172.16.0.1', false],
    // fail closed
    [['10.0.0.0/8'], 'not-an-ip', false],
    [['10.0.0.0/8'], '', false],
    [[], '10.0.0.1', false],
  ])('allowlist %j with IP %j → %j', (entries, ip, expected) => {
    expect(compileIpAllowlist(entries).allows(ip)).toBe(expected);
  });

  it.each(['10.0.0.0/8', '10.0.0.1', '::1', '2001:db8::/32', '::ffff:10.0.0.0/104', '0.0.0.0/0', '::/0', '::/128'])(
    'accepts the entry %j',
    (entry) => {
      expect(() => validateIpOrCidr(entry, 'ip_allowlist[0]')).not.toThrow();
    },
  );

  it.each(['', 'localhost', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08', '2001:db8::/129', 'fe80::1%eth0', '10.0.0.0/8/8', '1.2.3.4 '])(
    'rejects the entry %j, naming the field',
    (entry) => {
      const err = thrownBy(() => validateIpOrCidr(entry, 'permissions[0].constraints.ip_allowlist[2]'));
      expect(err.kind).toBe('invalid_argument');
      expect(err.field).toBe('permissions[0].constraints.ip_allowlist[2]');
    },
  );

  it('skips invalid entries at compile time instead of allowing through them', () => {
    const list = compileIpAllowlist(['nonsense', '10.0.0.0/8']);
    expect(list.size).toBe(1);
    expect(list.allows('10.0.0.1')).toBe(true);
    expect(list.allows('nonsense')).toBe(false);
  });
});
