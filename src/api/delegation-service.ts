/**
 * DelegationService handlers: convert the request, call one use case, convert the result.
 */
import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { DelegationDirection, type DelegationService } from '../../gen/kavach/v1/delegation_service_pb.js';
import {
  DelegationSchema,
  DelegationStatus,
  EffectivePermissionSchema,
  PermissionSource,
  type Delegation,
  type EffectivePermission,
} from '../../gen/kavach/v1/types_pb.js';
import type { App } from '../app/app.js';
import type { DelegationView, EffectivePermissionView, ListDelegationsInput } from '../app/delegations/delegations.js';
import { invalidArgument } from '../domain/errors.js';
import { principalOf } from './context-keys.js';
import { permissionToProto, permissionsFromProto, toDate, toTimestamp } from './mapping.js';

const STATUSES: Record<DelegationView['status'], DelegationStatus> = {
  active: DelegationStatus.ACTIVE,
  revoked: DelegationStatus.REVOKED,
  expired: DelegationStatus.EXPIRED,
};

export function delegationToProto(d: DelegationView): Delegation {
  return create(DelegationSchema, {
    id: d.id,
    tenantId: d.tenantId,
    fromAgentId: d.fromAgentId,
    toAgentId: d.toAgentId,
    permissions: d.permissions.map(permissionToProto),
    depth: d.depth,
    maxDepth: d.maxDepth,
    status: STATUSES[d.status],
    createdAt: toTimestamp(d.createdAt),
    expiresAt: toTimestamp(d.expiresAt),
    revokedAt: toTimestamp(d.revokedAt),
    ownerId: d.ownerId,
  });
}

function effectivePermissionToProto(p: EffectivePermissionView): EffectivePermission {
  return create(EffectivePermissionSchema, {
    permission: permissionToProto(p.permission),
    source: p.source === 'own' ? PermissionSource.OWN : PermissionSource.DELEGATED,
    delegationIds: [...p.delegationIds],
    agentChain: [...p.agentChain],
    expiresAt: toTimestamp(p.expiresAt),
  });
}

function directionFromProto(direction: DelegationDirection): ListDelegationsInput['direction'] {
  switch (direction) {
    case DelegationDirection.UNSPECIFIED:
      return 'both';
    case DelegationDirection.GIVEN:
      return 'given';
    case DelegationDirection.RECEIVED:
      return 'received';
    default:
      throw invalidArgument('direction', 'must be DELEGATION_DIRECTION_GIVEN, _RECEIVED or _UNSPECIFIED (both)');
  }
}


export function delegationServiceImpl(app: App): ServiceImpl<typeof DelegationService> {
  return {
    async createDelegation(req, ctx) {
      const delegation = await app.delegations.create(principalOf(ctx), {
        fromAgentId: req.fromAgentId,
        toAgentId: req.toAgentId,
        permissions: permissionsFromProto(req.permissions, 'permissions'),
        expiresAt: toDate(req.expiresAt, 'expires_at'),
        maxDepth: req.maxDepth,
      });
      return { delegation: delegationToProto(delegation) };
    },
    async listDelegations(req, ctx) {
      const page = await app.delegations.list(principalOf(ctx), {
        agentId: req.agentId,
        direction: directionFromProto(req.direction),
        includeInactive: req.includeInactive,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { delegations: page.items.map(delegationToProto), nextPageToken: page.nextCursor ?? '' };
    },
    async getEffectivePermissions(req, ctx) {
      const permissions = await app.delegations.effectivePermissions(principalOf(ctx), req.agentId);
      return { permissions: permissions.map(effectivePermissionToProto) };
    },
    async revokeDelegation(req, ctx) {
      const { delegation, revokedCount } = await app.delegations.revoke(principalOf(ctx), req.delegationId);
      return { delegation: delegationToProto(delegation), revokedCount };
    },
  };
}
