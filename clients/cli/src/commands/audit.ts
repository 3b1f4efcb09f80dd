/** `kavach audit query|export|tail`. */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { toJson } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { AuditEntrySchema, AuditResult, type AuditFilterInit } from '../client.js';
import type { Context, Io } from '../context.js';
import { CliError, EXIT, UsageError } from '../exit-codes.js';
import { parseEnum, parsePositiveInt, parseTimestamp } from '../input.js';
import { clean, paint, renderStreamItem, type Json } from '../output.js';
import { createProgress } from '../progress.js';
import { AUDIT_COLUMNS, auditRow } from './format.js';
import { action, repeat } from './common.js';

const withFilters = (command: Command): Command =>
  command
    .option('--agent <agentId>', 'entries about this agent')
    .option('--owner <userId>', 'entries about agents of this owner')
    .option('--action <action>', 'only these actions (repeatable)', repeat)
    .option('--result <result>', 'allowed, denied, rate_limited or pending_approval')
    .option('--resource-prefix <text>', 'resources starting with this text')
    .option('--since <time>', 'entries at or after this ISO 8601 time')
    .option('--until <time>', 'entries before this ISO 8601 time');

function filterOf(o: Record<string, unknown>): AuditFilterInit {
  return {
    agentId: (o.agent as string | undefined) ?? '',
    ownerId: (o.owner as string | undefined) ?? '',
    actions: (o.action as string[] | undefined) ?? [],
    resourcePrefix: (o.resourcePrefix as string | undefined) ?? '',
    result: o.result === undefined ? AuditResult.UNSPECIFIED : parseEnum(AuditResult, o.result as string, '--result'),
    since: o.since === undefined ? undefined : parseTimestamp(o.since as string, '--since'),
    until: o.until === undefined ? undefined : parseTimestamp(o.until as string, '--until'),
  };
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** One human line per entry for `audit tail`. */
function tailLine(ctx: Context, row: ReturnType<typeof auditRow>): string {
  const r = row as Record<string, string>;
  const style = r.resultName === 'allowed' ? 'green' : r.resultName === 'pending_approval' ? 'cyan' : r.resultName === 'rate_limited' ? 'yellow' : 'red';
  return `${[
    paint(ctx.term, 'dim', r.when ?? ''),
    paint(ctx.term, ['bold', style], (r.resultName ?? '').padEnd(16)),
    paint(ctx.term, 'bold', clean(r.action ?? '')),
    clean(r.resource === undefined || r.resource === '' ? '-' : r.resource),
    paint(ctx.term, 'dim', `by ${clean(r.actorText ?? '')}`),
    r.reasonName === '' || r.reasonName === undefined ? '' : paint(ctx.term, style, r.reasonName),
    r.message === undefined || r.message === '' ? '' : paint(ctx.term, 'gray', `"${clean(r.message)}"`),
  ]
    .filter((p) => p !== '')
    .join('  ')}\n`;
}

export function auditCommand(program: Command, io: Io): void {
  const audit = program.command('audit').description('query, export and follow the audit log');

  withFilters(audit.command('query').description('matching entries, newest first, with the exact total'))
    .option('--limit <n>', 'at most this many entries (default 50)', '50')
    .action(
      action(io, async (ctx, o) => {
        const limit = parsePositiveInt(o.limit as string, '--limit');
        const client = await ctx.client();
        const filter = filterOf(o);
        const entries = [];
        let total: bigint | undefined;
        let pageToken = '';
        do {
          const res = await client.audit.queryAudit({ filter, pageSize: Math.min(1000, limit - entries.length), pageToken });
          entries.push(...res.entries);
          total = res.total;
          pageToken = res.nextPageToken;
        } while (pageToken !== '' && entries.length < limit);
        ctx.list({ entries: entries.map((e) => toJson(AuditEntrySchema, e)), total: String(total ?? 0n) }, entries.map(auditRow), AUDIT_COLUMNS);
        if (ctx.format === 'table') ctx.note(`${entries.length} of ${total ?? 0n} matching entries`);
      }),
    );

  withFilters(audit.command('export').description('every matching entry, oldest first, as JSON lines or CSV'))
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(
      action(io, async (ctx, o) => {
        const format = o.format as string;
        if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format must be jsonl or csv, got "${format}"`);
        const client = await ctx.client();
        const filter = filterOf(o);
        const showProgress = io.stderrIsTty;
        // The exact total, for the bar: one cheap query before the stream.
        const total = showProgress ? Number((await client.audit.queryAudit({ filter, pageSize: 1 })).total) : 0;
        const progress = createProgress(io.stderr, showProgress, total, io.width);
        const out = o.out === undefined ? io.stdout : createWriteStream(o.out as string, { mode: 0o600 });
        let rows = 0;
        try {
          for await (const row of client.exportAudit({ filter, format, signal: io.signal })) {
            await write(out, `${row}${format === 'csv' ? '\r\n' : '\n'}`);
            rows += 1;
            progress.update(format === 'csv' ? rows - 1 : rows);
          }
        } finally {
          progress.finish();
          if (out !== io.stdout) {
            out.end();
            await once(out, 'close').catch((err: Error) => {
              throw new CliError(`cannot write ${o.out as string}: ${err.message}`, EXIT.error);
            });
          }
        }
        if (o.out !== undefined) ctx.note(`wrote ${format === 'csv' ? Math.max(0, rows - 1) : rows} entries to ${o.out as string}`);
      }),
    );

  withFilters(audit.command('tail').description('print entries as they are written; resumes across dropped connections (Ctrl-C to stop)'))
    .option('--cursor <cursor>', 'resume after this cursor instead of starting at the present')
    .option('--json', 'same as --output json: one JSON object per line')
    .action(
      action(io, async (ctx, o) => {
        const client = await ctx.client();
        const format = o.json === true ? 'json' : ctx.format;
        for await (const { entry } of client.tailAudit({
          filter: filterOf(o),
          cursor: (o.cursor as string | undefined) ?? '',
          signal: io.signal,
          onConnect: () => ctx.note(`following the audit log at ${client.options.baseUrl} (Ctrl-C to stop)`),
          onReconnect: (error, delay) => ctx.note(`connection lost (${error.codeName}: ${error.rawMessage}); reconnecting in ${delay} ms`),
          onGap: (error) => ctx.note(`${error.rawMessage}; entries were lost to retention, continuing from the present`),
        })) {
          // JSON and YAML carry the entry exactly as the API defines it (proto3 JSON), one per line/document.
          await write(io.stdout, format === 'table' ? tailLine(ctx, auditRow(entry)) : renderStreamItem(format, toJson(AuditEntrySchema, entry) as Json));
        }
      }),
    );
}
