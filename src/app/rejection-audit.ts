/**
 * Audits rejected bearer credentials without letting a caller grow the log at will. Every
 * rejection costs a durable audit write, and a caller needs no credential to cause one, so a
 * loop of bad tokens would turn into a loop of writes. Per source (tenant, agent, owner and
 * client address; IPv6 by /64, since one host holds a whole /64) the first `perWindow`
 * rejections of each minute are audited one by one, the rest are counted, and one summary
 * entry per source and minute records how many there were. Every rejection is still accounted
 * for in the log; the caller's answer (Unauthenticated) does not change.
 */
import { normalizeIp, parseIpv6 } from '../domain/ip.js';
import type { AuditResult } from '../domain/types.js';
import type { AuditLog } from './audit-log.js';

export const REJECTION_ACTION = 'auth.token_rejected';
const WINDOW_MS = 60_000;
/** Sources tracked at once; beyond this the oldest is summarised and dropped first. */
const MAX_SOURCES = 10_000;

export interface Rejection {
  readonly tenantId: string;
  readonly agentId: string;
  readonly ownerId: string;
  readonly clientIp: string;
  readonly message: string;
}

export interface RejectionAuditor {
  /** Audits one rejection, or counts it when its source is over the limit this minute. */
  record(rejection: Rejection): Promise<void>;
  /** Writes the summary of every finished minute that counted rejections (run periodically). */
  flush(): Promise<void>;
  /** Writes every summary owed, finished minute or not (at shutdown). */
  flushAll(): Promise<void>;
}

interface Window {
  readonly source: Rejection;
  readonly start: number;
  audited: number;
  suppressed: number;
}

/** The address a limit applies to: an IPv6 address by its /64, anything else as given. */
export function addressKey(ip: string): string {
  const canonical = normalizeIp(ip);
  if (canonical === undefined || !canonical.includes(':')) return canonical ?? ip;
  const value = parseIpv6(canonical) ?? 0n;
  return `${(value >> 64n).toString(16)}/64`;
}

export function createRejectionAuditor(deps: {
  audit: AuditLog;
  now: () => Date;
  /** Rejections audited one by one per source and minute. */
  perWindow: number;
}): RejectionAuditor {
  const windows = new Map<string, Window>();
  const actor = (r: Rejection) => ({ kind: r.agentId === '' ? ('anonymous' as const) : ('agent' as const), id: r.agentId });
  const denied: AuditResult = 'denied';

  async function summarise(w: Window): Promise<void> {
    if (w.suppressed === 0) return;
    const { source } = w;
    await deps.audit.record({
      tenantId: source.tenantId,
      actor: actor(source),
      action: REJECTION_ACTION,
      result: denied,
      reason: 'INVALID_TOKEN',
      agentId: source.agentId,
      ownerId: source.ownerId,
      clientIp: source.clientIp,
      message: `${w.suppressed} more rejected credentials from this source in the minute from ${new Date(w.start).toISOString()} were counted, not audited one by one (limit ${deps.perWindow} a minute)`,
      arguments: { suppressed: w.suppressed, window_start: new Date(w.start).toISOString(), window_seconds: WINDOW_MS / 1000 },
    });
  }

  async function summariseWhere(done: (w: Window) => boolean): Promise<void> {
    const owed = [...windows].filter(([, w]) => done(w));
    for (const [key] of owed) windows.delete(key);
    await Promise.all(owed.map(([, w]) => summarise(w)));
  }

  function windowFor(key: string, rejection: Rejection, at: number): { current: Window; ended?: Window } {
    const existing = windows.get(key);
    if (existing !== undefined && at - existing.start < WINDOW_MS) return { current: existing };
    const current: Window = { source: rejection, start: at, audited: 0, suppressed: 0 };
    windows.delete(key);
    let evicted: Window | undefined;
    if (windows.size >= MAX_SOURCES) {
      const [oldestKey, oldest] = windows.entries().next().value ?? [];
      if (oldestKey !== undefined) windows.delete(oldestKey);
      evicted = oldest;
    }
    windows.set(key, current);
    // At most one summary is owed per call: the ended window of this source, else an evicted one.
    const ended = existing !== undefined && existing.suppressed > 0 ? existing : evicted;
    return ended === undefined ? { current } : { current, ended };
  }

  return {
    async record(rejection) {
      const at = deps.now().getTime();
      const key = [rejection.tenantId, rejection.agentId, rejection.ownerId, addressKey(rejection.clientIp)].join('\u0000');
      const { current, ended } = windowFor(key, rejection, at);
      if (ended !== undefined) await summarise(ended);
      if (current.audited >= deps.perWindow) {
        current.suppressed += 1;
        return;
      }
      current.audited += 1;
      await deps.audit.record({
        tenantId: rejection.tenantId,
        actor: actor(rejection),
        action: REJECTION_ACTION,
        result: denied,
        reason: 'INVALID_TOKEN',
        agentId: rejection.agentId,
        ownerId: rejection.ownerId,
        message: rejection.message,
        clientIp: rejection.clientIp,
      });
    },
    flush: () => summariseWhere((w) => deps.now().getTime() - w.start >= WINDOW_MS),
    flushAll: () => summariseWhere(() => true),
  };
}
