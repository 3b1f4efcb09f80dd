import { describe, expect, it } from 'vitest';
import {
  coverAll,
  coverByAny,
  coverEach,
  coverPermission,
  depthLimit,
  earliest,
  mergeConstraints,
} from '../../../src/domain/delegation.js';
import { ipEntryWithin } from '../../../src/domain/ip.js';
import type { Constraints, Permission } from '../../../src/domain/types.js';
import { aPermission, aTimeWindow, globRule, rangeRule, valuesRule } from './builders.js';

const none: Constraints = { ipAllowlist: [], argumentRules: [], requireApproval: false };
const c = (overrides: Partial<Constraints>): Constraints => ({ ...none, ...overrides });

describe('coverPermission: resource and actions (docs/ARCHITECTURE.md#delegation)', () => {
  it.each<[string, string, string[], string[], boolean]>([
    // [parent resource, child resource, parent actions, child actions, covered]
    ['mcp:github:*', 'mcp:github:repos', ['read'], ['read'], true],
    ['mcp:github:*', 'mcp:github:repos:*', ['read'], ['read'], true],
    ['mcp:github:*', 'mcp:github:*', ['read'], ['read'], true],
    ['mcp:github:*', 'mcp:*', ['read'], ['read'], false],
    ['mcp:github:*', 'mcp:gitlab:repos', ['read'], ['read'], false],
    ['mcp:github:*', 'mcp:github', ['read'], ['read'], false],
    ['mcp:github:repos', 'mcp:github:repos', ['read'], ['read'], true],
    ['mcp:github:repos', 'mcp:github:*', ['read'], ['read'], false],
    // a middle * the parent does not cover
    ['mcp:github:*', 'mcp:*:repos', ['read'], ['read'], false],
    ['mcp:*:repos', 'mcp:github:repos', ['read'], ['read'], true],
    ['mcp:*:repos', 'mcp:*:repos', ['read'], ['read'], true],
    ['mcp:*:repos', 'mcp:*:*', ['read'], ['read'], false],
    ['*', 'anything:at:all', ['read'], ['read'], true],
    ['*', '*', ['read'], ['read'], true],
    // actions
    ['mcp:*', 'mcp:x', ['read', 'write'], ['read'], true],
    ['mcp:*', 'mcp:x', ['read'], ['read', 'write'], false],
    ['mcp:*', 'mcp:x', ['*'], ['delete', 'write'], true],
    ['mcp:*', 'mcp:x', ['*'], ['*'], true],
    ['mcp:*', 'mcp:x', ['read', 'write'], ['*'], false],
  ])('parent %s %j covers child %s %j: %s', (pr, cr, pa, ca, covered) => {
    const result = coverPermission(aPermission({ resource: pr, actions: pa }), aPermission({ resource: cr, actions: ca }));
    expect(result.ok).toBe(covered);
  });
});

describe('mergeConstraints: the child inherits the parent constraints', () => {
  it.each<[string, Constraints, Constraints, Partial<Constraints>]>([
    ['no constraints on either side', none, none, none],
    ['the smaller hourly limit, parent smaller', c({ maxCallsPerHour: 5 }), c({ maxCallsPerHour: 50 }), { maxCallsPerHour: 5 }],
    ['the smaller hourly limit, child smaller', c({ maxCallsPerHour: 50 }), c({ maxCallsPerHour: 5 }), { maxCallsPerHour: 5 }],
    ["the parent's limit when the child has none", c({ maxCallsPerHour: 7 }), none, { maxCallsPerHour: 7 }],
    ["the child's limit when the parent has none", none, c({ maxCallsPerHour: 7 }), { maxCallsPerHour: 7 }],
    ["the parent's approval requirement", c({ requireApproval: true }), none, { requireApproval: true }],
    ["the child's approval requirement", none, c({ requireApproval: true }), { requireApproval: true }],
    ["the parent's allowlist when the child has none", c({ ipAllowlist: ['10.0.0.0/8'] }), none, { ipAllowlist: ['10.0.0.0/8'] }],
    ["the child's narrower allowlist", c({ ipAllowlist: ['10.0.0.0/8'] }), c({ ipAllowlist: ['10.1.0.0/16', '10.2.3.4'] }), { ipAllowlist: ['10.1.0.0/16', '10.2.3.4'] }],
    ["the child's allowlist under a parent without one", none, c({ ipAllowlist: ['192.168.0.0/24'] }), { ipAllowlist: ['192.168.0.0/24'] }],
    ["the parent's time window when the child has none", c({ timeWindow: aTimeWindow() }), none, { timeWindow: aTimeWindow() }],
    ['an equal time window', c({ timeWindow: aTimeWindow({ days: ['tue', 'mon'] }) }), c({ timeWindow: aTimeWindow({ days: ['mon', 'tue'] }) }), { timeWindow: aTimeWindow({ days: ['mon', 'tue'] }) }],
    ['argument rules united by name', c({ argumentRules: [globRule('path', 'src/**')] }), c({ argumentRules: [valuesRule('branch', ['main'])] }), { argumentRules: [globRule('path', 'src/**'), valuesRule('branch', ['main'])] }],
    ['an identical rule on one name once', c({ argumentRules: [rangeRule('n', 1, 5)] }), c({ argumentRules: [rangeRule('n', 1, 5)] }), { argumentRules: [rangeRule('n', 1, 5)] }],
    ['equal allowed values in another order', c({ argumentRules: [valuesRule('b', ['x', 'y'])] }), c({ argumentRules: [valuesRule('b', ['y', 'x'])] }), { argumentRules: [valuesRule('b', ['x', 'y'])] }],
  ])('merges %s', (_name, parent, child, expected) => {
    const result = mergeConstraints(parent, child);
    expect(result).toEqual({ ok: true, constraints: { ...none, ...expected } });
  });

  it.each<[string, Constraints, Constraints, RegExp]>([
    ['a child allowlist entry outside the parent', c({ ipAllowlist: ['10.0.0.0/8'] }), c({ ipAllowlist: ['10.1.0.0/16', '11.0.0.1'] }), /ip_allowlist entry 11\.0\.0\.1 is not inside/],
    ['a child CIDR wider than the parent', c({ ipAllowlist: ['10.1.0.0/16'] }), c({ ipAllowlist: ['10.0.0.0/8'] }), /10\.0\.0\.0\/8 is not inside/],
    ['a different time window', c({ timeWindow: aTimeWindow() }), c({ timeWindow: aTimeWindow({ end: '18:00' }) }), /time_window 09:00-18:00 UTC differs from the parent's 09:00-17:00 UTC.*must be equal/],
    ['a time window in another zone', c({ timeWindow: aTimeWindow() }), c({ timeWindow: aTimeWindow({ timeZone: 'Europe/Berlin' }) }), /must be equal/],
    ['a time window on other days', c({ timeWindow: aTimeWindow({ days: ['mon'] }) }), c({ timeWindow: aTimeWindow() }), /must be equal/],
    ['a different rule on the same argument', c({ argumentRules: [globRule('path', 'src/**')] }), c({ argumentRules: [globRule('path', '**')] }), /argument rule on "path" differs/],
    ['a rule of another kind on the same argument', c({ argumentRules: [rangeRule('n', 1, 5)] }), c({ argumentRules: [valuesRule('n', ['1'])] }), /argument rule on "n"/],
  ])('refuses %s', (_name, parent, child, problem) => {
    const result = mergeConstraints(parent, child);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(problem);
  });
});

describe('coverByAny: one held permission covers the child', () => {
  const held: Permission[] = [
    aPermission({ resource: 'mcp:github:*', actions: ['read'] }),
    aPermission({ resource: 'mcp:github:repos', actions: ['read', 'write'], constraints: { requireApproval: true } }),
    aPermission({ resource: 'db:*', actions: ['*'], constraints: { timeWindow: aTimeWindow() } }),
  ];

  it('names the resource no permission covers', () => {
    expect(coverByAny(held, aPermission({ resource: 'mcp:*' }), 'agt_x')).toEqual({
      ok: false,
      problem: 'resource mcp:* is not covered by any permission of agt_x',
    });
  });

  it('names the action no covering permission grants', () => {
    const result = coverByAny(held, aPermission({ resource: 'mcp:github:issues', actions: ['read', 'write'] }), 'agt_x');
    expect(result).toEqual({ ok: false, problem: 'action write on mcp:github:issues is not granted by any permission of agt_x' });
  });

  it('uses the most specific covering permission, whatever the order held', () => {
    const child = aPermission({ resource: 'mcp:github:repos', actions: ['read'] });
    for (const list of [held, [...held].reverse()]) {
      const result = coverByAny(list, child, 'agt_x');
      expect(result).toEqual({ ok: true, permission: { ...child, constraints: { ...none, requireApproval: true } } });
    }
  });

  it('needs actions granted by one permission, not pieced together from two', () => {
    const split = [aPermission({ resource: 'mcp:*', actions: ['read'] }), aPermission({ resource: 'mcp:*', actions: ['write'] })];
    const result = coverByAny(split, aPermission({ resource: 'mcp:x', actions: ['read', 'write'] }), 'agt_x');
    expect(result).toEqual({ ok: false, problem: 'actions read, write on mcp:x are not all granted by one permission of agt_x' });
  });

  it('explains a constraint conflict with the covering permission', () => {
    const result = coverByAny(held, aPermission({ resource: 'db:main', actions: ['read'], constraints: { timeWindow: aTimeWindow({ start: '08:00' }) } }), 'agt_x');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(/^constraints are looser than agt_x's permission on db:\*: time_window/);
  });

  it('falls back to a less specific permission whose constraints merge', () => {
    const list = [
      aPermission({ resource: 'mcp:a:*', actions: ['read'], constraints: { ipAllowlist: ['10.0.0.0/8'] } }),
      aPermission({ resource: 'mcp:*', actions: ['read'], constraints: { maxCallsPerHour: 3 } }),
    ];
    const result = coverByAny(list, aPermission({ resource: 'mcp:a:b', constraints: { ipAllowlist: ['192.168.1.1'] } }), 'agt_x');
    expect(result).toEqual({
      ok: true,
      permission: aPermission({ resource: 'mcp:a:b', constraints: { ipAllowlist: ['192.168.1.1'], maxCallsPerHour: 3 } }),
    });
  });

  it('covers nothing from an empty list', () => {
    expect(coverByAny([], aPermission(), 'agt_x').ok).toBe(false);
  });
});

describe('coverAll', () => {
  it('names the index of the first permission that fails', () => {
    const held = [aPermission({ resource: 'mcp:*', actions: ['read'] })];
    const result = coverAll(held, [aPermission({ resource: 'mcp:a' }), aPermission({ resource: 'db:a' })], 'agt_y');
    expect(result).toEqual({ ok: false, index: 1, problem: 'resource db:a is not covered by any permission of agt_y' });
  });

  it('returns every merged permission in order', () => {
    const held = [aPermission({ resource: 'mcp:*', actions: ['*'], constraints: { maxCallsPerHour: 9 } })];
    const result = coverAll(held, [aPermission({ resource: 'mcp:a' }), aPermission({ resource: 'mcp:b', actions: ['write'] })], 'agt_y');
    expect(result.ok && result.permissions.map((p) => [p.resource, p.actions, p.constraints.maxCallsPerHour])).toEqual([
      ['mcp:a', ['read'], 9],
      ['mcp:b', ['write'], 9],
    ]);
  });
});

describe('depthLimit and earliest', () => {
  it.each<[number, number | undefined, number]>([
    [0, undefined, 1],
    [3, undefined, 3],
    [5, 2, 2],
    [2, 5, 2],
    [0, 4, 1],
  ])('max_depth %d under a parent limit of %s is %d', (requested, parent, limit) => {
    expect(depthLimit(requested, parent)).toBe(limit);
  });

  it('picks the earliest date and ignores unset ones', () => {
    const a = new Date('2026-01-02T00:00:00Z');
    const b = new Date('2026-01-01T00:00:00Z');
    expect(earliest(undefined, a, b, undefined)).toBe(b);
    expect(earliest(undefined)).toBeUndefined();
  });
});

describe('ipEntryWithin', () => {
  it.each<[string, string, boolean]>([
    ['10.1.2.3', '10.0.0.0/8', true],
    ['10.1.0.0/16', '10.0.0.0/8', true],
    ['10.0.0.0/8', '10.0.0.0/8', true],
    ['10.0.0.0/7', '10.0.0.0/8', false],
    ['11.0.0.1', '10.0.0.0/8', false],
    ['10.0.0.0/8', '10.0.0.1', false],
    ['10.0.0.1', '::/0', true],
    ['::ffff:10.0.0.1', '10.0.0.0/8', true],
    ['10.0.0.1', '::ffff:10.0.0.0/104', true],
    ['2001:db8::1', '2001:db8::/32', true],
    ['2001:db8::/31', '2001:db8::/32', false],
    ['2001:db8::1', '10.0.0.0/8', false],
    ['not-an-ip', '::/0', false],
  ])('%s inside %s: %s', (inner, outer, within) => {
    expect(ipEntryWithin(inner, outer)).toBe(within);
  });
});

describe('coverEach', () => {
  it('gives one result per child, keeping the ones that pass', () => {
    const held = [aPermission({ resource: 'mcp:*', actions: ['read'], constraints: { requireApproval: true } })];
    const results = coverEach(held, [aPermission({ resource: 'mcp:a' }), aPermission({ resource: 'db:a' })], 'agt_z');
    expect(results).toEqual([
      { ok: true, permission: aPermission({ resource: 'mcp:a', constraints: { requireApproval: true } }) },
      { ok: false, problem: 'resource db:a is not covered by any permission of agt_z' },
    ]);
  });
});
