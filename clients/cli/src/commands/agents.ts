/** `kavach agents create|list|get|update|rotate|revoke`. */
import { toJson } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { AgentSchema, AgentStatus, AgentType } from '../client.js';
import type { Io } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { collectPermissions, parseEnum, parseKeyValues, parsePositiveInt, parseTimestamp } from '../input.js';
import { AGENT_COLUMNS, agentFields, agentRow } from './format.js';
import { action, allPages, repeat } from './common.js';

const PERMISSION_HELP = `
Permissions: --allow ACTIONS@RESOURCE (repeatable), e.g. --allow read,write@mcp:github:*;
--approval ACTIONS@RESOURCE for one that needs a human's approval; or --permissions-file FILE
(JSON or YAML, "-" for stdin): a list of {resource, actions, constraints} in proto3 JSON, e.g.
  - resource: "mcp:deploy:*"
    actions: [execute]
    constraints: {requireApproval: true, maxCallsPerHour: 10, ipAllowlist: ["10.0.0.0/8"]}`;

const withPermissionOptions = (command: Command): Command =>
  command
    .option('--allow <actions@resource>', 'grant ACTIONS on RESOURCE (repeatable)', repeat)
    .option('--approval <actions@resource>', 'grant ACTIONS on RESOURCE with human approval (repeatable)', repeat)
    .option('--permissions-file <file>', 'permissions from a JSON or YAML file ("-" for stdin)')
    .addHelpText('after', PERMISSION_HELP);

export function agentsCommand(program: Command, io: Io): void {
  const agents = program.command('agents').description('create and manage agents');

  withPermissionOptions(
    agents
      .command('create')
      .description('create an agent and print its token (shown only this once)')
      .requiredOption('--name <name>', 'display name')
      .option('--type <type>', 'autonomous, delegated or service', 'autonomous')
      .option('--owner <userId>', 'owning user (required with the admin token)')
      .option('--expires-at <time>', 'ISO 8601 expiry')
      .option('--metadata <key=value>', 'a label (repeatable)', repeat),
  ).action(
    action(io, async (ctx, o) => {
      const permissions = (await collectPermissions(o, io)) ?? [];
      const client = await ctx.client();
      const res = await client.agents.createAgent({
        ownerId: (o.owner as string | undefined) ?? '',
        name: o.name as string,
        type: parseEnum(AgentType, o.type as string, '--type'),
        permissions,
        expiresAt: o.expiresAt === undefined ? undefined : parseTimestamp(o.expiresAt as string, '--expires-at'),
        metadata: Object.fromEntries(Object.entries(parseKeyValues((o.metadata as string[] | undefined) ?? [], '--metadata')).map(([k, v]) => [k, String(v)])),
      });
      const agent = res.agent ?? (undefined as never);
      ctx.record({ agent: toJson(AgentSchema, agent), token: res.token }, { ...agentFields(agent), token: res.token });
      if (ctx.format === 'table') ctx.note('store the token now: it is not shown again');
    }),
  );

  agents
    .command('list')
    .description('list agents (every page)')
    .option('--owner <userId>', 'only this owner’s agents')
    .option('--status <status>', 'active, revoked or expired')
    .option('--type <type>', 'autonomous, delegated or service')
    .option('--limit <n>', 'at most this many')
    .action(
      action(io, async (ctx, o) => {
        const status = o.status === undefined ? AgentStatus.UNSPECIFIED : parseEnum(AgentStatus, o.status as string, '--status');
        const type = o.type === undefined ? AgentType.UNSPECIFIED : parseEnum(AgentType, o.type as string, '--type');
        const limit = o.limit === undefined ? Infinity : parsePositiveInt(o.limit as string, '--limit');
        const client = await ctx.client();
        const list = await allPages(async (pageToken) => {
          const res = await client.agents.listAgents({ ownerId: (o.owner as string | undefined) ?? '', status, type, pageToken });
          return { items: res.agents, next: res.nextPageToken };
        }, limit);
        ctx.list({ agents: list.map((a) => toJson(AgentSchema, a)) }, list.map(agentRow), AGENT_COLUMNS);
      }),
    );

  agents
    .command('get')
    .description('show one agent')
    .argument('<agentId>')
    .action(
      action(io, async (ctx, _o, agentId: string) => {
        const agent = (await (await ctx.client()).agents.getAgent({ agentId })).agent ?? (undefined as never);
        ctx.record({ agent: toJson(AgentSchema, agent) }, agentFields(agent));
      }),
    );

  withPermissionOptions(
    agents
      .command('update')
      .description('change an agent’s name, permissions (replaced as a whole), expiry or metadata')
      .argument('<agentId>')
      .option('--name <name>', 'new display name')
      .option('--expires-at <time>', 'new ISO 8601 expiry')
      .option('--clear-expiry', 'remove the expiry')
      .option('--metadata <key=value>', 'replace the metadata with these labels (repeatable)', repeat),
  ).action(
    action(io, async (ctx, o, agentId: string) => {
      const permissions = await collectPermissions(o, io);
      if (o.expiresAt !== undefined && o.clearExpiry === true) throw new UsageError('--expires-at and --clear-expiry exclude each other');
      const metadata = o.metadata === undefined ? undefined : parseKeyValues(o.metadata as string[], '--metadata');
      const change = {
        agentId,
        name: o.name as string | undefined,
        permissions: permissions === undefined ? undefined : { permissions },
        expiresAt: o.expiresAt === undefined ? undefined : parseTimestamp(o.expiresAt as string, '--expires-at'),
        clearExpiresAt: o.clearExpiry === true,
        metadata: metadata === undefined ? undefined : { entries: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)])) },
      };
      if (change.name === undefined && permissions === undefined && change.expiresAt === undefined && !change.clearExpiresAt && metadata === undefined) {
        throw new UsageError('nothing to change: give --name, permissions, --expires-at, --clear-expiry or --metadata');
      }
      const agent = (await (await ctx.client()).agents.updateAgent(change)).agent ?? (undefined as never);
      ctx.record({ agent: toJson(AgentSchema, agent) }, agentFields(agent));
    }),
  );

  agents
    .command('rotate')
    .description('issue a new token; the old one stops working at once')
    .argument('<agentId>')
    .action(
      action(io, async (ctx, _o, agentId: string) => {
        const res = await (await ctx.client()).agents.rotateAgentToken({ agentId });
        const agent = res.agent ?? (undefined as never);
        ctx.record({ agent: toJson(AgentSchema, agent), token: res.token }, { ...agentFields(agent), token: res.token });
      }),
    );

  agents
    .command('revoke')
    .description('revoke an agent for good (its token and delegations stop working)')
    .argument('<agentId>')
    .action(
      action(io, async (ctx, _o, agentId: string) => {
        const res = await (await ctx.client()).agents.revokeAgent({ agentId });
        const agent = res.agent ?? (undefined as never);
        ctx.record({ agent: toJson(AgentSchema, agent) }, agentFields(agent));
      }),
    );
}
