import { describe, expect, it } from 'vitest';
import { ConstraintsSchema } from '../../../gen/kavach/v1/types_pb.js';
import { CONSTRAINT_MERGE_RULES, mergeConstraints } from '../../../src/domain/delegation.js';
import type { Constraints } from '../../../src/domain/types.js';

// A table without one kind's rule is a type error: this line stops compiling (and `npm run check`
// fails on the unused directive) if the table's type ever stops requiring every kind.
const { requireApproval: _dropped, ...withoutOneRule } = CONSTRAINT_MERGE_RULES;
// @ts-expect-error every constraint kind needs a merge rule
const _incomplete: typeof CONSTRAINT_MERGE_RULES = withoutOneRule;

const NONE: Constraints = { ipAllowlist: [], argumentRules: [], requireApproval: false };
const EVERY_KIND_SET: Constraints = {
  maxCallsPerHour: 10,
  ipAllowlist: ['10.0.0.0/8'],
  timeWindow: { start: '09:00', end: '17:00', days: ['mon'], timeZone: 'UTC' },
  argumentRules: [{ name: 'branch', kind: 'glob', glob: 'feature/*' }],
  requireApproval: true,
  allowedArgPatterns: ['feature/*', 'main'],
};

describe('constraint merge rules', () => {
  it('has one rule for every field of the proto Constraints message, and no other', () => {
    // A constraint added to the proto (and mapped into the domain) without a rule fails here.
    const protoFields = ConstraintsSchema.fields.map((f) => f.localName).sort();
    expect(Object.keys(CONSTRAINT_MERGE_RULES).sort()).toEqual(protoFields);
  });

  it('covers every kind the test fixture sets, so the next test exercises each rule', () => {
    expect(Object.keys(EVERY_KIND_SET).sort()).toEqual(Object.keys(CONSTRAINT_MERGE_RULES).sort());
  });

  it('passes every parent constraint on to a child that states none: no kind is dropped', () => {
    const merged = mergeConstraints(EVERY_KIND_SET, NONE);
    expect(merged).toEqual({ ok: true, constraints: EVERY_KIND_SET });
  });

  it('keeps every child constraint when the parent states none', () => {
    expect(mergeConstraints(NONE, EVERY_KIND_SET)).toEqual({ ok: true, constraints: EVERY_KIND_SET });
  });

  it('leaves unset optional kinds unset rather than present as undefined', () => {
    const merged = mergeConstraints(NONE, NONE);
    expect(merged.ok && Object.keys(merged.constraints).sort()).toEqual(['argumentRules', 'ipAllowlist', 'requireApproval']);
  });

  it('reports the first kind that cannot merge, in the table order', () => {
    const parent: Constraints = { ...EVERY_KIND_SET };
    const child: Constraints = {
      ...NONE,
      ipAllowlist: ['192.168.0.1'],
      timeWindow: { start: '00:00', end: '01:00', days: [], timeZone: 'UTC' },
    };
    const merged = mergeConstraints(parent, child);
    expect(merged.ok).toBe(false);
    expect(!merged.ok && merged.problem).toMatch(/^ip_allowlist entry 192\.168\.0\.1/);
  });
});
