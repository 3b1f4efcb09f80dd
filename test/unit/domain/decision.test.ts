import { describe, expect, it } from 'vitest';
import { planDecision, type DecisionRequest } from '../../../src/domain/decision.js';
import { compilePermissionSet } from '../../../src/domain/permission-set.js';
import type { DecisionPlan } from '../../../src/domain/plan.js';
import type { Permission } from '../../../src/domain/types.js';
import { aPermission, aTimeWindow, globRule, rangeRule, valuesRule } from './builders.js';

/** Monday 2024-03-11 12:00 UTC. */
const NOON = new Date('2024-03-11T12:00:00Z');

function aRequest(overrides: Partial<DecisionRequest> = {}): DecisionRequest {
  return { action: 'read', resource: 'mcp:github:repos', args: {}, ip: '10.0.0.1', now: NOON, ...overrides };
}

/** A plan in one line: `allow <pattern>`, `deny <REASON> [<pattern>]`, `stateful [<patterns>] <denial>`. */
function summary(plan: DecisionPlan): string {
  switch (plan.kind) {
    case 'allow':
      return `allow ${plan.permission.permission.resource}`;
    case 'deny':
      return plan.permission === undefined
        ? `deny ${plan.reason}`
        : `deny ${plan.reason} ${plan.permission.permission.resource}`;
    case 'stateful':
      return `stateful [${plan.candidates.map((c) => c.permission.resource).join(', ')}]${
        plan.denial === undefined ? '' : ` ${plan.denial.reason} ${plan.denial.permission?.permission.resource}`
      }`;
  }
}

const decide = (perms: Permission[], request: Partial<DecisionRequest> = {}): string =>
  summary(planDecision(compilePermissionSet(perms), aRequest(request)));

const onlyFromTenNet = { ipAllowlist: ['10.0.0.0/8'] };
const onlyFromElsewhere = { ipAllowlist: ['192.168.0.0/16'] };
const nightShift = { timeWindow: aTimeWindow({ start: '22:00', end: '06:00' }) };
const officeHours = { timeWindow: aTimeWindow({ start: '09:00', end: '17:00' }) };

describe('planDecision: matching (docs/ARCHITECTURE.md#resource-patterns)', () => {
  it.each<[string, Permission[], Partial<DecisionRequest>, string]>([
    ['no permissions at all', [], {}, 'deny NO_MATCHING_PERMISSION'],
    ['an exact pattern and action', [aPermission()], {}, 'allow mcp:github:repos'],
    ['another action is not granted', [aPermission()], { action: 'write' }, 'deny NO_MATCHING_PERMISSION'],
    ['action * grants any action', [aPermission({ actions: ['*'] })], { action: 'delete' }, 'allow mcp:github:repos'],
    ['one of several listed actions', [aPermission({ actions: ['list', 'read'] })], {}, 'allow mcp:github:repos'],
    ['actions match exactly (case)', [aPermission({ actions: ['Read'] })], {}, 'deny NO_MATCHING_PERMISSION'],
    ['a trailing * matches one more segment', [aPermission({ resource: 'mcp:github:*' })], {}, 'allow mcp:github:*'],
    ['a trailing * matches several more segments', [aPermission({ resource: 'mcp:*' })], { resource: 'mcp:github:repos:x' }, 'allow mcp:*'],
    ['a trailing * does not match the bare parent', [aPermission({ resource: 'mcp:github:*' })], { resource: 'mcp:github' }, 'deny NO_MATCHING_PERMISSION'],
    ['a middle * matches exactly one segment', [aPermission({ resource: 'admin:*:delete' })], { resource: 'admin:x:delete' }, 'allow admin:*:delete'],
    ['a middle * does not match a different last segment', [aPermission({ resource: 'admin:*:delete' })], { resource: 'admin:x:create' }, 'deny NO_MATCHING_PERMISSION'],
    ['a middle * does not match two segments', [aPermission({ resource: 'admin:*:delete' })], { resource: 'admin:x:y:delete' }, 'deny NO_MATCHING_PERMISSION'],
    ['a leading * matches one segment', [aPermission({ resource: '*:github' })], { resource: 'x:github' }, 'allow *:github'],
    ['a leading * does not match two segments', [aPermission({ resource: '*:github' })], { resource: 'x:y:github' }, 'deny NO_MATCHING_PERMISSION'],
    ['a bare * matches everything', [aPermission({ resource: '*', actions: ['*'] })], { resource: 'anything:at:all', action: 'x' }, 'allow *'],
    ['matching is case-sensitive', [aPermission({ resource: 'MCP:github:*' })], {}, 'deny NO_MATCHING_PERMISSION'],
    ['mcp:git* is a literal, not a prefix glob', [aPermission({ resource: 'mcp:git*' })], { resource: 'mcp:github' }, 'deny NO_MATCHING_PERMISSION'],
    ['a permission for another resource does not match', [aPermission({ resource: 'mcp:slack:*' })], {}, 'deny NO_MATCHING_PERMISSION'],
    [
      'a non-matching permission lends no reason',
      [aPermission({ resource: 'mcp:slack:*', constraints: onlyFromElsewhere })],
      {},
      'deny NO_MATCHING_PERMISSION',
    ],
    [
      'a permission for another action lends no reason',
      [aPermission({ actions: ['write'], constraints: onlyFromElsewhere })],
      {},
      'deny NO_MATCHING_PERMISSION',
    ],
  ])('%s → %s', (_name, perms, request, expected) => {
    expect(decide(perms, request)).toBe(expected);
  });
});

describe('planDecision: static constraints (docs/ARCHITECTURE.md#constraints)', () => {
  it.each<[string, Permission[], Partial<DecisionRequest>, string]>([
    ['an IP inside the allowlist', [aPermission({ constraints: onlyFromTenNet })], {}, 'allow mcp:github:repos'],
    ['an IP outside the allowlist', [aPermission({ constraints: onlyFromTenNet })], { ip: '11.0.0.1' }, 'deny IP_NOT_ALLOWED mcp:github:repos'],
    ['no known IP fails a non-empty allowlist', [aPermission({ constraints: onlyFromTenNet })], { ip: undefined }, 'deny IP_NOT_ALLOWED mcp:github:repos'],
    ['no known IP passes an empty allowlist', [aPermission()], { ip: undefined }, 'allow mcp:github:repos'],
    ['an IPv6 address inside a CIDR', [aPermission({ constraints: { ipAllowlist: ['2001:db8::/32'] } })], { ip: '2001:db8::7' }, 'allow mcp:github:repos'],
    ['an IPv6 address outside a CIDR', [aPermission({ constraints: { ipAllowlist: ['2001:db8::/32'] } })], { ip: '2001:db9::7' }, 'deny IP_NOT_ALLOWED mcp:github:repos'],
    ['an IPv4-mapped IPv6 address counts as IPv4', [aPermission({ constraints: onlyFromTenNet })], { ip: '::ffff:10.1.1.1' }, 'allow mcp:github:repos'],
    ['inside the time window', [aPermission({ constraints: officeHours })], {}, 'allow mcp:github:repos'],
    ['outside the time window', [aPermission({ constraints: nightShift })], {}, 'deny OUTSIDE_TIME_WINDOW mcp:github:repos'],
    [
      'an overnight window in New York on its start day',
      [aPermission({ constraints: { timeWindow: aTimeWindow({ start: '22:00', end: '06:00', days: ['fri'], timeZone: 'America/New_York' }) } })],
      { now: new Date('2024-03-09T08:00:00Z') }, // Saturday 03:00 EST
      'allow mcp:github:repos',
    ],
    [
      'the same window the morning of its start day',
      [aPermission({ constraints: { timeWindow: aTimeWindow({ start: '22:00', end: '06:00', days: ['fri'], timeZone: 'America/New_York' }) } })],
      { now: new Date('2024-03-08T08:00:00Z') }, // Friday 03:00 EST
      'deny OUTSIDE_TIME_WINDOW mcp:github:repos',
    ],
    ['the window end is exclusive', [aPermission({ constraints: officeHours })], { now: new Date('2024-03-11T17:00:00Z') }, 'deny OUTSIDE_TIME_WINDOW mcp:github:repos'],
    ['the window start is inclusive', [aPermission({ constraints: officeHours })], { now: new Date('2024-03-11T09:00:00Z') }, 'allow mcp:github:repos'],
    ['an argument glob that matches', [aPermission({ constraints: { argumentRules: [globRule('path', 'src/**')] } })], { args: { path: 'src/a/b.ts' } }, 'allow mcp:github:repos'],
    ['an argument glob * stops at /', [aPermission({ constraints: { argumentRules: [globRule('path', 'src/*')] } })], { args: { path: 'src/a/b.ts' } }, 'deny ARGUMENT_REJECTED mcp:github:repos'],
    ['an allowed value', [aPermission({ constraints: { argumentRules: [valuesRule('branch', ['main'])] } })], { args: { branch: 'main' } }, 'allow mcp:github:repos'],
    ['a value not allowed', [aPermission({ constraints: { argumentRules: [valuesRule('branch', ['main'])] } })], { args: { branch: 'prod' } }, 'deny ARGUMENT_REJECTED mcp:github:repos'],
    ['a number in range', [aPermission({ constraints: { argumentRules: [rangeRule('limit', 1, 100)] } })], { args: { limit: 100 } }, 'allow mcp:github:repos'],
    ['a number out of range', [aPermission({ constraints: { argumentRules: [rangeRule('limit', 1, 100)] } })], { args: { limit: 101 } }, 'deny ARGUMENT_REJECTED mcp:github:repos'],
    ['a numeric string against a range', [aPermission({ constraints: { argumentRules: [rangeRule('limit', 1, 100)] } })], { args: { limit: '50' } }, 'deny ARGUMENT_REJECTED mcp:github:repos'],
    ['a missing argument fails closed', [aPermission({ constraints: { argumentRules: [valuesRule('branch', ['main'])] } })], { args: {} }, 'deny ARGUMENT_REJECTED mcp:github:repos'],
    [
      'the IP is checked before the time window',
      [aPermission({ constraints: { ...onlyFromElsewhere, ...nightShift } })],
      {},
      'deny IP_NOT_ALLOWED mcp:github:repos',
    ],
    [
      'the time window is checked before arguments',
      [aPermission({ constraints: { ...nightShift, argumentRules: [valuesRule('branch', ['main'])] } })],
      {},
      'deny OUTSIDE_TIME_WINDOW mcp:github:repos',
    ],
  ])('%s → %s', (_name, perms, request, expected) => {
    expect(decide(perms, request)).toBe(expected);
  });

  it.each<[string, Permission, string]>([
    ['a glob', aPermission({ constraints: { argumentRules: [globRule('path', 'src/**')] } }), 'glob'],
    ['an allowed-values', aPermission({ constraints: { argumentRules: [valuesRule('path', ['a'])] } }), 'allowed-values'],
    ['a range', aPermission({ constraints: { argumentRules: [rangeRule('path', 1, 2)] } }), 'range'],
  ])('tells a missing argument apart from a refused value (%s rule)', (_name, permission, kind) => {
    const set = compilePermissionSet([permission]);
    const missing = planDecision(set, aRequest({ args: { other: 'x' } }));
    const refused = planDecision(set, aRequest({ args: { path: 'zzz' } }));
    if (missing.kind !== 'deny' || refused.kind !== 'deny') return expect.fail('expected two denials');
    expect(missing.reason).toBe('ARGUMENT_REJECTED');
    expect(missing.message).toBe(`argument "path" is required by the permission's ${kind} rule on "path", and the request does not have it`);
    expect(refused.reason).toBe('ARGUMENT_REJECTED');
    expect(refused.message).toBe('argument "path" is not allowed by the permission\'s rules');
  });

  it('names the rejected argument in the message but never its value', () => {
    const set = compilePermissionSet([aPermission({ constraints: { argumentRules: [globRule('path', 'src/**')] } })]);
    const plan = planDecision(set, aRequest({ args: { path: '/etc/shadow-secret-value' } }));
    expect(plan.kind).toBe('deny');
    if (plan.kind !== 'deny') return;
    expect(plan.reason).toBe('ARGUMENT_REJECTED');
    expect(plan.message).toContain('"path"');
    expect(plan.message).not.toContain('shadow');
  });
});

describe('planDecision: combining permissions (docs/ARCHITECTURE.md#combining-permissions)', () => {
  it.each<[string, Permission[], Partial<DecisionRequest>, string]>([
    [
      'any passing permission allows, even a less specific one',
      [aPermission({ constraints: onlyFromElsewhere }), aPermission({ resource: 'mcp:*' })],
      {},
      'allow mcp:*',
    ],
    [
      'the most specific allowing permission is reported',
      [aPermission({ resource: 'mcp:*' }), aPermission({ resource: 'mcp:github:*' })],
      {},
      'allow mcp:github:*',
    ],
    [
      'an exact pattern gives the reason over a wildcard',
      [aPermission({ resource: 'mcp:github:*', constraints: onlyFromElsewhere }), aPermission({ constraints: nightShift })],
      {},
      'deny OUTSIDE_TIME_WINDOW mcp:github:repos',
    ],
    [
      'more literal leading segments give the reason',
      [aPermission({ resource: 'mcp:*:repos', constraints: nightShift }), aPermission({ resource: 'mcp:github:*', constraints: onlyFromElsewhere })],
      {},
      'deny IP_NOT_ALLOWED mcp:github:*',
    ],
    [
      'a bare * gives the reason only when nothing more specific matches',
      [aPermission({ resource: '*', constraints: nightShift }), aPermission({ resource: 'mcp:*', constraints: onlyFromElsewhere })],
      {},
      'deny IP_NOT_ALLOWED mcp:*',
    ],
    [
      'a named action gives the reason over * on the same pattern',
      [
        aPermission({ actions: ['*'], constraints: onlyFromElsewhere }),
        aPermission({ actions: ['read'], constraints: { argumentRules: [valuesRule('x', ['1'])] } }),
      ],
      {},
      'deny ARGUMENT_REJECTED mcp:github:repos',
    ],
    [
      'the reason comes from a matching permission even when a more specific one does not match',
      [aPermission({ resource: 'mcp:github:issues', constraints: onlyFromElsewhere }), aPermission({ resource: 'mcp:github:*', constraints: nightShift })],
      {},
      'deny OUTSIDE_TIME_WINDOW mcp:github:*',
    ],
    [
      'a rate-limited permission needs the store',
      [aPermission({ constraints: { maxCallsPerHour: 10 } })],
      {},
      'stateful [mcp:github:repos]',
    ],
    [
      'an approval permission needs the store',
      [aPermission({ constraints: { requireApproval: true } })],
      {},
      'stateful [mcp:github:repos]',
    ],
    [
      'a stateless pass wins over a stateful candidate',
      [aPermission({ constraints: { requireApproval: true } }), aPermission({ resource: 'mcp:*' })],
      {},
      'allow mcp:*',
    ],
    [
      'candidates come most specific first',
      [
        aPermission({ resource: 'mcp:*', constraints: { maxCallsPerHour: 100 } }),
        aPermission({ constraints: { requireApproval: true } }),
        aPermission({ resource: 'mcp:github:*', constraints: { maxCallsPerHour: 5 } }),
      ],
      {},
      'stateful [mcp:github:repos, mcp:github:*, mcp:*]',
    ],
    [
      'a more specific static failure is the denial of a stateful plan',
      [aPermission({ constraints: onlyFromElsewhere }), aPermission({ resource: 'mcp:*', constraints: { maxCallsPerHour: 5 } })],
      {},
      'stateful [mcp:*] IP_NOT_ALLOWED mcp:github:repos',
    ],
    [
      'a less specific static failure leaves the denial to the first candidate',
      [aPermission({ resource: 'mcp:*', constraints: onlyFromElsewhere }), aPermission({ constraints: { maxCallsPerHour: 5 } })],
      {},
      'stateful [mcp:github:repos]',
    ],
    [
      'a stateful permission that fails a static check is no candidate',
      [aPermission({ constraints: { ...onlyFromElsewhere, requireApproval: true } })],
      {},
      'deny IP_NOT_ALLOWED mcp:github:repos',
    ],
    [
      'an action no permission names is granted by *',
      [aPermission({ actions: ['write'] }), aPermission({ resource: 'mcp:*', actions: ['*'] })],
      { action: 'admin.purge' },
      'allow mcp:*',
    ],
    [
      'identical permissions decide like one',
      [aPermission({ constraints: onlyFromElsewhere }), aPermission({ constraints: onlyFromElsewhere })],
      {},
      'deny IP_NOT_ALLOWED mcp:github:repos',
    ],
  ])('%s → %s', (_name, perms, request, expected) => {
    expect(decide(perms, request)).toBe(expected);
  });

  it('returns shared precompiled plans for allow and deny', () => {
    const set = compilePermissionSet([aPermission(), aPermission({ resource: 'x', constraints: onlyFromElsewhere })]);
    expect(planDecision(set, aRequest())).toBe(planDecision(set, aRequest()));
    expect(planDecision(set, aRequest({ resource: 'x' }))).toBe(planDecision(set, aRequest({ resource: 'x' })));
    expect(planDecision(set, aRequest({ resource: 'y' }))).toBe(planDecision(set, aRequest({ resource: 'z' })));
  });

  it('keeps each permission index, source and a stable key', () => {
    const perms = [aPermission({ resource: 'a' }), aPermission({ resource: 'b' })];
    const forward = compilePermissionSet(perms).permissions;
    const backward = compilePermissionSet([...perms].reverse()).permissions;
    expect(forward.map((p) => p.index)).toEqual([0, 1]);
    expect(forward[0]?.permission).toBe(perms[0]);
    expect(forward[0]?.key).toBe(backward[1]?.key);
    expect(forward[0]?.key).not.toBe(forward[1]?.key);
  });
});

describe('planDecision: permission order does not matter (docs/ARCHITECTURE.md#combining-permissions)', () => {
  // A pool mixing every kind of pattern and constraint, so that shuffles meet ties, stateful
  // candidates and competing reasons.
  const pool: Permission[] = [
    aPermission({ resource: 'mcp:github:repos' }),
    aPermission({ resource: 'mcp:github:repos', constraints: onlyFromElsewhere }),
    aPermission({ resource: 'mcp:github:repos', actions: ['*'], constraints: nightShift }),
    aPermission({ resource: 'mcp:github:*', constraints: onlyFromElsewhere }),
    aPermission({ resource: 'mcp:github:*', actions: ['read', 'write'], constraints: { maxCallsPerHour: 3 } }),
    aPermission({ resource: 'mcp:*:repos', constraints: nightShift }),
    aPermission({ resource: 'mcp:*:repos', actions: ['*'], constraints: { argumentRules: [valuesRule('branch', ['main'])] } }),
    aPermission({ resource: 'mcp:*', constraints: { requireApproval: true } }),
    aPermission({ resource: 'mcp:*', actions: ['write'], constraints: onlyFromTenNet }),
    aPermission({ resource: '*:github:repos', constraints: { argumentRules: [rangeRule('limit', 1, 10)] } }),
    aPermission({ resource: '*', actions: ['*'], constraints: { ...onlyFromElsewhere, requireApproval: true } }),
    aPermission({ resource: '*', constraints: nightShift }),
    aPermission({ resource: 'mcp:slack:*' }),
  ];
  const requests: DecisionRequest[] = [
    aRequest(),
    aRequest({ ip: '192.168.1.1' }),
    aRequest({ ip: undefined }),
    aRequest({ action: 'write' }),
    aRequest({ action: 'delete', resource: 'mcp:gitlab:repos' }),
    aRequest({ resource: 'mcp:github:issues', args: { branch: 'main', limit: 5 } }),
    aRequest({ resource: 'x:github:repos', args: { limit: 50 } }),
    aRequest({ resource: 'mcp:slack:chan', now: new Date('2024-03-11T23:00:00Z') }),
    aRequest({ args: { branch: 'main', limit: 5 }, now: new Date('2024-03-11T23:00:00Z') }),
  ];

  const fullSummary = (plan: DecisionPlan): string =>
    plan.kind === 'stateful'
      ? `${summary(plan)} keys=${plan.candidates.map((c) => c.key).join(',')} denialKey=${plan.denial?.permission?.key}`
      : `${summary(plan)} key=${plan.permission?.key}`;

  it('gives the same plan for every shuffle of random subsets', () => {
    let seed = 2024;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const shuffle = <T>(list: readonly T[]): T[] => {
      const out = [...list];
      for (let i = out.length - 1; i > 0; i--) {
        const j = rand(i + 1);
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    };
    for (let round = 0; round < 150; round++) {
      const subset = pool.filter(() => rand(2) === 0);
      const reference = compilePermissionSet(subset);
      for (let s = 0; s < 4; s++) {
        const shuffled = compilePermissionSet(shuffle(subset));
        for (const request of requests) {
          expect(fullSummary(planDecision(shuffled, request))).toBe(fullSummary(planDecision(reference, request)));
        }
      }
    }
  });

  it('allows exactly when some matching permission passes its static constraints, for every subset of a small pool', () => {
    // Cross-check the combining rule against a direct reading of it, on a pool without
    // stateful permissions: allowed iff any matching permission passes alone.
    const stateless = pool.filter((p) => p.constraints.maxCallsPerHour === undefined && !p.constraints.requireApproval);
    const small = stateless.slice(0, 9);
    for (let mask = 0; mask < 1 << small.length; mask++) {
      const subset = small.filter((_, i) => (mask & (1 << i)) !== 0);
      const set = compilePermissionSet(subset);
      for (const request of requests) {
        const anyAlone = subset.some((p) => planDecision(compilePermissionSet([p]), request).kind === 'allow');
        expect(planDecision(set, request).kind === 'allow').toBe(anyAlone);
      }
    }
  });
});
