/**
 * The bit-parallel glob matcher: the fallback that bounds the worst case of `glob.ts`.
 *
 * The set of text positions a glob prefix can reach is a bitset, one bit per position, and
 * each token transforms it with word-wide operations: a literal is a shift-and per character
 * (as in the Shift-And string matcher), `**` fills every bit above the lowest, and `*` fills
 * upward through runs of non-'/' characters with one carrying addition per word. A match
 * costs O((glob length) × n / 32) word operations whatever the input, with no backtracking.
 */

/** One token of a glob: a literal chunk, `*` (no '/'), or `**` (anything). */
export type GlobToken =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'star' }
  | { readonly kind: 'globstar' };

/** Tokens compiled for `matchBitParallel`. */
export interface BitParallelProgram {
  /** How many distinct code units the literals use, plus one for '/' (always index 0). */
  readonly alphabetSize: number;
  /** Alphabet index of each code unit below 256, or -1. */
  readonly latin: Int16Array;
  /** Alphabet index of the other code units the literals use. */
  readonly others: ReadonlyMap<number, number>;
  /** Per token: -1 for `*`, -2 for `**`, else the alphabet indices of the literal's code units. */
  readonly steps: readonly (number | Int32Array)[];
}

const STEP_STAR = -1;
const STEP_GLOBSTAR = -2;
const SLASH = 47;

/** Compiles tokens (any sequence) for `matchBitParallel`. */
export function compileBitParallel(tokens: readonly GlobToken[]): BitParallelProgram {
  const latin = new Int16Array(256).fill(-1);
  const others = new Map<number, number>();
  let alphabetSize = 0;
  const indexOf = (code: number): number => {
    const known = code < 256 ? (latin[code] as number) : (others.get(code) ?? -1);
    if (known !== -1) return known;
    const at = alphabetSize++;
    if (code < 256) latin[code] = at;
    else others.set(code, at);
    return at;
  };
  indexOf(SLASH);
  const steps = tokens.map((token): number | Int32Array => {
    if (token.kind === 'star') return STEP_STAR;
    if (token.kind === 'globstar') return STEP_GLOBSTAR;
    const chars = new Int32Array(token.text.length);
    for (let i = 0; i < token.text.length; i++) chars[i] = indexOf(token.text.charCodeAt(i));
    return chars;
  });
  return { alphabetSize, latin, others, steps };
}

/** One bitset per alphabet entry: bit q set when text[lo + q] is that code unit. */
function buildMasks(program: BitParallelProgram, text: string, lo: number, hi: number, words: number): Int32Array[] {
  const masks: Int32Array[] = [];
  for (let i = 0; i < program.alphabetSize; i++) masks.push(new Int32Array(words));
  const { latin, others } = program;
  const hasOthers = others.size > 0;
  for (let p = lo; p < hi; p++) {
    const code = text.charCodeAt(p);
    const at = code < 256 ? (latin[code] as number) : hasOthers ? (others.get(code) ?? -1) : -1;
    if (at === -1) continue;
    const q = p - lo;
    const mask = masks[at] as Int32Array;
    mask[q >>> 5] = (mask[q >>> 5] as number) | (1 << (q & 31));
  }
  return masks;
}

/**
 * True when `program` matches the whole of text[lo, hi). Bit q stands for "a prefix of the
 * tokens matches text[lo, lo + q)".
 */
export function matchBitParallel(program: BitParallelProgram, text: string, lo: number, hi: number): boolean {
  const m = hi - lo;
  const words = (m >>> 5) + 1; // bits 0..m
  const masks = buildMasks(program, text, lo, hi, words);
  // passable[q] is set when a `*` may step from q to q + 1: q is inside the text and not '/'.
  const passable = new Int32Array(words);
  passable.fill(-1, 0, m >>> 5);
  passable[m >>> 5] = (1 << (m & 31)) - 1; // bits below m in the last word; 1 << 0 - 1 is 0
  const slashes = masks[0] as Int32Array;
  for (let w = 0; w < words; w++) passable[w] = (passable[w] as number) & ~(slashes[w] as number);

  const reach = new Int32Array(words);
  reach[0] = 1;
  for (const step of program.steps) {
    if (step === STEP_GLOBSTAR) {
      fillFromLowest(reach, m);
    } else if (step === STEP_STAR) {
      fillThroughRuns(reach, passable);
    } else if (!shiftAnd(reach, step as Int32Array, masks)) {
      return false;
    }
  }
  return ((reach[m >>> 5] as number) & (1 << (m & 31))) !== 0;
}

/** Sets every bit from the lowest set bit up to bit `m`. */
function fillFromLowest(reach: Int32Array, m: number): void {
  let w = 0;
  while (w < reach.length && reach[w] === 0) w++;
  if (w === reach.length) return;
  const low = reach[w] as number;
  reach[w] = -(low & -low) | 0; // the lowest set bit and everything above it in this word
  reach.fill(-1, w + 1);
  const last = m >>> 5;
  // Clear bits above m, so nothing past the end of the text is ever reachable.
  const keep = (m & 31) === 31 ? -1 : (1 << ((m & 31) + 1)) - 1;
  reach[last] = (reach[last] as number) & keep;
}

/**
 * For each set bit, sets the bits above it through the run of passable positions that starts
 * there, and the position just past the run: R | (((R & P) + P) ^ P), with carries across words.
 */
function fillThroughRuns(reach: Int32Array, passable: Int32Array): void {
  let carry = 0;
  for (let w = 0; w < reach.length; w++) {
    const r = reach[w] as number;
    const p = passable[w] as number;
    const sum = ((r & p) >>> 0) + (p >>> 0) + carry;
    carry = sum > 0xffffffff ? 1 : 0;
    reach[w] = r | ((sum >>> 0) ^ p);
  }
}

/** Advances `reach` over one literal; false when no position survives. */
function shiftAnd(reach: Int32Array, chars: Int32Array, masks: readonly Int32Array[]): boolean {
  for (let i = 0; i < chars.length; i++) {
    const mask = masks[chars[i] as number] as Int32Array;
    // High to low, so reach[w - 1] is still the old word when word w reads its top bit.
    for (let w = reach.length - 1; w >= 0; w--) {
      const cur = (reach[w] as number) & (mask[w] as number);
      const below = w > 0 ? ((reach[w - 1] as number) & (mask[w - 1] as number)) >>> 31 : 0;
      reach[w] = (cur << 1) | below;
    }
  }
  for (let w = 0; w < reach.length; w++) if (reach[w] !== 0) return true;
  return false;
}
