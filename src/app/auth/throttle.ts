/**
 * Sign-in throttling (docs/ARCHITECTURE.md#callers-and-credentials): failed attempts are counted per email and per client IP in
 * the store, so every replica enforces one limit. After a number of free failures each further
 * failure doubles the wait, from 1 s up to 15 min. A throttled attempt is refused before its
 * password is hashed, so it costs the server one store read.
 *
 * Per email (`signin:email:<tenant>:<email>`): failures since the last success. A success
 * resets it. The attempt is counted *before* its password is checked: otherwise a burst of
 * parallel guesses would all pass the check before the first failure was written.
 *
 * Per IP (`signin:ip:<ip>:<hour>`): failures from one address in the current hour, whatever
 * the email (password spraying). A success does NOT reset it: an attacker holding one valid
 * account could otherwise clear their counter between guesses. Because nothing resets it, it
 * lives in an hourly window, so an office behind one NAT is not throttled forever by its
 * users' old typos; a block that spills over the hour is still honoured. IPv6 is counted per
 * /64, the block one subscriber usually gets.
 */
import { ipv6Prefix64, parseIpv6 } from '../../domain/ip.js';
import type { ThrottleState } from '../../domain/records.js';
import type { ThrottleStore } from '../../store/store.js';

export interface BackoffPolicy {
  /** Failures allowed without any wait. */
  readonly freeFailures: number;
  /** The wait after the first failure past the free ones; each further failure doubles it. */
  readonly baseMs: number;
  readonly maxMs: number;
}

export const EMAIL_BACKOFF: BackoffPolicy = { freeFailures: 5, baseMs: 1000, maxMs: 15 * 60_000 };
/** Looser than per email: many honest users may share one address (NAT, proxies). */
export const IP_BACKOFF: BackoffPolicy = { freeFailures: 20, baseMs: 1000, maxMs: 15 * 60_000 };
export const IP_WINDOW_MS = 60 * 60_000;

/** The wait after `failures` consecutive failures: 0 while free, then base, 2×base, 4×base… up to max. */
export function backoffMs(policy: BackoffPolicy, failures: number): number {
  const over = failures - policy.freeFailures;
  if (over <= 0) return 0;
  // Past 2^30 the cap has long been reached; the bound keeps the power finite.
  return Math.min(policy.baseMs * 2 ** Math.min(over - 1, 30), policy.maxMs);
}

/** What `admit` decided: go ahead (and report the outcome), or wait. */
export type Admission =
  | { readonly ok: true; readonly emailKey: string; readonly ipKey: string | undefined }
  | { readonly ok: false; readonly retryAfterSeconds: number };

export interface SignInThrottle {
  /**
   * Admits one sign-in attempt for (`tenantId`, `email`) from `ip` at `now`, or refuses it with
   * the seconds until a retry may succeed. An admitted attempt is already counted as a failure
   * of its email; report its outcome with `failed` or `succeeded`. `ip` undefined (unknown
   * peer) skips the per-IP limit.
   */
  admit(tenantId: string, email: string, ip: string | undefined, now: Date): Promise<Admission>;
  /** Counts the failure against the IP (the email was counted by `admit`). */
  failed(admission: Admission, now: Date): Promise<void>;
  /** Clears the email's failures; the IP's stay (see the module comment). */
  succeeded(admission: Admission): Promise<void>;
}

/** The store key for an IP in the window holding `atMs`: IPv6 by its /64. */
function ipKey(ip: string, atMs: number): string {
  const v6 = ip.includes(':') ? parseIpv6(ip) : undefined;
  const subject = v6 === undefined ? ip : ipv6Prefix64(v6);
  return `signin:ip:${subject}:${Math.floor(atMs / IP_WINDOW_MS)}`;
}

function blockedFor(state: ThrottleState, nowMs: number): number {
  return state.blockedUntil === undefined ? 0 : Math.max(0, state.blockedUntil.getTime() - nowMs);
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export function createSignInThrottle(store: ThrottleStore): SignInThrottle {
  const emailBackoff = (failures: number) => backoffMs(EMAIL_BACKOFF, failures);
  const ipBackoff = (failures: number) => backoffMs(IP_BACKOFF, failures);

  return {
    async admit(tenantId, email, ip, now) {
      const nowMs = now.getTime();
      const emailKey = `signin:email:${tenantId}:${email}`;
      const currentIp = ip === undefined ? undefined : ipKey(ip, nowMs);
      const previousIp = ip === undefined ? undefined : ipKey(ip, nowMs - IP_WINDOW_MS);
      const [seen, ...ipStates] = await Promise.all([
        store.get(emailKey),
        ...(currentIp === undefined || previousIp === undefined ? [] : [store.get(currentIp), store.get(previousIp)]),
      ]);
      const waitMs = Math.max(blockedFor(seen, nowMs), ...ipStates.map((s) => blockedFor(s, nowMs)));
      if (waitMs > 0) return { ok: false, retryAfterSeconds: seconds(waitMs) };

      const counted = await store.recordFailure(emailKey, now, emailBackoff);
      // Another attempt for this email was counted between our read and our write. Had it come
      // first we might have been refused, so unless we are still within the free failures, yield.
      const raced = counted.failures > seen.failures + 1 && emailBackoff(counted.failures - 1) > 0;
      if (raced) return { ok: false, retryAfterSeconds: seconds(blockedFor(counted, nowMs)) };
      return { ok: true, emailKey, ipKey: currentIp };
    },
    async failed(admission, now) {
      if (admission.ok && admission.ipKey !== undefined) await store.recordFailure(admission.ipKey, now, ipBackoff);
    },
    async succeeded(admission) {
      if (admission.ok) await store.reset(admission.emailKey);
    },
  };
}
