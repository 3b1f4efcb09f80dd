/**
 * The one registration point (docs/ARCHITECTURE.md#a-new-rpc): every service the server
 * exposes. The server, the in-process test transport and the end-to-end tests all use it. No
 * registration brings its own interceptors: connect-es would let those replace the router's,
 * and every call must pass through the one list of `createInterceptors`.
 */
import type { ConnectRouter } from '@connectrpc/connect';
import { AgentService, file_kavach_v1_agent_service } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuditService, file_kavach_v1_audit_service } from '../../gen/kavach/v1/audit_service_pb.js';
import { AuthService, file_kavach_v1_auth_service } from '../../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService, file_kavach_v1_authorize_service } from '../../gen/kavach/v1/authorize_service_pb.js';
import { DelegationService, file_kavach_v1_delegation_service } from '../../gen/kavach/v1/delegation_service_pb.js';
import type { App } from '../app/app.js';
import { agentServiceImpl } from './agent-service.js';
import { auditServiceImpl } from './audit-service.js';
import { authServiceImpl } from './auth-service.js';
import { authorizeServiceImpl } from './authorize-service.js';
import { delegationServiceImpl } from './delegation-service.js';
import type { HealthService } from './health.js';
import { registerReflection } from './reflection.js';
import { loadSourceDescriptors } from './source-descriptors.js';

/** Every Kavach proto file, for reflection. */
export const KAVACH_FILES = [
  file_kavach_v1_auth_service,
  file_kavach_v1_agent_service,
  file_kavach_v1_authorize_service,
  file_kavach_v1_audit_service,
  file_kavach_v1_delegation_service,
] as const;

export function routes(app: App, extras: { health: HealthService }): (router: ConnectRouter) => void {
  return (router) => {
    router.service(AuthService, authServiceImpl(app));
    router.service(AgentService, agentServiceImpl(app));
    router.service(AuthorizeService, authorizeServiceImpl(app));
    router.service(AuditService, auditServiceImpl(app));
    router.service(DelegationService, delegationServiceImpl(app));
    extras.health.register(router);
    registerReflection(router, KAVACH_FILES, loadSourceDescriptors());
  };
}
