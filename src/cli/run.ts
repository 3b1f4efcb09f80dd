/**
 * The `kavach` command, free of process globals so tests can run it: arguments in, exit code out.
 */
import type { Transport } from '@connectrpc/connect';
import { USAGE, UsageError, parseCli } from './args.js';
import { tailAudit, type CliIo } from './audit-tail.js';

export interface RunOptions extends CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C: the command stops cleanly and returns 0. */
  readonly signal: AbortSignal;
  /** Overrides the gRPC transport to `--url` (tests). */
  readonly transport?: Transport;
}

export async function runCli(argv: readonly string[], options: RunOptions): Promise<number> {
  let args;
  try {
    args = parseCli(argv, options.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    options.stderr.write(`kavach: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  switch (args.command) {
    case 'help':
      options.stdout.write(USAGE);
      return 0;
    case 'audit-tail':
      return tailAudit(args, options, options.signal, options.transport);
  }
}
