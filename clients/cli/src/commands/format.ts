/** Table columns and record fields for Kavach's messages, shared by the commands. */
import { toJson } from '@bufbuild/protobuf';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
  ActorKind,
  AgentSchema,
  AgentStatus,
  AgentType,
  ApprovalSchema,
  ApprovalStatus,
  AuditEntrySchema,
  AuditResult,
  DelegationSchema,
  DelegationStatus,
  ReasonCode,
  type Agent,
  type Approval,
  type AuditEntry,
  type Delegation,
  type Permission,
} from '../client.js';
import { enumName } from '../input.js';
import type { Column, Json } from '../output.js';

export const time = (t: Timestamp | undefined): string => (t === undefined ? '' : timestampDate(t).toISOString());
const field = (row: Json, key: string): string => {
  const value = (row as Record<string, Json>)[key];
  return value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
};
const col = (header: string, key: string, style?: Column['style']): Column => ({ header, value: (row) => field(row, key), style });

const statusStyle: Column['style'] = (t) => (t === 'active' || t === 'approved' || t === 'allowed' ? 'green' : t === 'pending' || t === 'pending_approval' ? 'cyan' : t === '' ? undefined : 'red');

export function permissionText(p: Permission): string {
  const c = p.constraints;
  const extras = [
    c?.requireApproval ? 'approval' : '',
    c?.maxCallsPerHour !== undefined ? `${c.maxCallsPerHour}/h` : '',
    c !== undefined && c.ipAllowlist.length > 0 ? `ip ${c.ipAllowlist.join(' ')}` : '',
    c?.timeWindow !== undefined ? `${c.timeWindow.start}-${c.timeWindow.end}` : '',
    c !== undefined && c.argumentRules.length > 0 ? `${c.argumentRules.length} arg rules` : '',
  ].filter((e) => e !== '');
  return `${p.actions.join(',')}@${p.resource}${extras.length === 0 ? '' : ` [${extras.join(', ')}]`}`;
}

/** Agents as rows: the proto3 JSON plus a few display fields the table reads. */
export const agentRow = (a: Agent): Json => ({
  ...(toJson(AgentSchema, a) as Record<string, Json>),
  statusName: enumName(AgentStatus, a.status),
  typeName: enumName(AgentType, a.type),
  permissionsText: a.permissions.map(permissionText).join('; '),
});
export const AGENT_COLUMNS: readonly Column[] = [
  col('id', 'id'),
  col('name', 'name'),
  col('type', 'typeName'),
  col('status', 'statusName', statusStyle),
  col('owner', 'ownerId'),
  col('permissions', 'permissionsText'),
];
export const agentFields = (a: Agent): Record<string, string> => ({
  id: a.id,
  name: a.name,
  type: enumName(AgentType, a.type),
  status: enumName(AgentStatus, a.status),
  owner: a.ownerId,
  permissions: a.permissions.map(permissionText).join('; '),
  created: time(a.createdAt),
  expires: time(a.expiresAt),
  token_prefix: a.tokenPrefix,
});

export const approvalRow = (a: Approval): Json => ({
  ...(toJson(ApprovalSchema, a) as Record<string, Json>),
  statusName: enumName(ApprovalStatus, a.status),
  created: time(a.createdAt),
});
export const APPROVAL_COLUMNS: readonly Column[] = [
  col('id', 'id'),
  col('agent', 'agentId'),
  col('action', 'action'),
  col('resource', 'resource'),
  col('status', 'statusName', statusStyle),
  col('created', 'created'),
];

export const delegationRow = (d: Delegation): Json => ({
  ...(toJson(DelegationSchema, d) as Record<string, Json>),
  statusName: enumName(DelegationStatus, d.status),
  permissionsText: d.permissions.map(permissionText).join('; '),
});
export const DELEGATION_COLUMNS: readonly Column[] = [
  col('id', 'id'),
  col('from', 'fromAgentId'),
  col('to', 'toAgentId'),
  col('status', 'statusName', statusStyle),
  col('depth', 'depth'),
  col('permissions', 'permissionsText'),
];

export const auditRow = (e: AuditEntry): Json => ({
  ...(toJson(AuditEntrySchema, e) as Record<string, Json>),
  when: time(e.time),
  resultName: enumName(AuditResult, e.result),
  reasonName: e.reason === ReasonCode.UNSPECIFIED ? '' : enumName(ReasonCode, e.reason),
  actorText: e.actor === undefined ? 'anonymous' : `${enumName(ActorKind, e.actor.kind)}${e.actor.id === '' ? '' : `:${e.actor.id}`}`,
});
export const AUDIT_COLUMNS: readonly Column[] = [
  col('time', 'when'),
  col('result', 'resultName', statusStyle),
  col('action', 'action'),
  col('resource', 'resource'),
  col('actor', 'actorText'),
  col('reason', 'reasonName'),
];

export const json = <T>(value: T): Json => value as unknown as Json;
