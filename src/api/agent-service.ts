/**
 * AgentService handlers: convert the request, call one use case, convert the result.
 */
import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import type { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AgentSchema, type Agent } from '../../gen/kavach/v1/types_pb.js';
import type { AgentView } from '../app/agents/agents.js';
import type { App } from '../app/app.js';
import { invalidArgument } from '../domain/errors.js';
import { principalOf } from './context-keys.js';
import {
  agentStatusFromProto,
  agentStatusToProto,
  agentTypeFromProto,
  agentTypeToProto,
  filterEnum,
  permissionToProto,
  permissionsFromProto,
  toDate,
  toTimestamp,
} from './mapping.js';

export function agentToProto(a: AgentView): Agent {
  return create(AgentSchema, {
    id: a.id,
    tenantId: a.tenantId,
    ownerId: a.ownerId,
    name: a.name,
    type: agentTypeToProto(a.type),
    status: agentStatusToProto(a.status),
    permissions: a.permissions.map(permissionToProto),
    metadata: { ...a.metadata },
    createdAt: toTimestamp(a.createdAt),
    updatedAt: toTimestamp(a.updatedAt),
    expiresAt: toTimestamp(a.expiresAt),
    revokedAt: toTimestamp(a.revokedAt),
    tokenPrefix: a.tokenPrefix,
  });
}


export function agentServiceImpl(app: App): ServiceImpl<typeof AgentService> {
  return {
    async createAgent(req, ctx) {
      const { agent, token } = await app.agents.create(principalOf(ctx), {
        ownerId: req.ownerId,
        name: req.name,
        type: agentTypeFromProto(req.type),
        permissions: permissionsFromProto(req.permissions, 'permissions'),
        expiresAt: toDate(req.expiresAt, 'expires_at'),
        metadata: req.metadata,
      });
      return { agent: agentToProto(agent), token };
    },
    async getAgent(req, ctx) {
      return { agent: agentToProto(await app.agents.get(principalOf(ctx), req.agentId)) };
    },
    async listAgents(req, ctx) {
      const page = await app.agents.list(principalOf(ctx), {
        ownerId: req.ownerId,
        status: filterEnum(req.status, agentStatusFromProto, 'status'),
        type: filterEnum(req.type, agentTypeFromProto, 'type'),
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { agents: page.items.map(agentToProto), nextPageToken: page.nextCursor ?? '' };
    },
    async updateAgent(req, ctx) {
      if (req.permissions === undefined && req.name === undefined && req.expiresAt === undefined && !req.clearExpiresAt && req.metadata === undefined) {
        throw invalidArgument('agent', 'set at least one of name, permissions, expires_at, clear_expires_at or metadata');
      }
      const agent = await app.agents.update(principalOf(ctx), {
        agentId: req.agentId,
        name: req.name,
        permissions: req.permissions === undefined ? undefined : permissionsFromProto(req.permissions.permissions, 'permissions.permissions'),
        expiresAt: toDate(req.expiresAt, 'expires_at'),
        clearExpiresAt: req.clearExpiresAt,
        metadata: req.metadata?.entries,
      });
      return { agent: agentToProto(agent) };
    },
    async rotateAgentToken(req, ctx) {
      const { agent, token } = await app.agents.rotate(principalOf(ctx), req.agentId);
      return { agent: agentToProto(agent), token };
    },
    async revokeAgent(req, ctx) {
      return { agent: agentToProto(await app.agents.revoke(principalOf(ctx), req.agentId)) };
    },
  };
}
