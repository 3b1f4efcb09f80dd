/**
 * Argument globs (docs/ARCHITECTURE.md#constraints): `*` matches any run of characters except `/`, `**` any
 * run including `/`, and every other character is literal (no `?`, no classes, no escapes).
 *
 * Matching never backtracks. Common glob libraries compile to regexes that took 27 s on
 * `*a*a*a*a*a*a*a*a*b` against 40 characters; here a glob is split into literal chunks
 * between wildcard tokens, and the matcher keeps the set of reachable text positions,
 * advancing it one token at a time: as a few intervals found with forward-only native scans
 * (the usual case, microseconds), or, when that would take many intervals, as a bitset
 * (`glob-bitset.ts`) whose cost is O(glob length × n / 32) word operations whatever the input.
 */
import { invalidArgument } from './errors.js';
import { compileBitParallel, matchBitParallel, type GlobToken } from './glob-bitset.js';

/** Longest glob, in UTF-16 code units. */
export const MAX_GLOB_LENGTH = 256;
/** Most wildcard tokens (`*` or `**`) in one glob. */
export const MAX_GLOB_WILDCARDS = 16;

/** A glob compiled once, matched many times. */
export interface CompiledGlob {
  /** The source glob. */
  readonly source: string;
  /** True when the whole of `text` matches the glob. Linear in `text.length`. */
  matches(text: string): boolean;
}

type Token = GlobToken;

const STAR: Token = { kind: 'star' };
const GLOBSTAR: Token = { kind: 'globstar' };

/**
 * Most intervals the interval walk keeps before it hands over to the bit-parallel matcher.
 * Few intervals is the usual case and costs a handful of native scans; many (a `**` then a
 * `*` over a text with many '/') would cost a scan per interval per token.
 */
const MAX_INTERVALS = 32;

/**
 * Throws `invalid_argument` on `field` unless `glob` is 1..256 characters with at most 16
 * wildcard tokens and no run of three or more `*` (`***` has no clear meaning).
 */
export function validateGlob(glob: string, field: string): void {
  if (glob.length < 1 || glob.length > MAX_GLOB_LENGTH) {
    throw invalidArgument(field, `a glob must be 1 to ${MAX_GLOB_LENGTH} characters`);
  }
  if (glob.includes('***')) {
    throw invalidArgument(field, 'a glob may not contain "***"; use "*" or "**"');
  }
  let wildcards = 0;
  for (const token of tokenize(glob)) if (token.kind !== 'literal') wildcards++;
  if (wildcards > MAX_GLOB_WILDCARDS) {
    throw invalidArgument(field, `a glob may have at most ${MAX_GLOB_WILDCARDS} wildcards`);
  }
}

/**
 * Compiles a glob. It is assumed valid (`validateGlob`); a run of three or more `*` in an
 * unvalidated glob is read as `**`.
 */
export function compileGlob(glob: string): CompiledGlob {
  const tokens = tokenize(glob);
  const first = tokens[0];
  if (first === undefined || (tokens.length === 1 && first.kind === 'literal')) {
    return { source: glob, matches: (text) => text === glob };
  }
  // A leading literal must be a prefix and a trailing one a suffix. What remains starts and
  // ends with a wildcard, since literals and wildcards alternate.
  const head = first?.kind === 'literal' ? first.text : '';
  const lastToken = tokens[tokens.length - 1];
  const tail = lastToken?.kind === 'literal' ? lastToken.text : '';
  const middle = tokens.slice(head === '' ? 0 : 1, tail === '' ? tokens.length : -1);
  const program = compileBitParallel(middle);
  const single = middle.length === 1 ? middle[0] : undefined;
  const matches = (text: string): boolean => {
    const lo = head.length;
    const hi = text.length - tail.length;
    if (hi < lo || !text.startsWith(head) || !text.endsWith(tail)) return false;
    if (single === GLOBSTAR) return true;
    if (single === STAR) {
      const slash = text.indexOf('/', lo);
      return slash === -1 || slash >= hi;
    }
    return walk(middle, text, lo, hi) ?? matchBitParallel(program, text, lo, hi);
  };
  return { source: glob, matches };
}

function tokenize(glob: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < glob.length) {
    if (glob.charCodeAt(i) === 42 /* '*' */) {
      let j = i;
      while (j < glob.length && glob.charCodeAt(j) === 42) j++;
      tokens.push(j - i === 1 ? STAR : GLOBSTAR);
      i = j;
    } else {
      let j = glob.indexOf('*', i);
      if (j === -1) j = glob.length;
      tokens.push({ kind: 'literal', text: glob.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

/**
 * The interval walk over text[lo, hi) for `middle`, which starts and ends with a wildcard
 * and alternates with literals. The positions reachable after a wildcard are kept as sorted,
 * disjoint intervals `[a0, b0, a1, b1, ...]`: a `**` reaches everything from its first
 * position on (one interval), and a `*` reaches up to the next '/', so of the positions a
 * literal can end at within one '/'-free stretch only the leftmost matters. Each step is a
 * few native `indexOf` scans whose start only moves forward. Returns undefined when the
 * intervals grow past `MAX_INTERVALS`, leaving the answer to the bit-parallel matcher.
 */
function walk(middle: readonly Token[], text: string, lo: number, hi: number): boolean | undefined {
  let reach: number[] | undefined = [lo, reachEnd(lo, middle[0] === GLOBSTAR, text, hi)];
  for (let t = 1; t < middle.length; t += 2) {
    const literal = middle[t] as Token & { kind: 'literal' };
    reach = advance(reach, literal.text, middle[t + 1] === GLOBSTAR, text, hi);
    if (reach === undefined) return undefined;
    if (reach.length === 0) return false;
  }
  return reach[reach.length - 1] === hi;
}

/** The last position a wildcard starting at `from` reaches, within [from, hi]. */
function reachEnd(from: number, globstar: boolean, text: string, hi: number): number {
  if (globstar) return hi;
  const slash = text.indexOf('/', from);
  return slash === -1 || slash > hi ? hi : slash;
}

/**
 * Matches `chunk` at every reachable position in `reach`, then the wildcard after it, and
 * returns the new reachable intervals: empty when the chunk occurs at none, undefined when
 * there would be more than `MAX_INTERVALS`.
 */
function advance(
  reach: readonly number[],
  chunk: string,
  globstar: boolean,
  text: string,
  hi: number,
): number[] | undefined {
  const out: number[] = [];
  const k = chunk.length;
  const lastStart = hi - k;
  let i = 0;
  let pos = reach[0] as number;
  while (i < reach.length) {
    const a = reach[i] as number;
    const b = reach[i + 1] as number;
    if (pos < a) pos = a;
    if (pos > b) {
      i += 2;
      continue;
    }
    if (pos > lastStart) break;
    const s = text.indexOf(chunk, pos);
    if (s === -1 || s > lastStart) break;
    if (s > b) {
      // Found beyond this interval: resume at the interval that may contain it.
      pos = s;
      i += 2;
      continue;
    }
    const e = s + k;
    const r = reachEnd(e, globstar, text, hi);
    if (out.length === 2 * MAX_INTERVALS) return undefined;
    out.push(e, r);
    // After `**` the first end reaches everything. After `*`, ends up to `r` are already
    // covered by [e, r], so the next useful occurrence ends past `r`.
    if (globstar) break;
    pos = Math.max(s + 1, r - k + 1);
  }
  return out;
}
