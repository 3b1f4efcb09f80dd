/**
 * Reading what commands are given: permissions as flags or a JSON/YAML file, arguments as
 * key=value pairs or JSON, timestamps, enum names, and passwords (stdin, env or a hidden prompt).
 */
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';
import { PermissionSchema, permission, withApproval, type Permission } from './client.js';
import { CliError, EXIT, UsageError } from './exit-codes.js';
import type { Io } from './context.js';

/** `ACTIONS@RESOURCE`, e.g. `read,write@mcp:github:*`. */
export function parsePermissionFlag(spec: string, flag: string): Permission {
  const at = spec.indexOf('@');
  const actions = at < 0 ? [] : spec.slice(0, at).split(',').map((a) => a.trim()).filter((a) => a !== '');
  const resource = at < 0 ? '' : spec.slice(at + 1).trim();
  if (actions.length === 0 || resource === '') throw new UsageError(`${flag} takes ACTIONS@RESOURCE such as read,write@mcp:github:*, got "${spec}"`);
  return permission(resource, actions);
}

/** Reads a JSON or YAML file (`-` for stdin). */
export async function readStructured(file: string, io: Io): Promise<unknown> {
  let text: string;
  try {
    text = file === '-' ? await readAll(io.stdin) : await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.error);
  }
  try {
    // YAML is a superset of JSON: one parser reads both.
    return parseYaml(text) as unknown;
  } catch (err) {
    throw new CliError(`${file} is neither JSON nor YAML: ${(err as Error).message}`, EXIT.error);
  }
}

/** Permissions from a file holding a list (or `{permissions: [...]}`) in the proto3 JSON form. */
export async function readPermissionsFile(file: string, io: Io): Promise<Permission[]> {
  const data = await readStructured(file, io);
  const list = Array.isArray(data) ? data : (data as { permissions?: unknown } | null)?.permissions;
  if (!Array.isArray(list)) throw new CliError(`${file}: expected a list of permissions (or an object with "permissions")`, EXIT.error);
  return list.map((item, i) => {
    try {
      return fromJson(PermissionSchema, item as JsonValue);
    } catch (err) {
      throw new CliError(`${file}: permission ${i + 1}: ${(err as Error).message}`, EXIT.error);
    }
  });
}

/** The permissions of --allow, --approval and --permissions-file together; undefined when none was given. */
export async function collectPermissions(
  options: { allow?: string[]; approval?: string[]; permissionsFile?: string },
  io: Io,
): Promise<Permission[] | undefined> {
  const given = [
    ...(options.allow ?? []).map((s) => parsePermissionFlag(s, '--allow')),
    ...(options.approval ?? []).map((s) => withApproval(parsePermissionFlag(s, '--approval'))),
    ...(options.permissionsFile === undefined ? [] : await readPermissionsFile(options.permissionsFile, io)),
  ];
  const named = options.allow !== undefined || options.approval !== undefined || options.permissionsFile !== undefined;
  return named ? given : undefined;
}

/** `key=value` pairs into an object; values that parse as JSON (numbers, true, lists) keep their type. */
export function parseKeyValues(pairs: readonly string[], flag: string): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} takes KEY=VALUE, got "${pair}"`);
    const raw = pair.slice(eq + 1);
    let value: JsonValue = raw;
    try {
      value = JSON.parse(raw) as JsonValue;
    } catch {
      // Not JSON: the plain string.
    }
    out[pair.slice(0, eq)] = value;
  }
  return out;
}

export function parseTimestamp(value: string, flag: string): Timestamp {
  const date = new Date(value);
  if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(`${flag} takes an ISO 8601 time such as 2030-01-31T00:00:00Z, got "${value}"`);
  }
  return timestampFromDate(date);
}

/** Maps a lower-case name (e.g. "pending_approval") to a generated enum value; lists the choices otherwise. */
export function parseEnum<E extends Record<string, string | number>>(enumObject: E, value: string, flag: string): E[keyof E] {
  const names = Object.keys(enumObject).filter((k) => Number.isNaN(Number(k)) && k !== 'UNSPECIFIED');
  const key = value.toUpperCase().replace(/-/g, '_');
  if (!names.includes(key)) throw new UsageError(`${flag} must be one of ${names.map((n) => n.toLowerCase()).join(', ')}, got "${value}"`);
  return enumObject[key] as E[keyof E];
}

export function enumName(enumObject: Record<number, string>, value: number): string {
  return (enumObject[value] ?? String(value)).toLowerCase();
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text;
}

/**
 * The password: with --password-stdin the first line of stdin, else KAVACH_PASSWORD, else a
 * prompt that does not echo (only on a terminal; otherwise a usage error).
 */
export async function readPassword(io: Io, fromStdin: boolean): Promise<string> {
  let password: string | undefined;
  if (fromStdin) password = (await readAll(io.stdin)).split(/\r?\n/)[0];
  else if (io.env.KAVACH_PASSWORD !== undefined && io.env.KAVACH_PASSWORD !== '') password = io.env.KAVACH_PASSWORD;
  else if (io.stdin.isTTY === true) password = await prompt(io, 'Password: ');
  if (password === undefined || password === '') {
    throw new UsageError('a password is required: use --password-stdin, set KAVACH_PASSWORD, or run on a terminal to be asked');
  }
  return password;
}

function prompt(io: Io, question: string): Promise<string> {
  return new Promise((resolve) => {
    io.stderr.write(question);
    const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
    // Swallow the echo of typed characters.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
    rl.question('', (answer) => {
      rl.close();
      io.stderr.write('\n');
      resolve(answer);
    });
  });
}
