import { describe, expect, it } from 'vitest';
import {
  compilePattern,
  patternCovers,
  validateLiteralAction,
  validateLiteralResource,
  validateResourcePattern,
} from '../../../src/domain/pattern.js';
import { thrownBy } from './builders.js';

describe('resource pattern matching (docs/ARCHITECTURE.md#resource-patterns)', () => {
  it.each([
    // exact
    ['mcp:github:repos', 'mcp:github:repos', true],
    ['mcp:github:repos', 'mcp:github:repos:x', false],
    ['mcp:github:repos', 'mcp:github', false],
    // trailing * matches one or more further segments, never the bare parent
    ['mcp:github:*', 'mcp:github:repos', true],
    ['mcp:github:*', 'mcp:github:repos:x', true],
    ['mcp:github:*', 'mcp:github:repos:x:y:z', true],
    ['mcp:github:*', 'mcp:github', false],
    ['mcp:github:*', 'mcp:githubx:repos', false],
    ['mcp:github:*', 'mcp:gitlab:repos', false],
    // middle * matches exactly one segment
    ['admin:*:delete', 'admin:x:delete', true],
    ['admin:*:delete', 'admin:x:create', false],
    ['admin:*:delete', 'admin:x:y:delete', false],
    ['admin:*:delete', 'admin:delete', false],
    ['admin:*:delete', 'admin:x:delete:more', false],
    // leading * matches exactly one segment
    ['*:github', 'x:github', true],
    ['*:github', 'x:y:github', false],
    ['*:github', 'github', false],
    // bare * matches everything
    ['*', 'x', true],
    ['*', 'mcp:github:repos:deep:path', true],
    // a middle and a trailing *
    ['a:*:c:*', 'a:b:c:d', true],
    ['a:*:c:*', 'a:b:c', false],
    ['a:*:*', 'a:b:c', true],
    ['a:*:*', 'a:b:c:d', true],
    ['a:*:*', 'a:b', false],
    // case-sensitive
    ['mcp:github:*', 'MCP:github:repos', false],
    ['mcp:GitHub:repos', 'mcp:github:repos', false],
    // no partial-segment globs: `git*` and `**` are literal segments
    ['mcp:git*', 'mcp:github', false],
    ['mcp:git*:x', 'mcp:github:x', false],
    ['mcp:**', 'mcp:a:b', false],
    // prefix look-alikes
    ['mcp:github', 'mcp:github:repos', false],
    ['mcp:github:repos', 'mcp:github:repo', false],
  ])('pattern %j on resource %j → %j', (pattern, resource, expected) => {
    expect(compilePattern(pattern).matches(resource)).toBe(expected);
  });
});

describe('pattern specificity', () => {
  it.each([
    ['an exact pattern beats any wildcard', 'mcp:github:repos', 'mcp:github:*'],
    ['an exact short pattern beats a long wildcard', 'mcp', 'mcp:github:repos:*'],
    ['more literal leading segments win', 'mcp:github:*', 'mcp:*:repos'],
    ['more literal leading segments win over a bare *', 'mcp:*', '*'],
    ['leading literals beat a later literal', 'a:b:*:*', 'a:*:c:d'],
    ['with equal leading literals, more segments win', 'mcp:*:x:y', 'mcp:*:x'],
    ['with equal leading literals and length, fewer wildcards win', 'mcp:*:x', 'mcp:*:*'],
  ])('%s: %j over %j', (_name, stronger, weaker) => {
    expect(compilePattern(stronger).specificity).toBeGreaterThan(compilePattern(weaker).specificity);
  });

  it('ranks equal shapes equally', () => {
    expect(compilePattern('a:*:c').specificity).toBe(compilePattern('x:*:z').specificity);
  });
});

describe('patternCovers (delegation subsets)', () => {
  it.each([
    ['mcp:github:*', 'mcp:github:repos:*', true],
    ['mcp:github:*', 'mcp:github:x', true],
    ['mcp:github:*', 'mcp:github:*', true],
    ['mcp:github:*', 'mcp:github', false],
    ['mcp:github:*', 'mcp:*', false],
    ['mcp:github:*', 'mcp:*:x', false],
    ['mcp:*:read', 'mcp:*', false],
    ['mcp:*:read', 'mcp:github:read', true],
    ['mcp:*:read', 'mcp:*:read', true],
    ['mcp:*:read', 'mcp:github:write', false],
    ['a:*:c', 'a:b:c', true],
    ['a:*:c', 'a:*:*', false],
    ['a:*:c', 'a:b:c:d', false],
    ['a:b:c', 'a:b:c', true],
    ['a:b:c', 'a:*:c', false],
    ['*', 'anything:at:all', true],
    ['*', '*', true],
    ['*:*', '*', false],
    ['*:*', 'x:*', true],
    ['mcp:*', 'mcp:github:*', true],
    ['*:github', 'x:github', true],
    ['*:github', '*:github', true],
    ['*:github', 'x:y:github', false],
  ])('%j covers %j → %j', (parent, child, expected) => {
    expect(patternCovers(parent, child)).toBe(expected);
  });

  it('agrees with matching on sample resources whenever it says yes', () => {
    const patterns = ['*', '*:*', 'a:*', 'a:b', 'a:*:c', 'a:b:*', '*:b', 'a:*:*', '*:b:c', 'a:b:c'];
    const resources = ['a', 'b', 'a:b', 'x:b', 'a:x', 'a:b:c', 'a:x:c', 'x:b:c', 'a:b:x', 'a:b:c:d'];
    for (const parent of patterns) {
      for (const child of patterns) {
        if (!patternCovers(parent, child)) continue;
        for (const r of resources) {
          if (compilePattern(child).matches(r)) expect(compilePattern(parent).matches(r)).toBe(true);
        }
      }
    }
  });
});

describe('pattern and request validation', () => {
  it.each([
    ['', 'empty'],
    ['a'.repeat(513), 'too long'],
    [Array.from({ length: 33 }, () => 'x').join(':'), 'too many segments'],
    ['mcp::github', 'empty middle segment'],
    [':mcp', 'empty first segment'],
    ['mcp:', 'empty last segment'],
    ['mcp:git hub', 'whitespace'],
    ['mcp:git\u0000hub', 'control character'],
    ['mcp:git\u200bhub', 'zero-width space'],
  ])('rejects the pattern %j (%s), naming the field', (pattern) => {
    const err = thrownBy(() => validateResourcePattern(pattern, 'permissions[3].resource'));
    expect(err.kind).toBe('invalid_argument');
    expect(err.field).toBe('permissions[3].resource');
  });

  it.each(['mcp:git*', 'mcp:*git', 'mcp:g*t:x', '**', 'mcp:**', '*:x*', 'mcp:github:re*'])(
    'rejects the partial-segment pattern %j with a message saying so (docs/ARCHITECTURE.md#resource-patterns: "*" is a whole segment)',
    (pattern) => {
      const err = thrownBy(() => validateResourcePattern(pattern, 'permissions[0].resource'));
      expect(err.kind).toBe('invalid_argument');
      expect(err.field).toBe('permissions[0].resource');
      expect(err.message).toMatch(/partial-segment globs are not supported/);
    },
  );

  it.each(['*', 'mcp:*', '*:github', 'mcp:*:repos', 'a'.repeat(512), Array.from({ length: 32 }, () => 'x').join(':')])(
    'accepts the pattern %j',
    (pattern) => {
      expect(() => validateResourcePattern(pattern, 'resource')).not.toThrow();
    },
  );

  it.each(['*', 'mcp:*', 'mcp:git*', '*:x', 'mcp::x', '', 'a b'])('rejects the request resource %j', (resource) => {
    const err = thrownBy(() => validateLiteralResource(resource, 'resource'));
    expect(err.kind).toBe('invalid_argument');
    expect(err.field).toBe('resource');
  });

  it.each(['*', 're*d', '', 'a'.repeat(65), 'read write', 'read/x'])('rejects the request action %j', (action) => {
    const err = thrownBy(() => validateLiteralAction(action, 'action'));
    expect(err.kind).toBe('invalid_argument');
    expect(err.field).toBe('action');
  });

  it.each(['read', 'repos.list', 'tools:call', 'a-b_c', 'a'.repeat(64)])('accepts the request action %j', (action) => {
    expect(() => validateLiteralAction(action, 'action')).not.toThrow();
  });
});
