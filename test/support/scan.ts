/**
 * Scanning whatever a test received or captured (responses, log lines, audit entries) for
 * secrets it must never hold.
 */

/** Every string reachable from `value` (object keys excluded; Dates and numbers skipped), with its path. */
export function stringsIn(value: unknown, path = '$'): Array<[string, string]> {
  if (typeof value === 'string') return [[path, value]];
  if (value === null || typeof value !== 'object' || value instanceof Date) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, `${path}[${i}]`));
  return Object.entries(value).flatMap(([k, v]) => stringsIn(v, `${path}.${k}`));
}

/** The paths in `value` whose string contains any of `needles`, each as `path: needle`. */
export function leaksIn(value: unknown, needles: readonly string[]): string[] {
  return stringsIn(value).flatMap(([path, s]) => needles.filter((n) => n !== '' && s.includes(n)).map((n) => `${path}: ${n}`));
}
