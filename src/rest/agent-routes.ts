/**
 * `/agents` routes: create, list, get, update, revoke, rotate and authorize, each one call of
 * the same use case the AgentService and AuthorizeService RPCs use.
 */
import { argumentsFromProto } from '../api/mapping.js';
import type { App } from '../app/app.js';
import type { Arguments } from '../domain/types.js';
import { invalidArgument } from '../domain/errors.js';
import type { AgentStatus, AgentType } from '../domain/types.js';
import { collectPages } from './collect.js';
import { queryOf } from './http-io.js';
import { object, optJsonObject, optMetadata, optString, optTime, string } from './json-input.js';
import { keepUnexpressedConstraints, permissionsFromJson } from './permissions.js';
import { created, noContent, ok, type RestCall, type RestRoute } from './route.js';
import { agentToJson, decisionToJson } from './views.js';

const AGENT_TYPES: readonly AgentType[] = ['autonomous', 'delegated', 'service'];
const AGENT_STATUSES: readonly AgentStatus[] = ['active', 'revoked', 'expired'];

export function enumValue<T extends string>(value: string | undefined, allowed: readonly T[], field: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw invalidArgument(field, `has an unknown value "${value}" (use one of ${allowed.join(', ')})`);
  return value as T;
}

const idParam = (call: RestCall, name = 'id'): string => call.params[name] ?? '';

/** `{action, resource, arguments?}`, the body of both authorize routes. */
export async function authorizeBodyOf(call: RestCall): Promise<{ action: string; resource: string; arguments: Arguments }> {
  const body = object(await call.body(), 'body', ['action', 'resource', 'arguments']);
  return {
    action: string(body.action, 'action'),
    resource: string(body.resource, 'resource'),
    // The RPC edge's own check: size bound, no `__proto__` keys.
    arguments: argumentsFromProto(optJsonObject(body.arguments, 'arguments') as Parameters<typeof argumentsFromProto>[0], 'arguments'),
  };
}

export function agentRoutes(app: App): RestRoute[] {
  return [
    {
      method: 'POST',
      path: '/agents',
      async handle(call) {
        const body = object(await call.body(), 'body', ['ownerId', 'name', 'type', 'permissions', 'expiresAt', 'metadata']);
        const type = enumValue(string(body.type, 'type'), AGENT_TYPES, 'type');
        const { agent, token } = await app.agents.create(call.principal, {
          ownerId: optString(body.ownerId, 'ownerId') ?? '',
          name: string(body.name, 'name'),
          type,
          permissions: permissionsFromJson(body.permissions, 'permissions', true) ?? [],
          expiresAt: optTime(body.expiresAt, 'expiresAt'),
          metadata: optMetadata(body.metadata, 'metadata') ?? {},
        });
        return created(agentToJson(agent, token));
      },
    },
    {
      method: 'GET',
      path: '/agents',
      async handle(call) {
        const q = queryOf(call.search, ['userId', 'status', 'type']);
        const status = enumValue(q.get('status'), AGENT_STATUSES, 'status');
        const type = enumValue(q.get('type'), AGENT_TYPES, 'type');
        const agents = await collectPages(
          (pageToken) => app.agents.list(call.principal, { ownerId: q.get('userId') ?? '', status, type, pageSize: 500, pageToken }),
          'agents',
        );
        return ok(agents.map((a) => agentToJson(a)));
      },
    },
    {
      method: 'GET',
      path: '/agents/:id',
      async handle(call) {
        queryOf(call.search, []);
        return ok(agentToJson(await app.agents.get(call.principal, idParam(call))));
      },
    },
    {
      method: 'PATCH',
      path: '/agents/:id',
      async handle(call) {
        const body = object(await call.body(), 'body', ['name', 'permissions', 'expiresAt', 'metadata']);
        const name = optString(body.name, 'name');
        const parsed = permissionsFromJson(body.permissions, 'permissions', false);
        const expiresAt = optTime(body.expiresAt, 'expiresAt');
        const metadata = optMetadata(body.metadata, 'metadata');
        if (name === undefined && parsed === undefined && expiresAt === undefined && metadata === undefined) {
          throw invalidArgument('body', 'set at least one of name, permissions, expiresAt or metadata');
        }
        // What the SDK cannot express stays as stored (REST.md: a read-modify-write through the
        // SDK never drops a constraint); the read is the caller's own, so it is checked the same.
        const permissions =
          parsed === undefined
            ? undefined
            : keepUnexpressedConstraints(
                body.permissions as unknown[],
                parsed,
                (await app.agents.get(call.principal, idParam(call))).permissions,
              );
        const agent = await app.agents.update(call.principal, {
          agentId: idParam(call),
          name,
          permissions,
          expiresAt,
          clearExpiresAt: false,
          metadata,
        });
        return ok(agentToJson(agent));
      },
    },
    {
      method: 'DELETE',
      path: '/agents/:id',
      async handle(call) {
        queryOf(call.search, []);
        await app.agents.revoke(call.principal, idParam(call));
        return noContent;
      },
    },
    {
      method: 'POST',
      path: '/agents/:id/rotate',
      async handle(call) {
        object((await call.body()) ?? {}, 'body', []);
        const { agent, token } = await app.agents.rotate(call.principal, idParam(call));
        return ok(agentToJson(agent, token));
      },
    },
    {
      method: 'POST',
      path: '/agents/:id/authorize',
      async handle(call) {
        const input = await authorizeBodyOf(call);
        const decision = await app.authorize.authorize(call.principal, call.meta, { agentId: idParam(call), ...input, clientIp: '' });
        return ok(decisionToJson(decision));
      },
    },
  ];
}
