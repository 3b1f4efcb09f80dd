/**
 * What every command gets: the terminal, the environment, the stop signal, the chosen output
 * format, and a client made from the connection flags, environment and saved session.
 */
import type { Command } from 'commander';
import { createKavachClient, type KavachClient, type TransportKind } from './client.js';
import { CliError, EXIT, UsageError } from './exit-codes.js';
import { parseFormat, renderData, renderRecord, renderTable, type Column, type Json, type OutputFormat, type Terminal } from './output.js';
import { resolveConnection, type Connection, type Env } from './session.js';

export interface Io extends Terminal {
  readonly env: Env;
  /** Aborted on Ctrl-C: long-running commands stop cleanly. */
  readonly signal: AbortSignal;
  /** Standard input (passwords, `-` as a file). */
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** The exit code a command chose (e.g. 3 for a denial); 0 unless set. */
  readonly status: { code: number };
}

export interface GlobalOptions {
  readonly url?: string;
  readonly token?: string;
  readonly tenant?: string;
  readonly output: string;
  readonly color: boolean;
  readonly transport: string;
  readonly timeout: string;
  readonly field?: string;
}

const TRANSPORTS: readonly TransportKind[] = ['connect', 'grpc', 'grpc-web'];

export class Context {
  readonly format: OutputFormat;
  readonly term: Terminal;

  constructor(
    readonly io: Io,
    readonly globals: GlobalOptions,
  ) {
    this.format = parseFormat(globals.output);
    this.term = { ...io, color: io.color && globals.color };
  }

  static of(io: Io, command: Command): Context {
    return new Context(io, command.optsWithGlobals<GlobalOptions>());
  }

  connection(requireToken = true): Promise<Connection> {
    return resolveConnection(this.globals, this.io.env, requireToken);
  }

  async client(requireToken = true): Promise<KavachClient> {
    const { url, token, tenant } = await this.connection(requireToken);
    return this.clientFor(url, token, tenant);
  }

  clientFor(url: string, token: string, tenant: string | undefined): KavachClient {
    const transport = this.globals.transport as TransportKind;
    if (!TRANSPORTS.includes(transport)) throw new UsageError(`--transport must be one of ${TRANSPORTS.join(', ')}, got "${transport}"`);
    const timeoutMs = Number(this.globals.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new UsageError(`--timeout must be milliseconds (0 for none), got "${this.globals.timeout}"`);
    return createKavachClient({ baseUrl: url, token, tenant, transport, timeoutMs, httpVersion: transport === 'grpc' ? '2' : '1.1' });
  }

  write(text: string): void {
    this.io.stdout.write(text);
  }

  note(text: string): void {
    this.io.stderr.write(`kavach: ${text}\n`);
  }

  /** A list: a table of `columns`, or the JSON/YAML of `data` (which holds the rows). */
  list(data: Json, rows: readonly Json[], columns: readonly Column[]): void {
    if (this.globals.field !== undefined) this.write(pickField(data, this.globals.field));
    else this.write(this.format === 'table' ? renderTable(this.term, columns, rows) : renderData(this.format, data));
  }

  /** One object: key/value lines, or its JSON/YAML. */
  record(data: Json, fields: Record<string, string>): void {
    if (this.globals.field !== undefined) this.write(pickField(data, this.globals.field));
    else this.write(this.format === 'table' ? renderRecord(this.term, fields) : renderData(this.format, data));
  }
}

/**
 * `--field agent.id`: one value of the JSON output (a dotted path, numbers index lists), printed
 * bare for scripts: `AGENT=$(kavach agents create ... --field agent.id)`.
 */
export function pickField(data: Json, fieldPath: string): string {
  let value: Json | undefined = data;
  for (const key of fieldPath.split('.')) {
    if (value === null || typeof value !== 'object') {
      value = undefined;
      break;
    }
    value = Array.isArray(value) ? value[Number(key)] : value[key];
  }
  if (value === undefined) throw new CliError(`the output has no field "${fieldPath}"`, EXIT.error);
  return `${typeof value === 'string' ? value : JSON.stringify(value)}\n`;
}
