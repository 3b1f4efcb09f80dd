import { describe, expect, it } from 'vitest';
import {
  argumentString,
  compileArgumentRules,
  validateArgumentRules,
} from '../../../src/domain/argument-rules.js';
import type { ArgumentRule, Arguments } from '../../../src/domain/types.js';
import { globRule, rangeRule, thrownBy, valuesRule } from './builders.js';

describe('argument rules (docs/ARCHITECTURE.md#constraints)', () => {
  it.each<[string, ArgumentRule, Arguments, boolean]>([
    // glob
    ['a glob matches a string', globRule('path', 'src/*.ts'), { path: 'src/a.ts' }, true],
    ['a glob * does not cross "/"', globRule('path', 'src/*.ts'), { path: 'src/x/a.ts' }, false],
    ['a glob ** crosses "/"', globRule('path', 'src/**.ts'), { path: 'src/x/a.ts' }, true],
    ['a glob sees a number as its String() form', globRule('n', '4*'), { n: 42 }, true],
    ['a glob sees a boolean as true/false', globRule('flag', 'tr*'), { flag: true }, true],
    ['a glob fails on null', globRule('path', '**'), { path: null }, false],
    ['a glob fails on an array', globRule('path', '**'), { path: ['a'] }, false],
    ['a glob fails on an object', globRule('path', '**'), { path: { a: 'b' } }, false],
    ['a glob fails on a missing argument', globRule('path', '**'), {}, false],
    // allowed values
    ['a listed value passes', valuesRule('branch', ['main', 'dev']), { branch: 'dev' }, true],
    ['an unlisted value fails', valuesRule('branch', ['main', 'dev']), { branch: 'prod' }, false],
    ['values compare exactly (case)', valuesRule('branch', ['main']), { branch: 'Main' }, false],
    ['values compare numbers by their string form', valuesRule('n', ['1', '2']), { n: 2 }, true],
    ['values compare booleans by their string form', valuesRule('flag', ['false']), { flag: false }, true],
    ['values fail on null', valuesRule('branch', ['null']), { branch: null }, false],
    ['values fail on a missing argument', valuesRule('branch', ['main']), { other: 'main' }, false],
    // numeric range
    ['a number inside the range passes', rangeRule('n', 1, 10), { n: 5 }, true],
    ['the lower bound is inclusive', rangeRule('n', 1, 10), { n: 1 }, true],
    ['the upper bound is inclusive', rangeRule('n', 1, 10), { n: 10 }, true],
    ['below the range fails', rangeRule('n', 1, 10), { n: 0.999 }, false],
    ['above the range fails', rangeRule('n', 1, 10), { n: 10.001 }, false],
    ['a min-only range is open above', rangeRule('n', 0), { n: 1e300 }, true],
    ['a max-only range is open below', rangeRule('n', undefined, 100), { n: -1e300 }, true],
    ['a numeric string fails a range', rangeRule('n', 1, 10), { n: '5' }, false],
    ['a boolean fails a range', rangeRule('n', 0, 1), { n: true }, false],
    ['null fails a range', rangeRule('n', 0, 1), { n: null }, false],
    ['NaN fails a range', rangeRule('n', 0, 1), { n: Number.NaN }, false],
    ['a missing argument fails a range', rangeRule('n', 0, 1), {}, false],
    // fail closed on prototype names
    ['a rule named "constructor" fails when the request lacks it', valuesRule('constructor', ['x']), {}, false],
    ['a rule named "toString" fails when the request lacks it', globRule('toString', '**'), {}, false],
  ])('%s', (_name, rule, args, expected) => {
    expect(compileArgumentRules([rule]).check(args).ok).toBe(expected);
  });

  it('reports the first failing argument by name, in rule order', () => {
    const rules = compileArgumentRules([globRule('path', 'src/**'), rangeRule('limit', 1, 100), valuesRule('mode', ['r'])]);
    expect(rules.check({ path: 'src/a', limit: 500, mode: 'w' })).toEqual({ ok: false, argument: 'limit', missing: false });
    expect(rules.check({ path: 'src/a', limit: 50, mode: 'w' })).toEqual({ ok: false, argument: 'mode', missing: false });
    expect(rules.check({ path: 'src/a', limit: 50 })).toEqual({ ok: false, argument: 'mode', missing: true });
    expect(rules.check({ path: 'src/a', limit: null, mode: 'r' })).toEqual({ ok: false, argument: 'limit', missing: false });
    expect(rules.check({ path: 'src/a', limit: 50, mode: 'r' })).toEqual({ ok: true });
    expect(rules.firstFailure({ path: 'lib/a', limit: 50, mode: 'r' })).toBe(0);
  });

  it('ignores arguments no rule names', () => {
    expect(compileArgumentRules([valuesRule('a', ['1'])]).check({ a: '1', b: 'anything' }).ok).toBe(true);
  });

  it.each<[unknown, string | undefined]>([
    ['text', 'text'],
    [42, '42'],
    [1.5, '1.5'],
    [true, 'true'],
    [false, 'false'],
    [null, undefined],
    [[], undefined],
    [{}, undefined],
    [Number.POSITIVE_INFINITY, undefined],
  ])('the string form of %j is %j', (value, expected) => {
    expect(argumentString(value as never)).toBe(expected);
  });
});

describe('argument rule validation', () => {
  const field = 'permissions[0].constraints.argument_rules';
  it.each<[string, ArgumentRule[], string]>([
    ['more than 32 rules', Array.from({ length: 33 }, (_, i) => valuesRule(`a${i}`, ['x'])), field],
    ['an empty name', [valuesRule('', ['x'])], `${field}[0].name`],
    ['a name over 128 characters', [valuesRule('n'.repeat(129), ['x'])], `${field}[0].name`],
    ['a repeated name', [valuesRule('a', ['x']), globRule('a', '*')], `${field}[1].name`],
    ['an invalid glob', [globRule('a', 'x***')], `${field}[0].glob`],
    ['an empty values list', [valuesRule('a', [])], `${field}[0].allowed_values.values`],
    ['more than 100 values', [valuesRule('a', Array.from({ length: 101 }, (_, i) => `${i}`))], `${field}[0].allowed_values.values`],
    ['a value over 256 characters', [valuesRule('a', ['ok', 'v'.repeat(257)])], `${field}[0].allowed_values.values[1]`],
    ['a range with no bound', [rangeRule('a')], `${field}[0].range`],
    ['a range with min above max', [rangeRule('a', 5, 1)], `${field}[0].range.max`],
    ['a non-finite min', [rangeRule('a', Number.NEGATIVE_INFINITY, 1)], `${field}[0].range.min`],
    ['a NaN max', [rangeRule('a', 0, Number.NaN)], `${field}[0].range.max`],
  ])('rejects %s, naming %s', (_name, rules, expectedField) => {
    const err = thrownBy(() => validateArgumentRules(rules, field));
    expect(err.kind).toBe('invalid_argument');
    expect(err.field).toBe(expectedField);
  });

  it('accepts a mixed valid list', () => {
    expect(() =>
      validateArgumentRules([globRule('path', 'src/**'), valuesRule('mode', ['r', 'w', '']), rangeRule('n', 1, 1)], field),
    ).not.toThrow();
  });
});
