/**
 * Who may see and change what (docs/ARCHITECTURE.md#callers-and-credentials). Everything that is not visible reads as missing,
 * so nothing about another owner's records leaks, not even their existence.
 */
import { permissionDenied, unauthenticated } from '../domain/errors.js';
import type { Principal } from './auth/principal.js';

export type Authenticated = Exclude<Principal, { kind: 'anonymous' }>;
export type Human = Extract<Principal, { kind: 'admin' | 'user' }>;

/** Refuses anonymous callers. The authn interceptor already does; this keeps use cases safe on their own. */
export function requireAuthenticated(principal: Principal): Authenticated {
  if (principal.kind === 'anonymous') throw unauthenticated('a bearer credential is required');
  return principal;
}

/** Admin or user: agents never manage agents, approvals or accounts. */
export function requireHuman(principal: Principal, what: string): Human {
  const caller = requireAuthenticated(principal);
  if (caller.kind === 'agent') throw permissionDenied(`an agent token may not ${what}`);
  return caller;
}

/** May `principal` see an agent with this owner and id? Admin: all in the tenant; user: own; agent: itself. */
export function canSeeAgent(principal: Principal, agent: { tenantId: string; ownerId: string; id: string }): boolean {
  if (principal.tenantId !== agent.tenantId) return false;
  switch (principal.kind) {
    case 'admin':
      return true;
    case 'user':
      return agent.ownerId === principal.userId;
    case 'agent':
      return agent.id === principal.agentId;
    case 'anonymous':
      return false;
  }
}

/** May `principal` manage (update, rotate, revoke, decide approvals for) an agent? Admin or owner. */
export function canManageAgent(principal: Principal, agent: { tenantId: string; ownerId: string }): boolean {
  if (principal.tenantId !== agent.tenantId) return false;
  return principal.kind === 'admin' || (principal.kind === 'user' && agent.ownerId === principal.userId);
}
