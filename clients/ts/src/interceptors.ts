/**
 * The client's interceptors, outermost first: credentials and request id, then retries (so
 * every attempt carries the same request id). Errors are typed outside them, in client.ts.
 */
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { isIdempotent } from './idempotency.js';

export const REQUEST_ID_HEADER = 'x-request-id';
export const TENANT_HEADER = 'kavach-tenant';

export interface RetryOptions {
  /** Extra attempts after the first, for idempotent calls failing with Unavailable (default 3; 0 disables). */
  readonly maxRetries?: number;
  /** First backoff in ms (default 100); doubles each attempt, capped by maxDelayMs, with full jitter. */
  readonly initialDelayMs?: number;
  /** Largest backoff in ms (default 2000). */
  readonly maxDelayMs?: number;
}

/** Produces the bearer credential for a call; a function lets a caller swap sessions. */
export type TokenSource = string | (() => string | undefined) | undefined;

/**
 * A random v4 UUID. `crypto.randomUUID` exists only in secure contexts (https, localhost) in
 * browsers; `getRandomValues` everywhere.
 */
export interface RandomSource {
  getRandomValues(array: Uint8Array): Uint8Array;
  randomUUID?(): string;
}

export function newRequestId(c: RandomSource = globalThis.crypto as RandomSource): string {
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Sets authorization (unless the call set its own), the tenant and an x-request-id. */
export function credentials(token: TokenSource, tenant: string | undefined): Interceptor {
  return (next) => async (req) => {
    const bearer = typeof token === 'function' ? token() : token;
    if (bearer !== undefined && bearer !== '' && !req.header.has('authorization')) req.header.set('authorization', `Bearer ${bearer}`);
    if (tenant !== undefined && tenant !== '' && !req.header.has(TENANT_HEADER)) req.header.set(TENANT_HEADER, tenant);
    if (!req.header.has(REQUEST_ID_HEADER)) req.header.set(REQUEST_ID_HEADER, newRequestId());
    return next(req);
  };
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(ConnectError.from(signal.reason ?? new ConnectError('aborted', Code.Canceled)));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(ConnectError.from(signal?.reason ?? new ConnectError('aborted', Code.Canceled)));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with full jitter: a random delay in [0, min(max, initial * 2^attempt)]. */
export function backoffDelay(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 2000;
  return Math.round(random() * Math.min(max, initial * 2 ** attempt));
}

/**
 * Retries unary idempotent calls that failed with Unavailable, within the call's own deadline
 * (the same abort signal covers every attempt). Everything else fails at once.
 */
export function retries(options: RetryOptions): Interceptor {
  const maxRetries = options.maxRetries ?? 3;
  return (next) => async (req) => {
    if (req.stream || maxRetries <= 0 || !isIdempotent(req.service.typeName, req.method.name)) return next(req);
    for (let attempt = 0; ; attempt++) {
      try {
        return await next(req);
      } catch (err) {
        const error = ConnectError.from(err);
        if (error.code !== Code.Unavailable || attempt >= maxRetries || req.signal.aborted) throw err;
        await sleep(backoffDelay(attempt, options), req.signal);
      }
    }
  };
}
