/**
 * `kavach audit tail`: follows TailAudit and prints each entry. When the connection drops (the
 * server restarts, a proxy times out, the reader was too slow) it reconnects with the last
 * cursor it received, so no entry is printed twice or skipped; history lost to retention is
 * reported and the tail goes on from the present. Credential and argument errors end it.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { AuditService } from '../../gen/kavach/v1/audit_service_pb.js';
import { AuditResult } from '../../gen/kavach/v1/types_pb.js';
import type { ResultName, TailArgs } from './args.js';
import { createRenderer } from './render.js';

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Colour the human output (a terminal, and NO_COLOR unset). */
  readonly color: boolean;
}

const RESULTS: Record<ResultName, AuditResult> = {
  allowed: AuditResult.ALLOWED,
  denied: AuditResult.DENIED,
  rate_limited: AuditResult.RATE_LIMITED,
  pending_approval: AuditResult.PENDING_APPROVAL,
};

/** Errors that retrying cannot fix. */
const FATAL = new Set([Code.Unauthenticated, Code.PermissionDenied, Code.InvalidArgument, Code.Unimplemented, Code.NotFound]);
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** Runs until `signal` aborts (exit code 0) or a fatal error (1). */
export async function tailAudit(
  args: TailArgs,
  io: CliIo,
  signal: AbortSignal,
  transport: Transport = createGrpcTransport({ baseUrl: args.url }),
): Promise<number> {
  const client = createClient(AuditService, transport);
  const render = createRenderer({ json: args.json, color: io.color && !args.json });
  const note = (text: string) => write(io.stderr, `kavach: ${text}\n`);
  const filter = {
    agentId: args.agentId,
    ownerId: args.ownerId,
    actions: args.actions,
    resourcePrefix: args.resourcePrefix,
    result: args.result === undefined ? AuditResult.UNSPECIFIED : RESULTS[args.result],
  };
  let cursor = args.cursor;
  let backoff = FIRST_BACKOFF_MS;
  let connected = false;

  while (!signal.aborted) {
    try {
      const stream = client.tailAudit({ filter, cursor }, { signal, headers: { authorization: `Bearer ${args.token}` } });
      for await (const res of stream) {
        if (!connected) await note(`following the audit log at ${args.url} (Ctrl-C to stop)`);
        connected = true;
        backoff = FIRST_BACKOFF_MS;
        if (res.event.case === 'entry') await write(io.stdout, render.entry(res.event.value));
        // Only after the entry is written: a resume must not skip one that was never printed.
        cursor = res.cursor;
      }
      // The server ended the stream without an error (it should not): follow on.
    } catch (err) {
      if (signal.aborted) break;
      const error = ConnectError.from(err);
      if (FATAL.has(error.code)) {
        await note(`${Code[error.code]}: ${error.rawMessage}`);
        return 1;
      }
      if (error.code === Code.OutOfRange) {
        await note(`${error.rawMessage}; entries were lost to retention, continuing from the present`);
        cursor = '';
        continue;
      }
      connected = false;
      await note(`connection lost (${Code[error.code]}: ${error.rawMessage}); reconnecting in ${backoff} ms`);
      await sleep(backoff, undefined, { signal }).catch(() => undefined);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }
  return 0;
}
