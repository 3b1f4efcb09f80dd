/**
 * Caches agent records with their compiled permission sets, so the authorize hot path does no
 * store read a cache could serve. Entries live at most `ttlMs` (KAVACH_CACHE_TTL_MS): that bounds
 * how long a change made on another replica can go unseen. Changes made through this replica
 * call `invalidate` and take effect at once. Misses are not cached, so a new agent is usable on
 * every replica immediately.
 */
import { compilePermissionSet, type PermissionSet } from '../domain/permission-set.js';
import type { AgentRecord, AgentStore } from '../store/store.js';

export interface CachedAgent {
  readonly record: AgentRecord;
  readonly permissions: PermissionSet;
}

export interface AgentCache {
  getById(tenantId: string, id: string): Promise<CachedAgent | undefined>;
  getByTokenHash(tokenHash: string): Promise<CachedAgent | undefined>;
  /** Drops every entry for the agent, by id and by token. */
  invalidate(tenantId: string, id: string): void;
}

interface Entry {
  readonly agent: CachedAgent;
  readonly loadedAt: number;
}

/** Bounds memory: beyond this many agents the oldest entries are dropped first. */
const MAX_ENTRIES = 50_000;

export function createAgentCache(deps: { agents: AgentStore; ttlMs: number; nowMs: () => number }): AgentCache {
  const byId = new Map<string, Entry>();
  const idByToken = new Map<string, string>();
  const keyOf = (tenantId: string, id: string) => `${tenantId}\u0000${id}`;

  function fresh(entry: Entry | undefined): entry is Entry {
    return entry !== undefined && deps.nowMs() - entry.loadedAt < deps.ttlMs;
  }

  function remember(record: AgentRecord): CachedAgent {
    const agent = { record, permissions: compilePermissionSet(record.permissions) };
    if (deps.ttlMs <= 0) return agent;
    const key = keyOf(record.tenantId, record.id);
    forget(key);
    if (byId.size >= MAX_ENTRIES) {
      const oldest = byId.keys().next().value;
      if (oldest !== undefined) forget(oldest);
    }
    byId.set(key, { agent, loadedAt: deps.nowMs() });
    idByToken.set(record.tokenHash, key);
    return agent;
  }

  function forget(key: string): void {
    const entry = byId.get(key);
    if (entry === undefined) return;
    byId.delete(key);
    idByToken.delete(entry.agent.record.tokenHash);
  }

  return {
    async getById(tenantId, id) {
      const entry = byId.get(keyOf(tenantId, id));
      if (fresh(entry)) return entry.agent;
      const record = await deps.agents.get(tenantId, id);
      return record === undefined ? undefined : remember(record);
    },
    async getByTokenHash(tokenHash) {
      const key = idByToken.get(tokenHash);
      const entry = key === undefined ? undefined : byId.get(key);
      if (fresh(entry) && entry.agent.record.tokenHash === tokenHash) return entry.agent;
      const record = await deps.agents.findByTokenHash(tokenHash);
      return record === undefined ? undefined : remember(record);
    },
    invalidate(tenantId, id) {
      forget(keyOf(tenantId, id));
    },
  };
}
