import { describe, expect, it } from 'vitest';
import { hasLoneSurrogateEscape } from '../../../src/server/edge-guard.js';

describe('hasLoneSurrogateEscape', () => {
  it.each([
    ['{"a":"\\ud83d\\ude00"}', false], // a pair: 😀
    ['{"a":"\\u0041\\u00e9"}', false],
    ['{"a":"\\\\ud800"}', false], // an escaped backslash, then plain text
    ['{"a":"plain"}', false],
    ['{"a":"\\ud800"}', true], // high, then a quote
    ['{"a":"\\ud800\\u0041"}', true], // high, then not a low
    ['{"a":"\\udc00"}', true], // a low on its own
    ['{"a":"x\\ud83d"}', true],
    ['"\\ud83d', true], // high at the very end
    ['{"a":"\\\\\\ud800"}', true], // an escaped backslash, then a real lone escape
  ])('%s -> %s', (text, expected) => {
    expect(hasLoneSurrogateEscape(text)).toBe(expected);
  });
});
