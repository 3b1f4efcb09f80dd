/**
 * The generated service descriptors the console calls, from the repository's gen/ (the same
 * code the server routes). connect-query takes these method descriptors directly.
 */
export { AgentService } from '../../../gen/kavach/v1/agent_service_pb.js';
export { AuditService, ExportFormat } from '../../../gen/kavach/v1/audit_service_pb.js';
export { AuthService } from '../../../gen/kavach/v1/auth_service_pb.js';
export { AuthorizeService } from '../../../gen/kavach/v1/authorize_service_pb.js';
export { DelegationDirection, DelegationService } from '../../../gen/kavach/v1/delegation_service_pb.js';
export {
  ActorKind,
  AgentStatus,
  AgentType,
  ApprovalStatus,
  AuditResult,
  DelegationStatus,
  PermissionSource,
  ReasonCode,
  Weekday,
} from '../../../gen/kavach/v1/types_pb.js';
export type {
  Agent,
  Approval,
  AuditEntry,
  AuditFilter,
  Delegation,
  EffectivePermission,
  Permission,
} from '../../../gen/kavach/v1/types_pb.js';
export type { PermissionSchema } from '../../../gen/kavach/v1/types_pb.js';
