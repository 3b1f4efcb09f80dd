/**
 * Strict readers for JSON request bodies (REST.md): unknown keys are invalid_argument naming
 * them, `null` means absent, and a wrong type names the field as the client wrote it
 * (camelCase, `permissions[0].constraints.timeWindow.start`).
 */
import { invalidArgument } from '../domain/errors.js';

export type JsonObject = { readonly [key: string]: unknown };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `value` as an object with only `allowed` keys. `null`/absent is undefined. */
export function optObject(value: unknown, field: string, allowed: readonly string[]): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidArgument(field, 'must be a JSON object');
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalidArgument(join(field, key), `is not a known field (known: ${allowed.join(', ')})`);
  }
  return value;
}

export function object(value: unknown, field: string, allowed: readonly string[]): JsonObject {
  const obj = optObject(value, field, allowed);
  if (obj === undefined) throw invalidArgument(field, 'is required');
  return obj;
}

export function optString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidArgument(field, 'must be a string');
  return value;
}

export function string(value: unknown, field: string): string {
  const s = optString(value, field);
  if (s === undefined) throw invalidArgument(field, 'is required');
  return s;
}

export function optBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidArgument(field, 'must be true or false');
  return value;
}

export function optInteger(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalidArgument(field, 'must be a whole number');
  return value;
}

export function optNumber(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidArgument(field, 'must be a finite number');
  return value;
}

/** A list of strings; each `null` inside is an error, since a list has no absent items. */
export function optStringList(value: unknown, field: string, max = 1000): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalidArgument(field, 'must be a list of strings');
  if (value.length > max) throw invalidArgument(field, `must hold at most ${max} items`);
  return value.map((item: unknown, i) => {
    if (typeof item !== 'string') throw invalidArgument(`${field}[${i}]`, 'must be a string');
    return item;
  });
}

export function optList(value: unknown, field: string, max: number): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalidArgument(field, 'must be a list');
  if (value.length > max) throw invalidArgument(field, `must hold at most ${max} items`);
  return value;
}

/** An ISO-8601 / RFC 3339 time with a date; a bare date is midnight UTC. */
export function optTime(value: unknown, field: string): Date | undefined {
  const text = optString(value, field);
  if (text === undefined) return undefined;
  const date = parseTime(text);
  if (date === undefined) throw invalidArgument(field, 'must be an ISO-8601 time such as 2026-01-31T12:00:00Z');
  return date;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|z|[+-](\d{2}):?(\d{2}))?)?$/;

/** Every field in its range: `Date` would roll 2026-02-30 over to March 2 and 25:00 to the next day. */
function inRange(m: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  const daysInMonth = new Date(Date.UTC(year ?? 0, month ?? 0, 0)).getUTCDate();
  return (
    (month ?? 0) >= 1 && (month ?? 0) <= 12 && (day ?? 0) >= 1 && (day ?? 0) <= daysInMonth &&
    (hour ?? 0) <= 23 && (minute ?? 0) <= 59 && (second ?? 0) <= 59 && (offsetHour ?? 0) <= 23 && (offsetMinute ?? 0) <= 59
  );
}

export function parseTime(text: string): Date | undefined {
  const match = ISO.exec(text);
  if (match === null || !inRange(match)) return undefined;
  // A time without an offset is read as UTC, never as the server's local time.
  const hasOffset = /(?:Z|z|[+-]\d{2}:?\d{2})$/.test(text) && text.length > 10;
  const normalized = text.length > 10 && !hasOffset ? `${text}Z` : text;
  const date = new Date(normalized);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** String-valued metadata, as the RPCs store it. */
export function optMetadata(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidArgument(field, 'must be a JSON object of strings');
  const entries = Object.entries(value).map(([key, v]): [string, string] => {
    if (typeof v !== 'string') throw invalidArgument(join(field, key), 'must be a string');
    return [key, v];
  });
  // fromEntries defines own properties, so a `__proto__` key stays a key (and is validated as
  // one) instead of silently setting a prototype.
  return Object.fromEntries(entries);
}

export function optJsonObject(value: unknown, field: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidArgument(field, 'must be a JSON object');
  return value;
}

/** Keys of the body itself are named bare (`name`, not `body.name`). */
const join = (field: string, key: string): string => (field === '' || field === 'body' ? key : `${field}.${key}`);
