/**
 * Allowed argument patterns (the KavachOS SDK's `allowedArgPatterns`): every string-valued
 * top-level argument must match one glob; validation, decisions, delegation and keys.
 */
import { describe, expect, it } from 'vitest';
import { compileArgPatterns, validateArgPatterns } from '../../../src/domain/arg-patterns.js';
import { planDecision } from '../../../src/domain/decision.js';
import { mergeConstraints } from '../../../src/domain/delegation.js';
import { KavachError } from '../../../src/domain/errors.js';
import { validatePermission } from '../../../src/domain/permission.js';
import { permissionKey } from '../../../src/domain/permission-key.js';
import { compilePermissionSet } from '../../../src/domain/permission-set.js';
import type { Arguments } from '../../../src/domain/types.js';
import { aPermission } from './builders.js';

const NOON = new Date('2024-03-11T12:00:00Z');
const decide = (patterns: string[], args: Arguments) => {
  const plan = planDecision(compilePermissionSet([aPermission({ constraints: { allowedArgPatterns: patterns } })]), {
    action: 'read',
    resource: 'mcp:github:repos',
    args,
    ip: '10.0.0.1',
    now: NOON,
  });
  return plan.kind === 'deny' ? `${plan.reason}: ${plan.message}` : plan.kind;
};

describe('allowed argument patterns', () => {
  it('allow when every string argument matches some pattern', () => {
    expect(decide(['*.md', 'docs/**'], { file: 'README.md', dir: 'docs/a/b' })).toBe('allow');
    expect(decide(['*.md'], {})).toBe('allow');
  });

  it('deny naming the first string argument that matches none, never its value', () => {
    const result = decide(['*.md'], { file: 'README.md', other: 'secret-value.sh' });
    expect(result).toMatch(/^ARGUMENT_REJECTED: .*"?other"?/);
    expect(result).not.toContain('secret-value');
    // `*` stops at '/': a path does not sneak through a one-segment pattern.
    expect(decide(['*.md'], { file: 'a/b.md' })).toMatch(/^ARGUMENT_REJECTED/);
  });

  it('leave non-string arguments to argument rules', () => {
    expect(decide(['*.md'], { n: 5, flag: true, list: ['x.sh'], nested: { f: 'x.sh' } })).toBe('allow');
  });

  it('validate: globs, at most 32, each named', () => {
    expect(() => validateArgPatterns(Array.from({ length: 33 }, () => '*'), 'p')).toThrow(KavachError);
    expect(() => validateArgPatterns(['ok', ''], 'p')).toThrow(/p\[1\]/);
    expect(() => validatePermission(aPermission({ constraints: { allowedArgPatterns: ['***'] } }), 'permissions[0]')).toThrow(
      /permissions\[0\]\.constraints\.allowed_arg_patterns\[0\]/,
    );
    expect(compileArgPatterns(['a*']).firstFailure({ x: 'ab', y: 'b' })).toBe('y');
  });

  it('are part of a permission key only when set, so other keys stay as they were', () => {
    const plain = aPermission();
    expect(permissionKey(aPermission({ constraints: { allowedArgPatterns: [] } }))).toBe(permissionKey(plain));
    expect(permissionKey(aPermission({ constraints: { allowedArgPatterns: ['*.md'] } }))).not.toBe(permissionKey(plain));
    expect(permissionKey(aPermission({ constraints: { allowedArgPatterns: ['b', 'a'] } }))).toBe(
      permissionKey(aPermission({ constraints: { allowedArgPatterns: ['a', 'b', 'a'] } })),
    );
  });

  it('are inherited by a delegation, and a child may only repeat them exactly', () => {
    const parent = aPermission({ constraints: { allowedArgPatterns: ['*.md'] } }).constraints;
    const bare = aPermission().constraints;
    const inherited = mergeConstraints(parent, bare);
    expect(inherited.ok && inherited.constraints.allowedArgPatterns).toEqual(['*.md']);
    const own = mergeConstraints(bare, aPermission({ constraints: { allowedArgPatterns: ['*.txt'] } }).constraints);
    expect(own.ok && own.constraints.allowedArgPatterns).toEqual(['*.txt']);
    expect(mergeConstraints(parent, aPermission({ constraints: { allowedArgPatterns: ['*.md'] } }).constraints).ok).toBe(true);
    const wider = mergeConstraints(parent, aPermission({ constraints: { allowedArgPatterns: ['*'] } }).constraints);
    expect(wider.ok).toBe(false);
  });
});
