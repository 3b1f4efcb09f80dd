/**
 * Seeded, structure-aware request generators for the wire fuzz ring. Everything is drawn from
 * one PRNG, so a seed reproduces a run exactly. The shapes come from the message descriptors:
 * JSON bodies with the right keys and wrong types, unknown keys, misspelt keys, bogus enum names
 * and numbers, out-of-range and malformed times, huge strings and deeply nested Structs; binary
 * bodies from the same values with poked fields (unknown enum numbers, out-of-range Timestamps,
 * unknown fields, invalid UTF-8) and byte-level damage; envelopes with lying lengths, bogus
 * compression flags and trailing garbage.
 */
import { create, fromJson, toBinary, type DescField, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import { frame, isEnveloped, isBinary, type WireProtocol } from '../support/raw-rpc.js';

export type Rng = () => number;

/** mulberry32: small, fast, and good enough to spread inputs; the same seed gives the same run. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)] as T;
const chance = (rng: Rng, p: number): boolean => rng() < p;

const STRINGS = ['', 'a', 'mcp:git:*', 'mcp:git*', 'read', '*', 'usr_0000', 'agt_x', '10.0.0.0/8', 'é', '😀', '\u0000', ' ', '../..', '%00', 'AGENT_STATUS_ACTIVE'];
const NUMBERS: JsonValue[] = [0, 1, -1, 2147483647, 2147483648, -2147483649, 4294967296, 9007199254740992, '9007199254740993', 1.5, 1e308, -0, '12', '-1', 'NaN', 'Infinity', '1e400', ''];
const TIMES: JsonValue[] = [
  '2030-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999999Z',
  '10000-01-01T00:00:00Z',
  '0000-12-31T23:59:59Z',
  '2030-13-40T25:61:61Z',
  '2030-01-01T00:00:00.9999999999Z',
  '2030-01-01',
  'yesterday',
  0,
  '',
];
const DURATIONS: JsonValue[] = ['1s', '0s', '-1s', '1.5s', '315576000001s', '-315576000001s', '1', 'forever', 5];
const WRONG: JsonValue[] = [null, 0, 'x', [], {}, true, [1, 'a'], { a: 1 }];

function randomString(rng: Rng): string {
  switch (int(rng, 6)) {
    case 0:
      return 'x'.repeat(int(rng, 3) === 0 ? 70_000 : int(rng, 300));
    case 1:
      return String.fromCharCode(...Array.from({ length: int(rng, 20) }, () => int(rng, 0xffff)));
    default:
      return pick(rng, STRINGS);
  }
}

/** A JSON value nested `depth` deep, in objects and arrays. */
function nested(rng: Rng, depth: number): JsonValue {
  let value: JsonValue = pick(rng, [1, 'x', null, true]);
  for (let i = 0; i < depth; i++) value = chance(rng, 0.5) ? { k: value } : [value];
  return value;
}

function randomJson(rng: Rng, depth = 0): JsonValue {
  if (chance(rng, 0.08)) return nested(rng, 20 + int(rng, 60));
  if (depth > 3 || chance(rng, 0.4)) return pick(rng, [1, 'x', null, true, 2.5, randomString(rng)]);
  if (chance(rng, 0.5)) return Array.from({ length: int(rng, 4) }, () => randomJson(rng, depth + 1));
  return Object.fromEntries(Array.from({ length: int(rng, 4) }, (_, i) => [`k${i}`, randomJson(rng, depth + 1)]));
}

function jsonScalar(rng: Rng, field: DescField): JsonValue {
  const e = field.enum;
  if (e !== undefined) {
    return pick(rng, [...e.values.map((v) => v.name), 'FUNDAY', 'AGENT_STATUS_SLEEPING', 99, -1, e.values[0]?.number ?? 0]);
  }
  const message = field.message;
  if (message !== undefined) {
    switch (message.typeName) {
      case 'google.protobuf.Timestamp':
        return pick(rng, TIMES);
      case 'google.protobuf.Duration':
        return pick(rng, DURATIONS);
      case 'google.protobuf.Struct':
        return chance(rng, 0.5) ? (nested(rng, int(rng, 70)) as JsonValue) : { a: randomJson(rng) };
      case 'google.protobuf.Value':
        return randomJson(rng);
      default:
        return jsonMessage(rng, message, 1);
    }
  }
  if (chance(rng, 0.5)) return randomString(rng);
  return pick(rng, NUMBERS);
}

function jsonField(rng: Rng, field: DescField): JsonValue {
  if (chance(rng, 0.08)) return pick(rng, WRONG);
  if (field.fieldKind === 'list') return Array.from({ length: int(rng, 4) }, () => jsonScalar(rng, field));
  if (field.fieldKind === 'map') return Object.fromEntries(Array.from({ length: int(rng, 3) }, () => [randomString(rng).slice(0, 40), jsonScalar(rng, field)]));
  return jsonScalar(rng, field);
}

/** A JSON body for `desc`: mostly the right keys, sometimes misspelt or unknown ones, values of every kind. */
export function jsonMessage(rng: Rng, desc: DescMessage, depth = 0): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  if (depth > 4) return out;
  for (const field of desc.fields) {
    if (!chance(rng, 0.6)) continue;
    const key = chance(rng, 0.85) ? field.jsonName : chance(rng, 0.5) ? field.name : `${field.jsonName}X`;
    out[key] = jsonField(rng, field);
  }
  if (chance(rng, 0.05)) out[randomString(rng).slice(0, 20) || 'unknownField'] = randomJson(rng);
  return out;
}

/** Binary from the same values where they decode, with fields poked past what JSON can say. */
function binaryMessage(rng: Rng, desc: DescMessage): Uint8Array {
  let message;
  try {
    message = fromJson(desc, jsonMessage(rng, desc), { ignoreUnknownFields: true });
  } catch {
    message = create(desc);
  }
  const record = message as unknown as Record<string, unknown>;
  for (const field of desc.fields) {
    if (!chance(rng, 0.1)) continue;
    if (field.fieldKind === 'enum') record[field.localName] = pick(rng, [99, -5, 2147483647]);
    if (field.fieldKind === 'message' && field.message.typeName === 'google.protobuf.Timestamp') {
      record[field.localName] = create(field.message, { seconds: pick(rng, [253402300800n, -62135596801n, 1n, 2n ** 62n]), nanos: pick(rng, [-1, 1e9, 5]) } as never);
    }
  }
  let bytes = toBinary(desc, message);
  if (chance(rng, 0.1)) bytes = new Uint8Array([...bytes, 0x98, 0x06, int(rng, 128)]); // field 99
  return bytes;
}

/** Byte-level damage: truncation, flips, inserted noise, invalid UTF-8, runaway varints, deep groups. */
function damage(rng: Rng, bytes: Uint8Array): Uint8Array {
  const b = Array.from(bytes);
  switch (int(rng, 8)) {
    case 0:
      return bytes.subarray(0, int(rng, bytes.byteLength + 1));
    case 1:
      for (let i = 0; i < 1 + int(rng, 4) && b.length > 0; i++) b[int(rng, b.length)] = int(rng, 256);
      return new Uint8Array(b);
    case 2:
      b.splice(int(rng, b.length + 1), 0, ...Array.from({ length: 1 + int(rng, 8) }, () => int(rng, 256)));
      return new Uint8Array(b);
    case 3:
      return new Uint8Array([...b, 0x0a, 0x03, 0xc3, 0x28, 0xff]); // field 1, invalid UTF-8
    case 4:
      return new Uint8Array([...b, 0x08, ...Array<number>(12).fill(0xff)]); // varint that never ends
    case 5:
      return new Uint8Array([...b, ...Array<number>(120).fill(0x0b)]); // start-group tags, nested deep
    case 6:
      return new Uint8Array(Array.from({ length: int(rng, 64) }, () => int(rng, 256)));
    default:
      return bytes;
  }
}

export interface FuzzRequest {
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
  /** What was done, for the failure report. */
  readonly shape: string;
}

/** One request body for `desc` over `protocol`, framed (or mis-framed) for it. */
export function fuzzRequest(rng: Rng, desc: DescMessage, protocol: WireProtocol): FuzzRequest {
  let shape = isBinary(protocol) ? 'binary' : 'json';
  let data: Uint8Array;
  if (isBinary(protocol)) {
    data = binaryMessage(rng, desc);
    if (chance(rng, 0.5)) {
      data = damage(rng, data);
      shape += '+damaged';
    }
  } else if (chance(rng, 0.1)) {
    data = new TextEncoder().encode(pick(rng, ['{', '[]', 'null', '"x"', '{"a":', '\u0000', '{}}', '']));
    shape += '+broken';
  } else {
    data = new TextEncoder().encode(JSON.stringify(jsonMessage(rng, desc)));
    if (chance(rng, 0.05)) {
      data = new Uint8Array([...data.subarray(0, data.byteLength - 1), 0xc3, 0x28, 0x7d]);
      shape += '+bad-utf8';
    }
  }
  const headers: Record<string, string> = {};
  if (!isEnveloped(protocol)) {
    if (chance(rng, 0.03)) {
      headers[protocol.startsWith('connect') ? 'content-encoding' : 'grpc-encoding'] = 'gzip';
      shape += '+false-gzip';
    }
    return { body: data, headers, shape };
  }
  let body = frame(data);
  switch (int(rng, 12)) {
    case 0:
      new DataView(body.buffer).setUint32(1, data.byteLength + 1 + int(rng, 100));
      shape += '+long-length';
      break;
    case 1:
      body = body.subarray(0, int(rng, body.byteLength));
      shape += '+truncated-frame';
      break;
    case 2:
      body[0] = 1;
      headers[protocol.startsWith('connect') ? 'connect-content-encoding' : 'grpc-encoding'] = pick(rng, ['gzip', 'br', 'zstd']);
      shape += '+false-compression';
      break;
    case 3:
      body = new Uint8Array([...body, ...frame(data)]);
      shape += '+two-messages';
      break;
    case 4:
      body = new Uint8Array([...body, 0, 0]);
      shape += '+trailing-garbage';
      break;
    case 5:
      body[0] = pick(rng, [0x02, 0x80, 0xff]);
      shape += '+bad-flags';
      break;
  }
  return { body, headers, shape };
}
