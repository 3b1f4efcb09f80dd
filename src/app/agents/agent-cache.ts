/**
 * Caches agent records with their compiled permission sets, so the authorize hot path does no
 * store read a cache could serve. Entries live at most `ttlMs` (KAVACH_CACHE_TTL_MS): that bounds
 * how long a change made on another replica can go unseen. Changes made through this replica
 * call `invalidate` and take effect at once. Misses are not cached, so a new agent is usable on
 * every replica immediately.
 *
 * A cached agent holds its effective permissions: its own, then those delegated to it (loaded
 * by `loadDelegatedGrants` in three reads), compiled into one set, with the chain of each
 * delegated one. An entry also ends when the first delegation or giving agent on any of its
 * chains expires, so an expiry never waits for the TTL. Any change to a chain on this replica
 * (a delegation created or revoked, an agent revoked or updated) calls `invalidateAll`.
 */
import type { CompiledPermission } from '../../domain/plan.js';
import { compilePermissionSet, type PermissionSet } from '../../domain/permission-set.js';
import type { AgentRecord } from '../../domain/records.js';
import type { AgentStore, DelegationStore, UserStore } from '../../store/store.js';
import { loadDelegatedGrants, type DelegatedGrant } from './grants.js';

export interface CachedAgent {
  readonly record: AgentRecord;
  /**
   * Own permissions first (at indexes 0 to `record.permissions.length - 1`), then the delegated
   * ones in the order of `delegated`, compiled together so one decision sees both.
   */
  readonly permissions: PermissionSet;
  /** The delegated grants: compiled permission `record.permissions.length + i` is `delegated[i]`. */
  readonly delegated: readonly DelegatedGrant[];
  /**
   * False when the agent's owner is no user of its tenant (an agent stored before CreateAgent
   * checked its owner): such an agent's token must never work, and it decides nothing.
   */
  readonly ownerExists: boolean;
}

/** The grant behind compiled permission `p` of `agent`: undefined for an own permission (or none). */
export function grantOf(agent: CachedAgent, p: CompiledPermission | undefined): DelegatedGrant | undefined {
  if (p === undefined) return undefined;
  return agent.delegated[p.index - agent.record.permissions.length];
}

export interface AgentCache {
  getById(tenantId: string, id: string): Promise<CachedAgent | undefined>;
  getByTokenHash(tokenHash: string): Promise<CachedAgent | undefined>;
  /** Drops every entry for the agent, by id and by token. */
  invalidate(tenantId: string, id: string): void;
  /** Drops every entry: a delegation chain changed, and any agent below it may hold a stale set. */
  invalidateAll(): void;
}

interface Entry {
  readonly agent: CachedAgent;
  readonly loadedAt: number;
  /** The entry is stale from this instant on (a delegated grant expires), or Infinity. */
  readonly validUntil: number;
}

/** Bounds memory: beyond this many agents the oldest entries are dropped first. */
const MAX_ENTRIES = 50_000;

export function createAgentCache(deps: {
  agents: AgentStore;
  delegations: DelegationStore;
  users: Pick<UserStore, 'get'>;
  ttlMs: number;
  nowMs: () => number;
}): AgentCache {
  const byId = new Map<string, Entry>();
  const idByToken = new Map<string, string>();
  const keyOf = (tenantId: string, id: string) => `${tenantId}\u0000${id}`;
  // Bumped by every invalidation: a load that began before one must not store what it read.
  let generation = 0;

  function fresh(entry: Entry | undefined): entry is Entry {
    if (entry === undefined) return false;
    const now = deps.nowMs();
    return now - entry.loadedAt < deps.ttlMs && now < entry.validUntil;
  }

  /** Loads `record`'s delegated grants and caches the result unless an invalidation came since `startedAt`. */
  async function remember(record: AgentRecord, startedAt: number): Promise<CachedAgent> {
    const loadedAt = deps.nowMs();
    const [delegated, owner] = await Promise.all([
      loadDelegatedGrants(deps, record, new Date(loadedAt)),
      deps.users.get(record.tenantId, record.ownerId),
    ]);
    const agent: CachedAgent = {
      record,
      permissions: compilePermissionSet([...record.permissions, ...delegated.map((g) => g.permission)]),
      delegated,
      ownerExists: owner !== undefined,
    };
    if (deps.ttlMs <= 0 || startedAt !== generation) return agent;
    let validUntil = Number.POSITIVE_INFINITY;
    for (const g of delegated) if (g.expiresAt !== undefined) validUntil = Math.min(validUntil, g.expiresAt.getTime());
    const key = keyOf(record.tenantId, record.id);
    forget(key);
    if (byId.size >= MAX_ENTRIES) {
      const oldest = byId.keys().next().value;
      if (oldest !== undefined) forget(oldest);
    }
    byId.set(key, { agent, loadedAt, validUntil });
    idByToken.set(record.tokenHash, key);
    return agent;
  }

  function forget(key: string): void {
    const entry = byId.get(key);
    if (entry === undefined) return;
    byId.delete(key);
    idByToken.delete(entry.agent.record.tokenHash);
  }

  // Loads in flight, shared by every caller that misses the same key meanwhile: when an entry
  // expires under load (a batch of 100 checks for one agent), one store read and one compile
  // serve them all instead of one each. Dropped on invalidation, so no caller after an
  // invalidation gets a load that began before it.
  // Two maps, so that an id can never be taken for a token hash.
  const loadingById = new Map<string, Promise<CachedAgent | undefined>>();
  const loadingByToken = new Map<string, Promise<CachedAgent | undefined>>();

  function load(
    loading: Map<string, Promise<CachedAgent | undefined>>,
    key: string,
    read: () => Promise<AgentRecord | undefined>,
  ): Promise<CachedAgent | undefined> {
    const pending = loading.get(key);
    if (pending !== undefined) return pending;
    const startedAt = generation;
    const promise = read()
      .then((record) => (record === undefined ? undefined : remember(record, startedAt)))
      .finally(() => {
        if (loading.get(key) === promise) loading.delete(key);
      });
    loading.set(key, promise);
    return promise;
  }

  /** No load that began before now may be cached or handed to a later caller. */
  function dropInFlight(): void {
    generation++;
    loadingById.clear();
    loadingByToken.clear();
  }

  return {
    getById(tenantId, id) {
      const key = keyOf(tenantId, id);
      const entry = byId.get(key);
      if (fresh(entry)) return Promise.resolve(entry.agent);
      return load(loadingById, key, () => deps.agents.get(tenantId, id));
    },
    getByTokenHash(tokenHash) {
      const key = idByToken.get(tokenHash);
      const entry = key === undefined ? undefined : byId.get(key);
      if (fresh(entry) && entry.agent.record.tokenHash === tokenHash) return Promise.resolve(entry.agent);
      return load(loadingByToken, tokenHash, () => deps.agents.findByTokenHash(tokenHash));
    },
    invalidate(tenantId, id) {
      dropInFlight();
      forget(keyOf(tenantId, id));
    },
    invalidateAll() {
      dropInFlight();
      byId.clear();
      idByToken.clear();
    },
  };
}
