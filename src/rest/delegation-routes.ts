/**
 * `/delegations` routes: create, list an agent's chains, effective permissions and revoke, each
 * one call of the same use case the DelegationService RPCs use.
 */
import type { App } from '../app/app.js';
import { MAX_DELEGATION_DEPTH } from '../domain/delegation.js';
import { invalidArgument } from '../domain/errors.js';
import { collectPages } from './collect.js';
import { queryOf } from './http-io.js';
import { object, optInteger, optTime, string } from './json-input.js';
import { permissionsFromJson } from './permissions.js';
import { created, noContent, ok, type RestRoute } from './route.js';
import { delegationToJson, effectivePermissionToJson } from './views.js';

export function delegationRoutes(app: App): RestRoute[] {
  return [
    {
      method: 'POST',
      path: '/delegations',
      async handle(call) {
        const body = object(await call.body(), 'body', ['fromAgent', 'toAgent', 'permissions', 'expiresAt', 'maxDepth']);
        const maxDepth = optInteger(body.maxDepth, 'maxDepth');
        // The RPC reads 0 as "unset" (proto3 cannot tell them apart); JSON can, so a 0 sent is a mistake.
        if (maxDepth !== undefined && (maxDepth < 1 || maxDepth > MAX_DELEGATION_DEPTH)) {
          throw invalidArgument('maxDepth', `must be from 1 to ${MAX_DELEGATION_DEPTH}, or left out`);
        }
        const delegation = await app.delegations.create(call.principal, {
          fromAgentId: string(body.fromAgent, 'fromAgent'),
          toAgentId: string(body.toAgent, 'toAgent'),
          permissions: permissionsFromJson(body.permissions, 'permissions', true) ?? [],
          expiresAt: optTime(body.expiresAt, 'expiresAt'),
          // 0 is the use case's "default depth".
          maxDepth: maxDepth ?? 0,
        });
        return created(delegationToJson(delegation));
      },
    },
    {
      method: 'GET',
      path: '/delegations/:agentId',
      async handle(call) {
        queryOf(call.search, []);
        // The SDK's "chains where the agent is a participant": given and received, still active.
        const chains = await collectPages(
          (pageToken) =>
            app.delegations.list(call.principal, {
              agentId: call.params.agentId ?? '',
              direction: 'both',
              includeInactive: false,
              pageSize: 500,
              pageToken,
            }),
          'delegations',
        );
        return ok(chains.map(delegationToJson));
      },
    },
    {
      method: 'GET',
      path: '/delegations/:agentId/permissions',
      async handle(call) {
        queryOf(call.search, []);
        const permissions = await app.delegations.effectivePermissions(call.principal, call.params.agentId ?? '');
        return ok(permissions.map(effectivePermissionToJson));
      },
    },
    {
      method: 'DELETE',
      path: '/delegations/:agentId',
      async handle(call) {
        queryOf(call.search, []);
        // The same path position names a delegation id on DELETE (REST.md).
        await app.delegations.revoke(call.principal, call.params.agentId ?? '');
        return noContent;
      },
    },
  ];
}
