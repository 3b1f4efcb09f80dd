/**
 * When a stored record is live: the pure rules every layer reads records through. A record's
 * stored status is not the whole answer, because expiry is never written (an agent past its
 * `expiresAt` is stored `active` and reads as `expired`; see docs/ARCHITECTURE.md#semantics).
 */
import type { AgentRecord, SessionRecord } from './records.js';
import type { AgentStatus } from './types.js';

/** The status a reader sees: a stored-active agent past its expiry reads as expired. */
export function effectiveStatus(agent: AgentRecord, now: Date): AgentStatus {
  if (agent.status === 'revoked') return 'revoked';
  if (agent.expiresAt !== undefined && agent.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** A session is live until it is ended, reaches its absolute expiry, or sits idle past its idle expiry. */
export function isLive(session: SessionRecord, now: Date): boolean {
  const t = now.getTime();
  return session.endedAt === undefined && session.expiresAt.getTime() > t && session.idleExpiresAt.getTime() > t;
}
