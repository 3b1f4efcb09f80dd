/**
 * Command-line arguments of `kavach`. Bad arguments throw a UsageError with a message for the
 * user; the entry point prints it with the usage text.
 */
import { parseArgs } from 'node:util';

export const USAGE = `Usage: kavach audit tail [options]

Prints audit entries as they are written, and keeps going across dropped connections.

Options:
  --url <url>               Kavach server (default http://127.0.0.1:8080)
  --token <token>           bearer credential (default: $KAVACH_TOKEN)
  --json                    one JSON object (a kavach.v1.AuditEntry) per line
  --agent <id>              only entries about this agent
  --owner <id>              only entries about agents of this owner
  --action <action>         only these actions (repeatable)
  --result <result>         allowed, denied, rate_limited or pending_approval
  --resource-prefix <text>  only resources starting with this text
  --cursor <cursor>         resume after this cursor instead of starting at the present
  -h, --help                this text
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type ResultName = 'allowed' | 'denied' | 'rate_limited' | 'pending_approval';
const RESULTS: readonly ResultName[] = ['allowed', 'denied', 'rate_limited', 'pending_approval'];

export interface TailArgs {
  readonly command: 'audit-tail';
  readonly url: string;
  readonly token: string;
  readonly json: boolean;
  readonly agentId: string;
  readonly ownerId: string;
  readonly actions: string[];
  readonly result: ResultName | undefined;
  readonly resourcePrefix: string;
  readonly cursor: string;
}

export type CliArgs = TailArgs | { readonly command: 'help' };

export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string', default: 'http://127.0.0.1:8080' },
        token: { type: 'string' },
        json: { type: 'boolean', default: false },
        agent: { type: 'string', default: '' },
        owner: { type: 'string', default: '' },
        action: { type: 'string', multiple: true, default: [] },
        result: { type: 'string' },
        'resource-prefix': { type: 'string', default: '' },
        cursor: { type: 'string', default: '' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (positionals.join(' ') !== 'audit tail') {
    throw new UsageError(positionals.length === 0 ? 'name a command' : `unknown command "${positionals.join(' ')}"`);
  }
  const token = values.token ?? env.KAVACH_TOKEN ?? '';
  if (token === '') throw new UsageError('a credential is required: pass --token or set KAVACH_TOKEN');
  if (!/^https?:\/\/[^/\s]+\/?$/.test(values.url)) throw new UsageError(`--url must look like http://host:port, got "${values.url}"`);
  const result = values.result;
  if (result !== undefined && !(RESULTS as readonly string[]).includes(result)) {
    throw new UsageError(`--result must be one of ${RESULTS.join(', ')}, got "${result}"`);
  }
  return {
    command: 'audit-tail',
    url: values.url.replace(/\/$/, ''),
    token,
    json: values.json,
    agentId: values.agent,
    ownerId: values.owner,
    actions: values.action,
    result: result as ResultName | undefined,
    resourcePrefix: values['resource-prefix'],
    cursor: values.cursor,
  };
}
