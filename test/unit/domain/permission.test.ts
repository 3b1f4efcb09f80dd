import { describe, expect, it } from 'vitest';
import { canonicalPermission, permissionKey } from '../../../src/domain/permission-key.js';
import { validatePermissions } from '../../../src/domain/permission.js';
import type { Permission } from '../../../src/domain/types.js';
import { aPermission, aTimeWindow, globRule, rangeRule, thrownBy, valuesRule } from './builders.js';

describe('permission list validation', () => {
  it.each<[string, Permission[], string]>([
    ['more than 100 permissions', Array.from({ length: 101 }, () => aPermission()), 'permissions'],
    ['a bad resource pattern', [aPermission(), aPermission({ resource: 'mcp::x' })], 'permissions[1].resource'],
    ['no actions', [aPermission({ actions: [] })], 'permissions[0].actions'],
    ['more than 32 actions', [aPermission({ actions: Array.from({ length: 33 }, (_, i) => `a${i}`) })], 'permissions[0].actions'],
    ['an empty action', [aPermission({ actions: ['read', ''] })], 'permissions[0].actions[1]'],
    ['an action over 64 characters', [aPermission({ actions: ['a'.repeat(65)] })], 'permissions[0].actions[0]'],
    ['an action with a partial wildcard', [aPermission({ actions: ['re*'] })], 'permissions[0].actions[0]'],
    ['an action with a space', [aPermission({ actions: ['read all'] })], 'permissions[0].actions[0]'],
    ['a repeated action', [aPermission({ actions: ['read', 'write', 'read'] })], 'permissions[0].actions[2]'],
    ['max_calls_per_hour of 0', [aPermission({ constraints: { maxCallsPerHour: 0 } })], 'permissions[0].constraints.max_calls_per_hour'],
    ['max_calls_per_hour over 10000', [aPermission({ constraints: { maxCallsPerHour: 10_001 } })], 'permissions[0].constraints.max_calls_per_hour'],
    ['a fractional max_calls_per_hour', [aPermission({ constraints: { maxCallsPerHour: 1.5 } })], 'permissions[0].constraints.max_calls_per_hour'],
    ['more than 100 allowlist entries', [aPermission({ constraints: { ipAllowlist: Array.from({ length: 101 }, () => '10.0.0.1') } })], 'permissions[0].constraints.ip_allowlist'],
    ['a bad allowlist entry', [aPermission(), aPermission(), aPermission({ constraints: { ipAllowlist: ['10.0.0.0/8', 'nope'] } })], 'permissions[2].constraints.ip_allowlist[1]'],
    ['a bad time window', [aPermission({ constraints: { timeWindow: aTimeWindow({ start: '10:00', end: '10:00' }) } })], 'permissions[0].constraints.time_window.end'],
    ['a bad time zone', [aPermission({ constraints: { timeWindow: aTimeWindow({ timeZone: 'Nowhere/Land' }) } })], 'permissions[0].constraints.time_window.time_zone'],
    ['a bad argument rule', [aPermission({ constraints: { argumentRules: [rangeRule('n', 2, 1)] } })], 'permissions[0].constraints.argument_rules[0].range.max'],
  ])('rejects %s, naming %s', (_name, perms, expectedField) => {
    const err = thrownBy(() => validatePermissions(perms, 'permissions'));
    expect(err.kind).toBe('invalid_argument');
    expect(err.field).toBe(expectedField);
    expect(err.message.startsWith(`${expectedField}: `)).toBe(true);
  });

  it('accepts a realistic list', () => {
    expect(() =>
      validatePermissions(
        [
          aPermission({ resource: 'mcp:github:*', actions: ['read', 'list'] }),
          aPermission({ resource: '*', actions: ['*'] }),
          aPermission({
            resource: 'tool:shell:exec',
            actions: ['call'],
            constraints: {
              maxCallsPerHour: 10_000,
              ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'],
              timeWindow: aTimeWindow({ timeZone: 'Europe/Berlin', days: ['mon'] }),
              argumentRules: [globRule('cwd', '/srv/**'), valuesRule('shell', ['bash']), rangeRule('timeout', 1, 60)],
              requireApproval: true,
            },
          }),
        ],
        'permissions',
      ),
    ).not.toThrow();
  });
});

describe('permission keys', () => {
  it('are equal for the same meaning written differently', () => {
    const a = aPermission({
      actions: ['read', 'write'],
      constraints: {
        ipAllowlist: ['10.0.0.0/8', '::1'],
        timeWindow: aTimeWindow({ days: ['tue', 'mon'], timeZone: '' }),
        argumentRules: [valuesRule('b', ['2', '1']), globRule('a', '*')],
      },
    });
    const b = aPermission({
      actions: ['write', 'read'],
      constraints: {
        ipAllowlist: ['::1', '10.0.0.0/8'],
        timeWindow: aTimeWindow({ days: ['mon', 'tue'], timeZone: 'UTC' }),
        argumentRules: [globRule('a', '*'), valuesRule('b', ['1', '2'])],
      },
    });
    expect(canonicalPermission(a)).toBe(canonicalPermission(b));
    expect(permissionKey(a)).toBe(permissionKey(b));
    expect(permissionKey(a)).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it.each<[string, Permission]>([
    ['another resource', aPermission({ resource: 'mcp:github:*' })],
    ['another action', aPermission({ actions: ['write'] })],
    ['a rate limit', aPermission({ constraints: { maxCallsPerHour: 5 } })],
    ['an approval', aPermission({ constraints: { requireApproval: true } })],
    ['an allowlist', aPermission({ constraints: { ipAllowlist: ['10.0.0.1'] } })],
  ])('differ for %s', (_name, other) => {
    expect(permissionKey(other)).not.toBe(permissionKey(aPermission()));
  });
});
