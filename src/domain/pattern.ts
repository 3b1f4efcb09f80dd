/**
 * Resource patterns (docs/ARCHITECTURE.md#resource-patterns): `:`-separated segments where a `*` segment is a
 * wildcard. A leading or middle `*` matches exactly one segment, a trailing `*` one or more
 * further segments, and a bare `*` everything. There are no partial-segment globs: a new pattern
 * with `mcp:git*` or `**` is refused (a request resource never contains `*`, so such a segment
 * could never match); one already stored is matched as a literal. Matching is case-sensitive.
 * (Argument rules have globs of their own, with `*` and `**` inside segments: see glob.ts.)
 */
import { invalidArgument } from './errors.js';
import { hasForbiddenCharacter } from './text.js';

/** Longest pattern or request resource, in UTF-16 code units. */
export const MAX_RESOURCE_LENGTH = 512;
/** Most segments a resource pattern may have. */
export const MAX_RESOURCE_SEGMENTS = 32;
/** Longest request action. */
export const MAX_ACTION_LENGTH = 64;

const COLON = 58; // ':'
const WILDCARD = '*';
/** The characters an action may have (a literal action, or an entry of a permission's actions). */
export const ACTION_SHAPE = /^[A-Za-z0-9_.:-]+$/;

/** A pattern compiled once, matched many times. */
export interface CompiledPattern {
  /** The source pattern. */
  readonly source: string;
  /** Segments of the source pattern, `*` included. */
  readonly segments: readonly string[];
  /** True when the last segment is `*` (this includes the bare `*`). */
  readonly trailingWildcard: boolean;
  /**
   * Ranking for "most specific" (docs/ARCHITECTURE.md#combining-permissions); a larger number is more specific. An exact
   * pattern beats any wildcard; among wildcards, more literal leading segments win, then more
   * segments, then fewer wildcards. Equal numbers mean equally specific.
   */
  readonly specificity: number;
  /**
   * True when the literal `resource` is matched. Allocates nothing: it scans the string in
   * place. `resource` is assumed valid (see `validateLiteralResource`); an empty segment in it
   * never matches a `*`.
   */
  matches(resource: string): boolean;
}

/**
 * Throws `invalid_argument` on `field` unless `pattern` is a valid resource pattern:
 * 1..512 characters, at most 32 segments, no empty segment, no whitespace or control
 * characters, and `*` only as a whole segment.
 */
export function validateResourcePattern(pattern: string, field: string): void {
  validateResourceShape(pattern, field, 'resource pattern');
  let segments = 1;
  for (let i = 0; i < pattern.length; i++) if (pattern.charCodeAt(i) === COLON) segments++;
  if (segments > MAX_RESOURCE_SEGMENTS) {
    throw invalidArgument(field, `a resource pattern has at most ${MAX_RESOURCE_SEGMENTS} segments`);
  }
  if (!pattern.includes(WILDCARD)) return;
  const partial = pattern.split(':').find((segment) => segment !== WILDCARD && segment.includes(WILDCARD));
  if (partial !== undefined) {
    throw invalidArgument(
      field,
      `partial-segment globs are not supported: "${partial}" in "${pattern}"; "*" may only be a whole segment (e.g. "mcp:*"), and a request resource never contains "*"`,
    );
  }
}

/**
 * Throws `invalid_argument` on `field` unless `resource` is a valid request resource: the
 * pattern rules (without the segment limit) and no `*` anywhere, since a request names one
 * concrete resource (docs/ARCHITECTURE.md#resource-patterns).
 */
export function validateLiteralResource(resource: string, field: string): void {
  validateResourceShape(resource, field, 'resource');
  if (resource.includes(WILDCARD)) {
    throw invalidArgument(field, 'a requested resource is literal and may not contain "*"');
  }
}

/**
 * Throws `invalid_argument` on `field` unless `action` is a valid request action: 1..64
 * characters of `[A-Za-z0-9_.:-]`. A `*` is refused: a request names one concrete action.
 */
export function validateLiteralAction(action: string, field: string): void {
  if (action.includes(WILDCARD)) {
    throw invalidArgument(field, 'a requested action is literal and may not contain "*"');
  }
  if (action.length < 1 || action.length > MAX_ACTION_LENGTH) {
    throw invalidArgument(field, `must be 1 to ${MAX_ACTION_LENGTH} characters`);
  }
  if (!ACTION_SHAPE.test(action)) {
    throw invalidArgument(field, 'may contain only letters, digits and "_", ".", ":", "-"');
  }
}

function validateResourceShape(value: string, field: string, what: string): void {
  if (value.length < 1 || value.length > MAX_RESOURCE_LENGTH) {
    throw invalidArgument(field, `a ${what} must be 1 to ${MAX_RESOURCE_LENGTH} characters`);
  }
  if (hasForbiddenCharacter(value)) {
    throw invalidArgument(field, `a ${what} may not contain whitespace or control characters`);
  }
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  if (first === COLON || last === COLON || value.includes('::')) {
    throw invalidArgument(field, `a ${what} may not have an empty segment`);
  }
}

/**
 * Compiles a pattern for repeated matching. The pattern is assumed valid
 * (`validateResourcePattern`); an invalid one compiles but may match nothing.
 */
export function compilePattern(pattern: string): CompiledPattern {
  const segments = pattern.split(':');
  const trailingWildcard = segments[segments.length - 1] === WILDCARD;
  // The segments that each match exactly one resource segment, in order.
  const fixed = trailingWildcard ? segments.slice(0, -1) : segments;
  const wildcards = segments.filter((s) => s === WILDCARD).length;
  const specificity = specificityOf(segments);

  let matches: (resource: string) => boolean;
  if (wildcards === 0) {
    // Exact pattern: plain string equality is both correct and fastest.
    matches = (resource) => resource === pattern;
  } else if (segments.length === 1) {
    // Bare `*`: everything (one or more segments).
    matches = (resource) => resource.length > 0;
  } else {
    matches = (resource) => matchFixed(fixed, trailingWildcard, resource);
  }
  return { source: pattern, segments, trailingWildcard, specificity, matches };
}

function matchFixed(fixed: readonly string[], trailing: boolean, resource: string): boolean {
  const length = resource.length;
  let pos = 0;
  for (let i = 0; i < fixed.length; i++) {
    // `pos` is the start of the resource segment matched by fixed[i]; a segment that starts
    // past the end means the resource has too few segments.
    if (pos > length) return false;
    const seg = fixed[i] as string;
    let end: number;
    if (seg === WILDCARD) {
      end = resource.indexOf(':', pos);
      if (end === -1) end = length;
      if (end === pos) return false; // an empty segment is not a segment
    } else {
      end = pos + seg.length;
      if (end > length || !resource.startsWith(seg, pos)) return false;
      if (end < length && resource.charCodeAt(end) !== COLON) return false;
    }
    pos = end + 1;
  }
  // Without a trailing `*` the resource must end exactly here; with one, at least one
  // non-empty segment must follow (`mcp:github:*` does not match `mcp:github`).
  return trailing ? pos < length : pos === length + 1;
}

function specificityOf(segments: readonly string[]): number {
  let wildcards = 0;
  let leading = -1;
  for (let i = 0; i < segments.length; i++) {
    if (segments[i] === WILDCARD) {
      wildcards++;
      if (leading === -1) leading = i;
    }
  }
  const exact = wildcards === 0 ? 1 : 0;
  if (leading === -1) leading = segments.length;
  // Fields are packed in 8 bits each; validated patterns have at most 32 segments, and the
  // clamp keeps an unvalidated one from overflowing into the next field.
  const clamp = (n: number): number => Math.min(n, 255);
  return exact * 2 ** 24 + clamp(leading) * 2 ** 16 + clamp(segments.length) * 2 ** 8 + (255 - clamp(wildcards));
}

/**
 * True when every resource matched by pattern `child` is also matched by pattern `parent`
 * (docs/ARCHITECTURE.md#delegation: a delegated permission must be covered by one the parent holds). Both are
 * assumed valid. Decided on segments alone, so it is exact: `mcp:*:read` does not cover
 * `mcp:*`, `mcp:github:*` covers `mcp:github:repos:*`, and `a:*:c` covers `a:b:c` but not
 * `a:*:*`.
 */
export function patternCovers(parent: CompiledPattern | string, child: CompiledPattern | string): boolean {
  const p = typeof parent === 'string' ? compilePattern(parent) : parent;
  const c = typeof child === 'string' ? compilePattern(child) : child;
  const pFixed = p.trailingWildcard ? p.segments.length - 1 : p.segments.length;
  const cFixed = c.trailingWildcard ? c.segments.length - 1 : c.segments.length;
  if (p.trailingWildcard) {
    // Parent: `pFixed` constrained segments, then one or more of anything. The child's
    // shortest match has `cFixed` (+1 when trailing) segments; it needs more than `pFixed`.
    const cShortest = c.trailingWildcard ? cFixed + 1 : cFixed;
    if (cShortest < pFixed + 1) return false;
  } else {
    // Parent: exactly `pFixed` segments. An open-ended child can never fit.
    if (c.trailingWildcard || cFixed !== pFixed) return false;
  }
  for (let i = 0; i < pFixed; i++) {
    const ps = p.segments[i] as string;
    if (ps !== WILDCARD && c.segments[i] !== ps) return false;
  }
  return true;
}
