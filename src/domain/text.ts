/**
 * Character rules shared by identifiers that users write and later read back (resource
 * patterns, resources).
 */

// Whitespace, control and format characters (zero-width spaces, bidi overrides) make two
// identifiers that look the same compare different, and lone surrogates do not survive a
// round trip through UTF-8 stores. This regex is ours and has no backtracking hazard.
const FORBIDDEN = /[\s\p{Cc}\p{Cf}\p{Cs}]/u;

/**
 * True when `value` holds whitespace, a control or format character, or a lone surrogate.
 */
export function hasForbiddenCharacter(value: string): boolean {
  return FORBIDDEN.test(value);
}
