/** `kavach authorize`: one decision, or a batch from a file. Exit code 3 when anything is denied. */
import { fromJson, toJson, type JsonValue } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { AuthorizeRequestSchema, AuthorizeResponseSchema, ReasonCode, type AuthorizeResponse } from '../client.js';
import type { Io } from '../context.js';
import { CliError, EXIT, UsageError } from '../exit-codes.js';
import { enumName, parseKeyValues, readStructured } from '../input.js';
import type { Column, Json } from '../output.js';
import { action, repeat } from './common.js';

const decisionRow = (d: AuthorizeResponse, check: { agentId: string; action: string; resource: string }): Json => ({
  ...check,
  ...(toJson(AuthorizeResponseSchema, d, { alwaysEmitImplicit: true }) as Record<string, Json>),
  reasonName: enumName(ReasonCode, d.reason),
});

const COLUMNS: readonly Column[] = [
  { header: 'allowed', value: (r) => String((r as { allowed: boolean }).allowed), style: (t) => (t === 'true' ? 'green' : 'red') },
  { header: 'agent', value: (r) => String((r as { agentId: string }).agentId) },
  { header: 'action', value: (r) => String((r as { action: string }).action) },
  { header: 'resource', value: (r) => String((r as { resource: string }).resource) },
  { header: 'reason', value: (r) => String((r as { reasonName: string }).reasonName) },
  { header: 'approval', value: (r) => String((r as { approvalId?: string }).approvalId ?? '') },
  { header: 'audit', value: (r) => String((r as { auditId: string }).auditId) },
];

export function authorizeCommand(program: Command, io: Io): void {
  program
    .command('authorize')
    .description('ask whether an agent may do something now (exit code 3 if denied)')
    .argument('[action]', 'the action, e.g. read')
    .argument('[resource]', 'the resource, e.g. mcp:github:repos')
    .option('--agent <agentId>', 'the agent (with a user or admin credential)')
    .option('--arg <key=value>', 'an argument of the call (repeatable; JSON values keep their type)', repeat)
    .option('--args-json <json>', 'all arguments as one JSON object')
    .option('--client-ip <ip>', 'the address the agent called from')
    .option('--batch <file>', 'decide every check in a JSON or YAML file (a list of {agentId, action, resource, arguments})')
    .addHelpText('after', '\nWith an agent token as the credential, --agent may be left out: the agent asks for itself.')
    .action(
      action(io, async (ctx, o, actionName?: string, resource?: string) => {
        if (o.batch !== undefined) {
          if (actionName !== undefined) throw new UsageError('give either --batch FILE or ACTION RESOURCE, not both');
          const data = await readStructured(o.batch as string, io);
          const list = Array.isArray(data) ? data : (data as { checks?: unknown } | null)?.checks;
          if (!Array.isArray(list) || list.length === 0) throw new CliError(`${o.batch as string}: expected a non-empty list of checks`, EXIT.error);
          const checks = list.map((item, i) => {
            try {
              return fromJson(AuthorizeRequestSchema, item as JsonValue);
            } catch (err) {
              throw new CliError(`${o.batch as string}: check ${i + 1}: ${(err as Error).message}`, EXIT.error);
            }
          });
          const res = await (await ctx.client()).authorize.authorizeBatch({ checks });
          const rows = res.decisions.map((d, i) => decisionRow(d, checks[i] ?? { agentId: '', action: '', resource: '' }));
          ctx.list({ decisions: rows }, rows, COLUMNS);
          return res.decisions.every((d) => d.allowed) ? EXIT.ok : EXIT.denied;
        }
        if (actionName === undefined || resource === undefined) throw new UsageError('authorize needs ACTION and RESOURCE (or --batch FILE)');
        let args = parseKeyValues((o.arg as string[] | undefined) ?? [], '--arg');
        if (o.argsJson !== undefined) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(o.argsJson as string);
          } catch (err) {
            throw new UsageError(`--args-json is not JSON: ${(err as Error).message}`);
          }
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--args-json must be a JSON object');
          args = { ...(parsed as Record<string, JsonValue>), ...args };
        }
        const check = { agentId: (o.agent as string | undefined) ?? '', action: actionName, resource };
        const decision = await (await ctx.client()).authorize.authorize({
          ...check,
          arguments: Object.keys(args).length === 0 ? undefined : args,
          clientIp: (o.clientIp as string | undefined) ?? '',
        });
        const row = decisionRow(decision, check);
        ctx.record(row, {
          allowed: String(decision.allowed),
          reason: enumName(ReasonCode, decision.reason),
          message: decision.message,
          audit_id: decision.auditId,
          ...(decision.approvalId === '' ? {} : { approval_id: decision.approvalId }),
          ...(decision.retryAfterSeconds === 0 ? {} : { retry_after_seconds: String(decision.retryAfterSeconds) }),
        });
        return decision.allowed ? EXIT.ok : EXIT.denied;
      }),
    );
}
