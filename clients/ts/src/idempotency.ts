/**
 * Which RPCs may be sent again after `Unavailable` without changing what happens. Retrying a
 * call that writes could do it twice: `Authorize` writes an audit entry and consumes a
 * rate-limit slot, `CreateAgent` makes a second agent, `RotateAgentToken` invalidates the token
 * the first attempt returned. Reads are safe. Revoking and deciding an approval are not listed:
 * a retry after a lost answer would fail (already revoked / decided) and hide the success.
 * The proto declares no idempotency_level options, so this table is the source; a test checks
 * that it names only real RPCs and classifies every one of them.
 */
export const IDEMPOTENT_RPCS: ReadonlySet<string> = new Set([
  'kavach.v1.AuthService/GetSession',
  'kavach.v1.AgentService/GetAgent',
  'kavach.v1.AgentService/ListAgents',
  'kavach.v1.AuthorizeService/ListApprovals',
  'kavach.v1.AuditService/QueryAudit',
  'kavach.v1.DelegationService/ListDelegations',
  'kavach.v1.DelegationService/GetEffectivePermissions',
]);

/** RPCs with effects: never retried automatically. */
export const NON_IDEMPOTENT_RPCS: ReadonlySet<string> = new Set([
  'kavach.v1.AuthService/SignUp',
  'kavach.v1.AuthService/SignIn',
  'kavach.v1.AuthService/SignOut',
  'kavach.v1.AgentService/CreateAgent',
  'kavach.v1.AgentService/UpdateAgent',
  'kavach.v1.AgentService/RotateAgentToken',
  'kavach.v1.AgentService/RevokeAgent',
  'kavach.v1.AuthorizeService/Authorize',
  'kavach.v1.AuthorizeService/AuthorizeBatch',
  'kavach.v1.AuthorizeService/ApproveRequest',
  'kavach.v1.AuthorizeService/DenyRequest',
  'kavach.v1.DelegationService/CreateDelegation',
  'kavach.v1.DelegationService/RevokeDelegation',
  // Server streams resume by their own means (tailAudit's cursor), never by a blind retry.
  'kavach.v1.AuditService/ExportAudit',
  'kavach.v1.AuditService/TailAudit',
]);

export const isIdempotent = (service: string, method: string): boolean => IDEMPOTENT_RPCS.has(`${service}/${method}`);
