/**
 * Resolves a bearer credential into a principal (docs/ARCHITECTURE.md#callers-and-credentials). Secrets are looked up by their
 * SHA-256 and compared in constant time; a rejected token is audited without the token itself
 * (rejection-audit.ts bounds how many entries one source can cause).
 * Every failure gives the same message, so a caller cannot tell an unknown token from a revoked one.
 */
import { unauthenticated } from '../../domain/errors.js';
import type { AgentCache } from '../agents/agent-cache.js';
import { effectiveStatus } from '../../domain/lifecycle.js';
import type { CallMeta, Principal } from './principal.js';
import type { RejectionAuditor } from '../audit/rejection-audit.js';
import {
  AGENT_TOKEN_PREFIX,
  SESSION_TOKEN_PREFIX,
  digestsEqual,
  hasTokenShape,
  sha256Hex,
} from './secrets.js';
import type { SessionResolver } from './sessions.js';

export const DEFAULT_TENANT = 'default';
const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const REJECTED = 'the bearer credential is not valid';

export interface Authenticator {
  /**
   * The principal behind an `authorization` header value. No header: anonymous. Anything
   * malformed, unknown, ended, revoked or expired: throws unauthenticated (and audits it).
   * `tenantHeader` (`kavach-tenant`) is honoured for the admin only.
   */
  authenticate(authorization: string | undefined, tenantHeader: string | undefined, meta: CallMeta): Promise<Principal>;
}

export function createAuthenticator(deps: {
  adminTokenHash: string;
  cache: AgentCache;
  sessions: SessionResolver;
  rejections: RejectionAuditor;
  /** The caller's address as far as it is believed (behind trusted proxies, the forwarded one). */
  clientIpOf: (meta: CallMeta) => string;
  now: () => Date;
}): Authenticator {
  function reject(meta: CallMeta, tenantId: string, agentId: string, ownerId: string, why: string): never {
    // Not awaited: answered equally fast whether audited one by one or counted (rejection-audit.ts).
    deps.rejections.record({ tenantId, agentId, ownerId, clientIp: deps.clientIpOf(meta), message: why });
    throw unauthenticated(REJECTED);
  }

  function tenantFor(header: string | undefined): string {
    if (header === undefined || header === '') return DEFAULT_TENANT;
    if (!TENANT_ID.test(header)) throw unauthenticated('the kavach-tenant header must be 1 to 64 of a-z, 0-9, _ and -');
    return header;
  }

  return {
    async authenticate(authorization, tenantHeader, meta) {
      // An anonymous caller may name a tenant: it grants nothing, but lets users of that tenant sign in.
      if (authorization === undefined || authorization === '') return { kind: 'anonymous', tenantId: tenantFor(tenantHeader) };
      const match = /^Bearer ([\x21-\x7e]{1,256})$/i.exec(authorization);
      if (match === null) throw unauthenticated('the authorization header must be "Bearer <token>"');
      const token = match[1] ?? '';
      const hash = sha256Hex(token);

      if (token.startsWith(SESSION_TOKEN_PREFIX)) {
        const principal = hasTokenShape(token, SESSION_TOKEN_PREFIX) ? await deps.sessions.resolve(hash) : undefined;
        if (principal === undefined) return reject(meta, DEFAULT_TENANT, '', '', 'unknown, ended or expired session token');
        return principal;
      }
      if (token.startsWith(AGENT_TOKEN_PREFIX)) {
        const agent = hasTokenShape(token, AGENT_TOKEN_PREFIX) ? await deps.cache.getByTokenHash(hash) : undefined;
        // The hash came from an index lookup; comparing again in constant time keeps a cache bug from becoming a bypass.
        if (agent === undefined || !digestsEqual(agent.record.tokenHash, hash)) {
          return reject(meta, DEFAULT_TENANT, '', '', 'unknown or rotated-out agent token');
        }
        const { record } = agent;
        const status = effectiveStatus(record, deps.now());
        if (status !== 'active') return reject(meta, record.tenantId, record.id, record.ownerId, `agent token of a ${status} agent`);
        if (!agent.ownerExists) {
          return reject(meta, record.tenantId, record.id, record.ownerId, 'agent token of an agent whose owner is no user of its tenant');
        }
        return { kind: 'agent', tenantId: record.tenantId, agentId: record.id, ownerId: record.ownerId };
      }
      if (digestsEqual(deps.adminTokenHash, hash)) return { kind: 'admin', tenantId: tenantFor(tenantHeader) };
      return reject(meta, DEFAULT_TENANT, '', '', 'unknown bearer token');
    },
  };
}
