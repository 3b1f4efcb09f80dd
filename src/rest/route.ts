/**
 * What a REST route is: a method and path under `/api/kavach`, and a handler that translates
 * one HTTP request onto one app use case.
 */
import type { CallMeta, Principal } from '../app/auth/principal.js';
import type { Req, Res } from './http-io.js';

export interface RestCall {
  readonly principal: Principal;
  readonly meta: CallMeta;
  /** Path parameters, already percent-decoded. */
  readonly params: Readonly<Record<string, string | undefined>>;
  /** The raw query string, without `?`. */
  readonly search: string;
  /** The JSON body (`undefined` when empty), read once and bounded. */
  body(): Promise<unknown>;
  readonly req: Req;
  readonly res: Res;
  /** Aborts when the client goes away or the server shuts down. */
  readonly signal: AbortSignal;
}

/** A JSON answer, a 204, or a response the handler streamed itself. */
export type RestResult =
  | { readonly status: number; readonly body: unknown }
  | { readonly status: 204 }
  | { readonly streamed: number };

export interface RestRoute {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to `/api/kavach`, in find-my-way syntax (`/agents/:id`). */
  readonly path: string;
  /** Callable without a credential (a credential, when sent, must still be valid). */
  readonly public?: boolean;
  handle(call: RestCall): Promise<RestResult>;
}

export const ok = (body: unknown): RestResult => ({ status: 200, body });
export const created = (body: unknown): RestResult => ({ status: 201, body });
export const noContent: RestResult = { status: 204 };
