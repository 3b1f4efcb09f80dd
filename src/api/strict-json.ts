/**
 * Unknown JSON keys and enum names, found by walking the parsed JSON beside the message
 * descriptor, so the refusal names the field path (`permissions[0].constraints: unknown field
 * "ipAllowList"`). protobuf-es refuses them too (`ignoreUnknownFields: false`), but names only
 * the message type, and it runs inside connect-es where a unary call's refusal reaches neither
 * the log nor the metrics; the edge guard runs this first.
 *
 * Only names are checked here. Types, ranges and well-known types' JSON forms (Timestamp,
 * Struct, ...) are left to protobuf-es and to assertStrictMessage.
 */
import type { DescEnum, DescField, DescMessage } from '@bufbuild/protobuf';

const byJsonKey = new WeakMap<DescMessage, Map<string, DescField>>();

function fieldsOf(desc: DescMessage): Map<string, DescField> {
  let map = byJsonKey.get(desc);
  if (map === undefined) {
    // Both spellings are accepted by the protobuf JSON mapping: `ipAllowlist` and `ip_allowlist`.
    map = new Map(desc.fields.flatMap((f) => [[f.jsonName, f] as const, [f.name, f] as const]));
    byJsonKey.set(desc, map);
  }
  return map;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

function enumProblem(e: DescEnum, value: unknown, path: string): string | undefined {
  if (typeof value !== 'string' || e.typeName === 'google.protobuf.NullValue') return undefined;
  return e.values.some((v) => v.name === value) ? undefined : `${path}: "${value}" is not a value of ${e.typeName}`;
}

function itemProblem(field: DescField, value: unknown, path: string): string | undefined {
  if (value === null) return undefined;
  if (field.enum !== undefined) return enumProblem(field.enum, value, path);
  if (field.message !== undefined) return unknownJsonProblem(field.message, value, path);
  return undefined;
}

/** The first unknown key or enum name in `value` (parsed JSON for `desc`), or undefined. */
export function unknownJsonProblem(desc: DescMessage, value: unknown, path = ''): string | undefined {
  if (!isObject(value) || desc.typeName.startsWith('google.protobuf.')) return undefined;
  const fields = fieldsOf(desc);
  for (const [key, item] of Object.entries(value)) {
    const field = fields.get(key);
    if (field === undefined) return `${path === '' ? desc.typeName : path}: unknown field "${key}"`;
    const at = join(path, field.name);
    let problem: string | undefined;
    if (field.fieldKind === 'list' && Array.isArray(item)) {
      for (const [i, element] of item.entries()) {
        problem = itemProblem(field, element, `${at}[${i}]`);
        if (problem !== undefined) return problem;
      }
    } else if (field.fieldKind === 'map' && isObject(item)) {
      for (const [k, element] of Object.entries(item)) {
        problem = itemProblem(field, element, `${at}["${k}"]`);
        if (problem !== undefined) return problem;
      }
    } else if (field.fieldKind !== 'list' && field.fieldKind !== 'map') {
      problem = itemProblem(field, item, at);
    }
    if (problem !== undefined) return problem;
  }
  return undefined;
}
