import { describe, expect, it } from 'vitest';
import { compileBitParallel, matchBitParallel, type GlobToken } from '../../../src/domain/glob-bitset.js';
import { compileGlob, validateGlob } from '../../../src/domain/glob.js';
import { thrownBy } from './builders.js';

describe('glob matching (docs/ARCHITECTURE.md#constraints)', () => {
  it.each([
    // literal
    ['main', 'main', true],
    ['main', 'Main', false],
    ['main', 'mainx', false],
    // * does not cross '/'
    ['src/*', 'src/a.ts', true],
    ['src/*', 'src/', true],
    ['src/*', 'src/a/b.ts', false],
    ['*.ts', 'a.ts', true],
    ['*.ts', 'dir/a.ts', false],
    ['*', 'anything-without-slash', true],
    ['*', 'a/b', false],
    ['*', '', true],
    // ** crosses '/'
    ['src/**', 'src/a/b/c.ts', true],
    ['src/**', 'lib/a.ts', false],
    ['**.ts', 'a/b/c.ts', true],
    ['**', 'a/b/c', true],
    ['**/test/*.ts', 'x/y/test/a.ts', true],
    ['**/test/*.ts', 'x/y/test/sub/a.ts', false],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a//b', true],
    ['a/**/b', 'a/b', false],
    // several wildcards
    ['*/*/*', 'a/b/c', true],
    ['*/*/*', 'a/b', false],
    ['*/*/*', 'a/b/c/d', false],
    ['repo-*-*', 'repo-a-b', true],
    ['repo-*-*', 'repo-ab', false],
    ['*a*b*', 'xxaxxbxx', true],
    ['*a*b*', 'xxbxxaxx', false],
    ['*a*b*', 'xxa/xbxx', false],
    ['**a**b**', 'x/a/x/b/x', true],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['ab*ab*ab', 'ababab', true],
    ['ab*ab*ab', 'abab', false],
    // no ? or classes: they are literal
    ['file?.txt', 'file1.txt', false],
    ['file?.txt', 'file?.txt', true],
    ['[ab].txt', 'a.txt', false],
    ['[ab].txt', '[ab].txt', true],
  ])('glob %j on %j → %j', (glob, text, expected) => {
    expect(compileGlob(glob).matches(text)).toBe(expected);
  });

  it('decides the ReDoS glob *a*a*a*a*a*a*a*a*b against 40 "a"s as no match', () => {
    expect(compileGlob('*a*a*a*a*a*a*a*a*b').matches('a'.repeat(40))).toBe(false);
    expect(compileGlob('*a*a*a*a*a*a*a*a*b').matches(`${'a'.repeat(40)}b`)).toBe(true);
  });

  it('decides 16-wildcard globs on a 10,000-character argument', () => {
    const text = 'a'.repeat(10_000);
    const star16 = `${'*a'.repeat(15)}*b`;
    const globstar16 = `${'**a'.repeat(15)}**b`;
    expect(compileGlob(star16).matches(text)).toBe(false);
    expect(compileGlob(globstar16).matches(text)).toBe(false);
    expect(compileGlob(star16).matches(`${text}b`)).toBe(true);
    const pathy = `${'dir/'.repeat(2_499)}file`;
    expect(compileGlob('**/*/file').matches(pathy)).toBe(true);
    expect(compileGlob('*/file').matches(pathy)).toBe(false);
    expect(compileGlob(`**${'a'.repeat(200)}b**`).matches(text)).toBe(false);
  });

  it('agrees with a reference matcher on random short globs and texts', () => {
    const { pick } = seeded(42);
    for (let i = 0; i < 3000; i++) {
      const glob = pick(['a', 'b', '/', '*', '**'], 6).replace(/\*{3,}/g, '**');
      if (glob === '') continue;
      const text = pick(['a', 'b', '/'], 8);
      expect(compileGlob(glob).matches(text), `${glob} on ${text}`).toBe(referenceMatch(glob, text));
    }
  });

  it('agrees with a reference matcher when many "/" push it onto the bit-parallel path', () => {
    const { pick } = seeded(7);
    for (let i = 0; i < 400; i++) {
      const glob = `**${pick(['a', '/', '/*', '*', 'a/*'], 8)}`.replace(/\*{3,}/g, '**');
      const text = pick(['a/', '/', 'a', 'b/'], 120);
      expect(compileGlob(glob).matches(text), `${glob} on ${text}`).toBe(referenceMatch(glob, text));
    }
  });

  it('has a bit-parallel matcher that agrees with the reference on any token sequence', () => {
    const { pick } = seeded(99);
    for (let i = 0; i < 2000; i++) {
      const glob = pick(['a', 'b', '/', '*', '**'], 7).replace(/\*{3,}/g, '**');
      // Texts of 0 to 70 characters cross the 32-bit word boundaries.
      const text = pick(['a', 'b', '/', 'ab', 'a/'], 40);
      const program = compileBitParallel(tokensOf(glob));
      expect(matchBitParallel(program, text, 0, text.length), `${glob} on ${text}`).toBe(referenceMatch(glob, text));
    }
  });

  it('matches non-Latin characters literally', () => {
    expect(compileGlob('докум*/**.pdf').matches('документы/2024/отчёт.pdf')).toBe(true);
    expect(compileGlob('*🙂*').matches('a🙂b')).toBe(true);
    const program = compileBitParallel(tokensOf('**ё*'));
    expect(matchBitParallel(program, 'a/ёb', 0, 4)).toBe(true);
    expect(matchBitParallel(program, 'a/ё/b', 0, 5)).toBe(false);
  });
});

describe('glob validation', () => {
  it.each([
    ['', 'empty'],
    ['a'.repeat(257), 'longer than 256'],
    ['a***b', 'a run of three stars'],
    [`${'*a'.repeat(17)}`, '17 wildcards'],
  ])('rejects %j (%s), naming the field', (glob) => {
    const err = thrownBy(() => validateGlob(glob, 'permissions[0].constraints.argument_rules[1].glob'));
    expect(err.kind).toBe('invalid_argument');
    expect(err.field).toBe('permissions[0].constraints.argument_rules[1].glob');
  });

  it.each(['a', '*', '**', 'a'.repeat(256), `${'*a'.repeat(16)}`, `${'**a'.repeat(16)}`])('accepts %j', (glob) => {
    expect(() => validateGlob(glob, 'glob')).not.toThrow();
  });
});

/** A tiny seeded generator keeps the random tests deterministic. */
function seeded(seed: number): { pick: (alphabet: string[], max: number) => string } {
  let state = seed;
  const rand = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const pick = (alphabet: string[], max: number): string => {
    let s = '';
    const length = rand(max + 1);
    for (let i = 0; i < length; i++) s += alphabet[rand(alphabet.length)];
    return s;
  };
  return { pick };
}

function tokensOf(glob: string): GlobToken[] {
  return (glob.match(/\*\*|\*|[^*]+/g) ?? []).map((t): GlobToken =>
    t === '**' ? { kind: 'globstar' } : t === '*' ? { kind: 'star' } : { kind: 'literal', text: t },
  );
}

/** Obviously-correct memoized recursion, for short inputs only. */
function referenceMatch(glob: string, text: string): boolean {
  const memo = new Map<string, boolean>();
  const go = (g: number, t: number): boolean => {
    const key = `${g},${t}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let result: boolean;
    if (g === glob.length) result = t === text.length;
    else if (glob.startsWith('**', g)) {
      result = false;
      for (let k = t; k <= text.length && !result; k++) result = go(g + 2, k);
    } else if (glob[g] === '*') {
      result = false;
      for (let k = t; k <= text.length && !result; k++) {
        result = go(g + 1, k);
        if (text[k] === '/') break;
      }
    } else result = t < text.length && glob[g] === text[t] && go(g + 1, t + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}
