/**
 * AuthorizeService handlers: decisions and human approvals.
 */
import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthorizeService} from '../../gen/kavach/v1/authorize_service_pb.js';
import { AuthorizeResponseSchema, type AuthorizeRequest, type AuthorizeResponse } from '../../gen/kavach/v1/authorize_service_pb.js';
import { ApprovalSchema, type Approval } from '../../gen/kavach/v1/types_pb.js';
import type { App } from '../app/app.js';
import type { AuthorizeInput, Decision } from '../app/authorize/authorize.js';
import type { ApprovalRecord } from '../domain/records.js';
import { metaOf, principalOf } from './context-keys.js';
import {
  actorToProto,
  approvalStatusFromProto,
  approvalStatusToProto,
  argumentsFromProto,
  argumentsToProto,
  filterEnum,
  reasonToProto,
  toTimestamp,
} from './mapping.js';

function inputOf(req: AuthorizeRequest, prefix: string): AuthorizeInput {
  return {
    agentId: req.agentId,
    action: req.action,
    resource: req.resource,
    arguments: argumentsFromProto(req.arguments, `${prefix}arguments`),
    clientIp: req.clientIp,
  };
}

function decisionToProto(d: Decision): AuthorizeResponse {
  return create(AuthorizeResponseSchema, {
    allowed: d.allowed,
    reason: reasonToProto(d.reason),
    message: d.message,
    auditId: d.auditId,
    retryAfterSeconds: d.retryAfterSeconds,
    approvalId: d.approvalId,
  });
}

export function approvalToProto(a: ApprovalRecord): Approval {
  return create(ApprovalSchema, {
    id: a.id,
    tenantId: a.tenantId,
    agentId: a.agentId,
    ownerId: a.ownerId,
    action: a.action,
    resource: a.resource,
    arguments: argumentsToProto(a.arguments),
    status: approvalStatusToProto(a.status),
    createdAt: toTimestamp(a.createdAt),
    expiresAt: toTimestamp(a.expiresAt),
    decidedAt: toTimestamp(a.decidedAt),
    decidedBy: a.decidedBy === undefined ? undefined : actorToProto(a.decidedBy),
    reason: a.reason ?? '',
  });
}


export function authorizeServiceImpl(app: App): ServiceImpl<typeof AuthorizeService> {
  return {
    async authorize(req, ctx) {
      return decisionToProto(await app.authorize.authorize(principalOf(ctx), metaOf(ctx), inputOf(req, '')));
    },
    async authorizeBatch(req, ctx) {
      const checks = req.checks.map((c, i) => inputOf(c, `checks[${i}].`));
      const decisions = await app.authorize.authorizeBatch(principalOf(ctx), metaOf(ctx), checks);
      return { decisions: decisions.map(decisionToProto) };
    },
    async listApprovals(req, ctx) {
      const page = await app.approvals.list(principalOf(ctx), {
        agentId: req.agentId,
        status: filterEnum(req.status, approvalStatusFromProto, 'status'),
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { approvals: page.items.map(approvalToProto), nextPageToken: page.nextCursor ?? '' };
    },
    async approveRequest(req, ctx) {
      return { approval: approvalToProto(await app.approvals.approve(principalOf(ctx), req.approvalId, req.reason)) };
    },
    async denyRequest(req, ctx) {
      return { approval: approvalToProto(await app.approvals.deny(principalOf(ctx), req.approvalId, req.reason)) };
    },
  };
}
