/**
 * The edge's last word on a decoded request, the same for every protocol and encoding: a
 * message is refused (invalid_argument naming the field path) when it
 *
 * - carries unknown fields (binary protobuf keeps them in `$unknown`: a field a newer or a
 *   misspelling client sent that this server would silently ignore, e.g. a constraint it does not
 *   know, must not be stored as "no constraint");
 * - holds an enum number the schema does not define (proto3 enums are open, so binary and JSON
 *   numbers decode to any int32);
 * - holds a Timestamp outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z or with
 *   nanos outside 0..999,999,999, or a Duration outside ±10,000 years or with nanos of the
 *   wrong sign or size (what the protobuf JSON mapping can represent: anything else could be
 *   stored but never read back as JSON);
 * - holds a non-finite number in a google.protobuf.Value (JSON cannot carry NaN or Infinity);
 * - nests Struct/ListValue deeper than MAX_STRUCT_DEPTH.
 *
 * Unknown JSON field names and enum names never get this far: the JSON parser refuses them
 * (`ignoreUnknownFields: false`, see src/server/server.ts).
 */
import type { DescField, DescMessage, Message } from '@bufbuild/protobuf';
import { reflect, type ReflectMessage } from '@bufbuild/protobuf/reflect';
import { NullValue, type ListValue, type Struct, type Value } from '@bufbuild/protobuf/wkt';
import { invalidArgument } from '../domain/errors.js';

/** How deep Struct and ListValue values may nest (arguments, metadata); 32 is far more than any real tool call. */
export const MAX_STRUCT_DEPTH = 32;

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds: the range of RFC 3339 and of protobuf JSON. */
export const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
export const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;
/** ±10,000 years, the Duration range of the protobuf JSON mapping. */
const MAX_DURATION_SECONDS = 315_576_000_000n;
const MAX_NANOS = 999_999_999;

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

function checkTimestamp(m: ReflectMessage, path: string): void {
  const seconds = m.get(m.desc.field.seconds as DescField & { fieldKind: 'scalar' }) as bigint;
  const nanos = m.get(m.desc.field.nanos as DescField & { fieldKind: 'scalar' }) as number;
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) {
    throw invalidArgument(path, `seconds ${seconds} is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z`);
  }
  if (nanos < 0 || nanos > MAX_NANOS) throw invalidArgument(path, `nanos ${nanos} is outside 0..999999999`);
}

function checkDuration(m: ReflectMessage, path: string): void {
  const seconds = m.get(m.desc.field.seconds as DescField & { fieldKind: 'scalar' }) as bigint;
  const nanos = m.get(m.desc.field.nanos as DescField & { fieldKind: 'scalar' }) as number;
  if (seconds < -MAX_DURATION_SECONDS || seconds > MAX_DURATION_SECONDS) {
    throw invalidArgument(path, `seconds ${seconds} is outside ±${MAX_DURATION_SECONDS}`);
  }
  if (nanos < -MAX_NANOS || nanos > MAX_NANOS || (seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0)) {
    throw invalidArgument(path, `nanos ${nanos} is out of range or of the wrong sign`);
  }
}

function checkEnum(field: DescField, value: number, path: string): void {
  const e = field.enum;
  if (e !== undefined && !e.values.some((v) => v.number === value)) {
    throw invalidArgument(path, `${value} is not a value of ${e.typeName}`);
  }
}

function assertNoUnknown(message: Message, path: string): void {
  const unknown = message.$unknown;
  if (unknown !== undefined && unknown.length > 0) {
    throw invalidArgument(path === '' ? message.$typeName : path, `unknown field number ${unknown[0]?.no} (this server does not know it)`);
  }
}

// Struct, Value and ListValue are walked on their plain shape: `arguments` are the largest and
// most frequent values, and this is several times cheaper than going through reflection.
function walkStruct(struct: Struct, path: string, depth: number): void {
  assertNoUnknown(struct, path);
  if (depth + 1 > MAX_STRUCT_DEPTH) throw invalidArgument(path, `is nested deeper than ${MAX_STRUCT_DEPTH} levels`);
  for (const [key, value] of Object.entries(struct.fields)) walkValue(value, `${path}.fields["${key}"]`, depth + 1);
}

function walkList(list: ListValue, path: string, depth: number): void {
  assertNoUnknown(list, path);
  if (depth + 1 > MAX_STRUCT_DEPTH) throw invalidArgument(path, `is nested deeper than ${MAX_STRUCT_DEPTH} levels`);
  list.values.forEach((value, i) => walkValue(value, `${path}.values[${i}]`, depth + 1));
}

function walkValue(value: Value, path: string, depth: number): void {
  assertNoUnknown(value, path);
  const kind = value.kind;
  switch (kind.case) {
    case 'numberValue':
      if (!Number.isFinite(kind.value)) throw invalidArgument(`${path}.number_value`, 'must be a finite number');
      break;
    case 'nullValue': {
      const n: number = kind.value;
      if (n !== NullValue.NULL_VALUE) throw invalidArgument(`${path}.null_value`, `${n} is not a value of google.protobuf.NullValue`);
      break;
    }
    case 'structValue':
      walkStruct(kind.value, `${path}.struct_value`, depth);
      break;
    case 'listValue':
      walkList(kind.value, `${path}.list_value`, depth);
      break;
    default:
      break;
  }
}

function walk(m: ReflectMessage, path: string, structDepth: number): void {
  const unknown = m.getUnknown();
  if (unknown !== undefined && unknown.length > 0) {
    throw invalidArgument(path === '' ? m.desc.typeName : path, `unknown field number ${unknown[0]?.no} (this server does not know it)`);
  }
  switch (m.desc.typeName) {
    case 'google.protobuf.Timestamp':
      return checkTimestamp(m, path);
    case 'google.protobuf.Duration':
      return checkDuration(m, path);
    case 'google.protobuf.Struct':
      return walkStruct(m.message as Struct, path, structDepth);
    case 'google.protobuf.ListValue':
      return walkList(m.message as ListValue, path, structDepth);
    case 'google.protobuf.Value':
      return walkValue(m.message as Value, path, structDepth);
  }
  for (const field of m.fields) {
    if (!m.isSet(field)) continue;
    const at = join(path, field.name);
    switch (field.fieldKind) {
      case 'enum':
        checkEnum(field, m.get(field), at);
        break;
      case 'message':
        walk(m.get(field), at, structDepth);
        break;
      case 'list': {
        if (field.listKind === 'scalar') break;
        let i = 0;
        for (const item of m.get(field)) {
          if (field.listKind === 'enum') checkEnum(field, item as number, `${at}[${i}]`);
          else walk(item as ReflectMessage, `${at}[${i}]`, structDepth);
          i++;
        }
        break;
      }
      case 'map':
        if (field.mapKind === 'scalar') break;
        for (const [key, value] of m.get(field)) {
          if (field.mapKind === 'enum') checkEnum(field, value as number, `${at}["${String(key)}"]`);
          else walk(value as ReflectMessage, `${at}["${String(key)}"]`, structDepth);
        }
        break;
      case 'scalar':
        break;
    }
  }
}

/** Throws invalid_argument naming the first field path that breaks a rule above. */
export function assertStrictMessage(schema: DescMessage, message: Message): void {
  walk(reflect(schema, message, false), '', 0);
}
