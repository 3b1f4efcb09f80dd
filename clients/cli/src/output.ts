/**
 * Output: `--output table` (default; fitted to the terminal, coloured only on a terminal),
 * `json` (proto3 JSON, parseable) or `yaml`. Commands hand over their data as plain JSON and,
 * for tables, the columns to show.
 */
import type { Writable } from 'node:stream';
import { styleText } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { UsageError } from './exit-codes.js';

export type OutputFormat = 'table' | 'json' | 'yaml';
export const FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml'];

export function parseFormat(value: string): OutputFormat {
  if (!(FORMATS as readonly string[]).includes(value)) throw new UsageError(`--output must be one of ${FORMATS.join(', ')}, got "${value}"`);
  return value as OutputFormat;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Style = Extract<Parameters<typeof styleText>[0], string>;

export interface Column {
  readonly header: string;
  /** The cell's text for a row. */
  readonly value: (row: Json) => string;
  /** Colour of the cell on a terminal, by its text. */
  readonly style?: (text: string) => Style | undefined;
}

export interface Terminal {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Colour allowed (stdout is a terminal, NO_COLOR unset, no --no-color). */
  readonly color: boolean;
  /** Width to fit tables into; undefined when stdout is not a terminal and COLUMNS is unset. */
  readonly width: number | undefined;
  /** stderr is a terminal (progress bars). */
  readonly stderrIsTty: boolean;
}

// Control characters from stored text must not move the cursor or recolour the terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
export const clean = (text: string): string => text.replace(CONTROL, '?');

export function paint(term: Terminal, style: Style | Style[] | undefined, text: string): string {
  // The decision to colour is ours (a terminal, NO_COLOR, --no-color): do not let styleText re-check.
  return term.color && style !== undefined ? styleText(style, text, { validateStream: false }) : text;
}

function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}

/**
 * Lays the rows out in columns separated by two spaces. When wider than the terminal, the widest
 * columns give up width first (down to 6 characters) and their cells end in "…".
 */
export function renderTable(term: Terminal, columns: readonly Column[], rows: readonly Json[]): string {
  const cells = rows.map((row) => columns.map((c) => clean(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]?.length ?? 0)));
  if (term.width !== undefined) {
    const gap = 2 * (columns.length - 1);
    let excess = widths.reduce((a, b) => a + b, 0) + gap - term.width;
    while (excess > 0) {
      const widest = widths.indexOf(Math.max(...widths));
      if ((widths[widest] ?? 0) <= 6) break;
      widths[widest] = (widths[widest] ?? 0) - 1;
      excess -= 1;
    }
  }
  const line = (texts: string[], styles: (Style | Style[] | undefined)[]) =>
    texts
      .map((t, i) => {
        const w = widths[i] ?? 0;
        const fitted = truncate(t, w);
        const padded = i === texts.length - 1 ? fitted : fitted.padEnd(w);
        return paint(term, styles[i], padded);
      })
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.header.toUpperCase()), columns.map(() => 'bold'))];
  for (const row of cells) out.push(line(row, row.map((t, i) => columns[i]?.style?.(t))));
  return `${out.join('\n')}\n`;
}

/** Key/value lines for a single object in table mode. */
export function renderRecord(term: Terminal, record: Record<string, string>): string {
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  return `${Object.entries(record)
    .map(([k, v]) => `${paint(term, 'bold', k.padEnd(width))}  ${clean(v)}`)
    .join('\n')}\n`;
}

export function renderData(format: Exclude<OutputFormat, 'table'>, data: Json): string {
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : toYaml(data);
}

/** One item of a stream (tail, watch): a JSON line, or a YAML document. */
export function renderStreamItem(format: Exclude<OutputFormat, 'table'>, data: Json): string {
  return format === 'json' ? `${JSON.stringify(data)}\n` : `---\n${toYaml(data)}`;
}
