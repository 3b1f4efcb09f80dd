/**
 * User sessions: opaque `kvs_` tokens (256 bits) of which only the SHA-256 is stored. A session
 * has an absolute lifetime and an idle timeout that each use slides forward. An ended or
 * expired session is rejected on the very next call, on every replica (no session caching).
 */
import type { SessionRecord } from '../../domain/records.js';
import { isLive } from '../../domain/lifecycle.js';
import type { SessionStore } from '../../store/store.js';
import type { IdGenerator } from '../ids.js';
import type { Principal } from './principal.js';
import { SESSION_TOKEN_PREFIX, newToken, sha256Hex } from './secrets.js';

export interface SessionResolver {
  /** The user principal behind a live session with this token hash, or undefined. Slides the idle timeout. */
  resolve(tokenHash: string): Promise<Principal | undefined>;
}

export interface SessionManager extends SessionResolver {
  /** Starts a session and returns it with its token (the only time the token exists in clear). */
  start(tenantId: string, userId: string): Promise<{ session: SessionRecord; token: string }>;
  /** The live session with this token hash, or undefined (does not slide it). */
  find(tokenHash: string): Promise<SessionRecord | undefined>;
  /** The live session with this id in the tenant, or undefined (does not slide it). */
  findById(tenantId: string, id: string): Promise<SessionRecord | undefined>;
}

/** Sliding the idle timeout writes to the store; doing it at most this often keeps reads cheap. */
const TOUCH_EVERY_MS = 60_000;

export function createSessionManager(deps: {
  sessions: SessionStore;
  newId: IdGenerator;
  now: () => Date;
  ttlSeconds: number;
  idleSeconds: number;
}): SessionManager {
  const idleUntil = (from: Date, expiresAt: Date) =>
    new Date(Math.min(from.getTime() + deps.idleSeconds * 1000, expiresAt.getTime()));

  async function find(tokenHash: string): Promise<SessionRecord | undefined> {
    const session = await deps.sessions.findByTokenHash(tokenHash);
    return session !== undefined && isLive(session, deps.now()) ? session : undefined;
  }

  return {
    find,
    async findById(tenantId, id) {
      const session = await deps.sessions.get(tenantId, id);
      return session !== undefined && isLive(session, deps.now()) ? session : undefined;
    },
    async resolve(tokenHash) {
      const session = await find(tokenHash);
      if (session === undefined) return undefined;
      const at = deps.now();
      if (at.getTime() - session.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
        const touched = await deps.sessions.touch(session.tenantId, session.id, at, idleUntil(at, session.expiresAt));
        if (!touched) return undefined;
      }
      return { kind: 'user', tenantId: session.tenantId, userId: session.userId, sessionId: session.id };
    },
    async start(tenantId, userId) {
      const at = deps.now();
      const token = newToken(SESSION_TOKEN_PREFIX);
      const expiresAt = new Date(at.getTime() + deps.ttlSeconds * 1000);
      const session: SessionRecord = {
        id: deps.newId('ses'),
        tenantId,
        userId,
        tokenHash: sha256Hex(token),
        createdAt: at,
        expiresAt,
        idleExpiresAt: idleUntil(at, expiresAt),
        lastUsedAt: at,
      };
      await deps.sessions.create(session);
      return { session, token };
    },
  };
}
