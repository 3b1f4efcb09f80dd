/** `kavach delegations create|list|effective|revoke`. */
import { toJson } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { DelegationDirection, DelegationSchema, EffectivePermissionSchema, PermissionSource } from '../client.js';
import type { Io } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { collectPermissions, enumName, parseEnum, parsePositiveInt, parseTimestamp } from '../input.js';
import type { Column, Json } from '../output.js';
import { DELEGATION_COLUMNS, delegationRow, permissionText, time } from './format.js';
import { action, allPages, repeat } from './common.js';

const EFFECTIVE_COLUMNS: readonly Column[] = [
  { header: 'permission', value: (r) => String((r as { text: string }).text) },
  { header: 'source', value: (r) => String((r as { sourceName: string }).sourceName) },
  { header: 'via', value: (r) => ((r as { agentChain?: string[] }).agentChain ?? []).join(' > ') },
  { header: 'expires', value: (r) => String((r as { expires: string }).expires) },
];

export function delegationsCommand(program: Command, io: Io): void {
  const delegations = program.command('delegations').description('delegate permissions between agents');

  delegations
    .command('create')
    .description('give another agent a subset of an agent’s permissions')
    .requiredOption('--from <agentId>', 'the agent giving')
    .requiredOption('--to <agentId>', 'the agent receiving')
    .option('--allow <actions@resource>', 'a delegated permission (repeatable)', repeat)
    .option('--permissions-file <file>', 'delegated permissions from a JSON or YAML file')
    .option('--max-depth <n>', 'how many hops chains through it may reach (1 to 10)')
    .option('--expires-at <time>', 'ISO 8601 expiry')
    .action(
      action(io, async (ctx, o) => {
        const permissions = await collectPermissions(o, io);
        if (permissions === undefined || permissions.length === 0) throw new UsageError('name the delegated permissions with --allow or --permissions-file');
        const res = await (await ctx.client()).delegations.createDelegation({
          fromAgentId: o.from as string,
          toAgentId: o.to as string,
          permissions,
          maxDepth: o.maxDepth === undefined ? 0 : parsePositiveInt(o.maxDepth as string, '--max-depth'),
          expiresAt: o.expiresAt === undefined ? undefined : parseTimestamp(o.expiresAt as string, '--expires-at'),
        });
        const d = res.delegation ?? (undefined as never);
        ctx.record({ delegation: toJson(DelegationSchema, d) }, {
          id: d.id,
          from: d.fromAgentId,
          to: d.toAgentId,
          depth: String(d.depth),
          permissions: d.permissions.map(permissionText).join('; '),
          expires: time(d.expiresAt),
        });
      }),
    );

  delegations
    .command('list')
    .description('list an agent’s delegations')
    .argument('<agentId>')
    .option('--direction <direction>', 'given, received or both (default both)')
    .option('--include-inactive', 'also revoked and expired ones')
    .action(
      action(io, async (ctx, o, agentId: string) => {
        const direction = o.direction === undefined ? DelegationDirection.UNSPECIFIED : parseEnum(DelegationDirection, o.direction as string, '--direction');
        const client = await ctx.client();
        const list = await allPages(async (pageToken) => {
          const res = await client.delegations.listDelegations({ agentId, direction, includeInactive: o.includeInactive === true, pageToken });
          return { items: res.delegations, next: res.nextPageToken };
        });
        ctx.list({ delegations: list.map((d) => toJson(DelegationSchema, d)) }, list.map(delegationRow), DELEGATION_COLUMNS);
      }),
    );

  delegations
    .command('effective')
    .description('an agent’s effective permissions: its own and those delegated to it')
    .argument('<agentId>')
    .action(
      action(io, async (ctx, _o, agentId: string) => {
        const res = await (await ctx.client()).delegations.getEffectivePermissions({ agentId });
        const rows: Json[] = res.permissions.map((p) => ({
          ...(toJson(EffectivePermissionSchema, p) as Record<string, Json>),
          text: p.permission === undefined ? '' : permissionText(p.permission),
          sourceName: enumName(PermissionSource, p.source),
          expires: time(p.expiresAt),
        }));
        ctx.list({ permissions: res.permissions.map((p) => toJson(EffectivePermissionSchema, p)) }, rows, EFFECTIVE_COLUMNS);
      }),
    );

  delegations
    .command('revoke')
    .description('revoke a delegation and every delegation made through it')
    .argument('<delegationId>')
    .action(
      action(io, async (ctx, _o, delegationId: string) => {
        const res = await (await ctx.client()).delegations.revokeDelegation({ delegationId });
        const d = res.delegation;
        ctx.record({ delegation: d === undefined ? null : toJson(DelegationSchema, d), revokedCount: res.revokedCount }, {
          id: d?.id ?? delegationId,
          revoked: String(res.revokedCount),
        });
      }),
    );
}
