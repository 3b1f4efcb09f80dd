/**
 * Audits refusals that a caller can cause without any credential (rejected bearer tokens,
 * throttled sign-ins) without letting callers grow the log at will. Every refusal would cost a
 * durable audit write, so a loop of bad tokens or of sign-ins would be a loop of writes. So, per
 * minute and per kind of refusal (one auditor per `RefusalKind`):
 *   - each source (tenant, agent, owner and client address; IPv6 by /64, since one host holds
 *     a whole /64) gets `perWindow` rejections audited one by one, and all sources together
 *     get `perWindow * 10`;
 *   - the rest are counted, and each source's count becomes one summary entry when its minute
 *     ends (or at shutdown);
 *   - at most 1,000 sources are tracked at once; rejections from further sources are counted
 *     per tenant, in one summary each.
 * Every rejection is still accounted for in the log. Writes are not awaited by the caller, so a
 * rejection is answered (Unauthenticated) equally fast whether it was audited or counted, and a
 * caller cannot tell a revoked agent's token from an unknown one by timing.
 */
import type { Logger } from 'pino';
import { ipv6Prefix64, normalizeIp, parseIpv6 } from '../../domain/ip.js';
import type { Actor, ReasonCode } from '../../domain/types.js';
import type { AuditFields } from './audit-entry.js';
import type { AuditLog } from './audit-log.js';

export const REJECTION_ACTION = 'auth.token_rejected';

/** What one auditor records: the entries' action, result and reason, and how a summary names them. */
export interface RefusalKind {
  readonly action: string;
  readonly result: AuditFields['result'];
  readonly reason: ReasonCode;
  /** Plural noun for summaries: "7 more <noun> from this source…". */
  readonly noun: string;
  /** One of them, for log lines: "could not audit <one>". */
  readonly one: string;
}

/** Bearer credentials refused by authentication. */
export const TOKEN_REJECTED: RefusalKind = {
  action: REJECTION_ACTION,
  result: 'denied',
  reason: 'INVALID_TOKEN',
  noun: 'rejected credentials',
  one: 'a rejected credential',
};

/** Sign-in attempts refused by the throttle before their password was checked. */
export const SIGN_IN_THROTTLED: RefusalKind = {
  action: 'auth.sign_in',
  result: 'rate_limited',
  reason: 'RATE_LIMITED',
  noun: 'throttled sign-in attempts',
  one: 'a throttled sign-in attempt',
};
const WINDOW_MS = 60_000;
export const MAX_SOURCES = 1000;
/** All sources together get this many times the per-source allowance of one-by-one entries. */
const GLOBAL_FACTOR = 10;

export interface Rejection {
  readonly tenantId: string;
  readonly agentId: string;
  readonly ownerId: string;
  readonly clientIp: string;
  readonly message: string;
  /** Who made the attempt; by default an agent when `agentId` is set, else anonymous. */
  readonly actor?: Actor;
  /** What the attempt was about (e.g. `user:<id>`), when known. */
  readonly resource?: string;
}

export interface RejectionAuditor {
  /** Audits one rejection, or counts it when over a limit. Returns at once; the write is not awaited. */
  record(rejection: Rejection): void;
  /** Writes the summary of every finished minute that counted rejections (run periodically). */
  flush(): Promise<void>;
  /** Writes every summary owed, finished minute or not (at shutdown). */
  flushAll(): Promise<void>;
}

interface Window {
  /** The source as its first rejection named it (for an overflow: the tenant, anonymously). */
  readonly source: Rejection;
  readonly overflow: boolean;
  readonly start: number;
  audited: number;
  suppressed: number;
}

/** The address a limit applies to: an IPv6 address by its /64, anything else as given. */
export function addressKey(ip: string): string {
  const canonical = normalizeIp(ip);
  if (canonical === undefined || !canonical.includes(':')) return canonical ?? ip;
  return ipv6Prefix64(parseIpv6(canonical) ?? 0n);
}

export function createRejectionAuditor(deps: {
  audit: AuditLog;
  now: () => Date;
  logger: Logger;
  /** Rejections audited one by one per source and minute. */
  perWindow: number;
  /** What is recorded; rejected bearer tokens unless given. */
  kind?: RefusalKind;
}): RejectionAuditor {
  const kind = deps.kind ?? TOKEN_REJECTED;
  const windows = new Map<string, Window>();
  const overflows = new Map<string, Window>();
  let globalStart = Number.NEGATIVE_INFINITY;
  let globalAudited = 0;

  function write(fields: AuditFields, what: string): Promise<void> {
    return deps.audit.record(fields).then(
      () => undefined,
      (err: unknown) => deps.logger.warn({ err }, `could not audit ${what}`),
    );
  }

  function entryOf(source: Rejection): Omit<AuditFields, 'message'> {
    return {
      tenantId: source.tenantId,
      actor: source.actor ?? { kind: source.agentId === '' ? 'anonymous' : 'agent', id: source.agentId },
      action: kind.action,
      result: kind.result,
      reason: kind.reason,
      agentId: source.agentId,
      ownerId: source.ownerId,
      clientIp: source.clientIp,
      ...(source.resource === undefined ? {} : { resource: source.resource }),
    };
  }

  function summarise(w: Window): Promise<void> {
    if (w.suppressed === 0) return Promise.resolve();
    const from = new Date(w.start).toISOString();
    const counted = w.overflow
      ? `${w.suppressed} ${kind.noun} from sources beyond the ${MAX_SOURCES} tracked at once`
      : `${w.suppressed} more ${kind.noun} from this source`;
    return write(
      {
        ...entryOf(w.source),
        message: `${counted} in the minute from ${from} were counted, not audited one by one (limit ${deps.perWindow} a minute a source, ${deps.perWindow * GLOBAL_FACTOR} in all)`,
        arguments: { suppressed: w.suppressed, window_start: from, window_seconds: WINDOW_MS / 1000 },
      },
      `a summary of ${kind.noun}`,
    );
  }

  /** The current window of `key` in `map`; a finished one is summarised and replaced. */
  function current(map: Map<string, Window>, key: string, source: Rejection, at: number, overflow: boolean): Window {
    const existing = map.get(key);
    if (existing !== undefined && at - existing.start < WINDOW_MS) return existing;
    if (existing !== undefined) void summarise(existing);
    const fresh: Window = { source, overflow, start: at, audited: 0, suppressed: 0 };
    map.set(key, fresh);
    return fresh;
  }

  async function summariseWhere(maps: Map<string, Window>[], done: (w: Window) => boolean): Promise<void> {
    const owed: Window[] = [];
    for (const map of maps) {
      for (const [key, w] of map) {
        if (!done(w)) continue;
        map.delete(key);
        owed.push(w);
      }
    }
    await Promise.all(owed.map(summarise));
  }

  return {
    record(rejection) {
      const at = deps.now().getTime();
      if (at - globalStart >= WINDOW_MS) {
        globalStart = at;
        globalAudited = 0;
      }
      const key = [rejection.tenantId, rejection.agentId, rejection.ownerId, addressKey(rejection.clientIp)].join('\u0000');
      const tracked = windows.has(key) || windows.size < MAX_SOURCES;
      const w = tracked
        ? current(windows, key, rejection, at, false)
        : current(overflows, rejection.tenantId, { tenantId: rejection.tenantId, agentId: '', ownerId: '', clientIp: '', message: '' }, at, true);
      if (w.overflow || w.audited >= deps.perWindow || globalAudited >= deps.perWindow * GLOBAL_FACTOR) {
        w.suppressed += 1;
        return;
      }
      w.audited += 1;
      globalAudited += 1;
      void write({ ...entryOf(rejection), message: rejection.message }, kind.one);
    },
    flush: () => summariseWhere([windows, overflows], (w) => deps.now().getTime() - w.start >= WINDOW_MS),
    flushAll: () => summariseWhere([windows, overflows], () => true),
  };
}
