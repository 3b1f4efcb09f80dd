/** Display helpers: enum names without their prefix, timestamps in the reader's locale. */
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';

export function enumLabel(e: Record<number | string, string | number>, value: number, prefix: string): string {
  const name = e[value];
  if (typeof name !== 'string') return String(value);
  return name.replace(prefix, '').toLowerCase().replace(/_/g, ' ');
}

export function when(ts: Timestamp | undefined): string {
  return ts === undefined ? '—' : timestampDate(ts).toLocaleString();
}

export function iso(ts: Timestamp | undefined): string {
  return ts === undefined ? '' : timestampDate(ts).toISOString();
}

export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Metadata typed as `key=value`, one per line (blank lines ignored). */
export function parseMetadata(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    const i = t.indexOf('=');
    if (i < 0) out[t] = '';
    else out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}

export function formatMetadata(m: Record<string, string>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}
