/**
 * The per-call state the adapter keeps for one grpc-js call: request headers, the context
 * values, response headers and trailers, and one AbortSignal that fires when the client cancels,
 * the deadline passes, the server's grace period ends, or the call completes. One controller
 * and at most one timer a call: connect-node's linked controllers and their DOMExceptions were a
 * large part of its cost per call.
 */
import type { DescMethod } from '@bufbuild/protobuf';
import { Code, ConnectError, createContextValues, type ContextValues } from '@connectrpc/connect';
import type * as grpc from '@grpc/grpc-js';
import { REQUEST_ID_HEADER, requestIdFrom } from '../request-id.js';
import { headersOf } from './status.js';

/** What the server needs to know about a call to build its context values. */
export interface CallInfo {
  /** The peer's address (no port), or undefined when the socket is gone. */
  readonly remoteAddress: string | undefined;
  readonly header: Headers;
  /** The caller's acceptable `x-request-id`, or a fresh one; echoed in the response header. */
  readonly requestId: string;
}

export interface CallState {
  readonly header: Headers;
  readonly values: ContextValues;
  readonly signal: AbortSignal;
  readonly responseHeader: Headers;
  readonly responseTrailer: Headers;
  readonly url: string;
  timeoutMs(): number | undefined;
  /** Releases the call's timer and listeners and aborts its signal (handlers see the call is over). */
  finish(): void;
}

/** The reason a completed call's signal carries; allocated once, it is never sent anywhere. */
const COMPLETED = new ConnectError('the call completed', Code.Canceled);

/** `addr:port` (grpc-js writes IPv6 without brackets) to `addr`. */
function addressOf(peer: string): string | undefined {
  if (peer === '' || peer === 'unknown') return undefined;
  const colon = peer.lastIndexOf(':');
  const host = colon === -1 ? peer : peer.slice(0, colon);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

type SurfaceCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'metadata' | 'getPeer' | 'getDeadline' | 'getHost'> & NodeJS.EventEmitter;

export function openCall(
  call: SurfaceCall,
  method: DescMethod,
  options: { readonly shutdownSignal?: AbortSignal; readonly contextValues?: (info: CallInfo) => ContextValues },
): CallState {
  const header = headersOf(call.metadata);
  const requestId = requestIdFrom(header.get(REQUEST_ID_HEADER) ?? undefined);
  const values = options.contextValues?.({ remoteAddress: addressOf(call.getPeer()), header, requestId }) ?? createContextValues();
  const controller = new AbortController();
  const abort = (reason: unknown): void => {
    if (!controller.signal.aborted) controller.abort(reason);
  };

  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  let timer: NodeJS.Timeout | undefined;
  if (Number.isFinite(deadlineMs)) {
    // grpc-js answers DEADLINE_EXCEEDED itself; this stops the handler's work too.
    timer = setTimeout(() => abort(new ConnectError('the operation timed out', Code.DeadlineExceeded)), Math.max(0, deadlineMs - Date.now()));
  }
  const onCancelled = (): void => abort(new ConnectError('the client canceled the call', Code.Canceled));
  call.on('cancelled', onCancelled);
  const shutdown = options.shutdownSignal;
  const onShutdown = (): void => abort(shutdown?.reason);
  if (shutdown?.aborted === true) onShutdown();
  else shutdown?.addEventListener('abort', onShutdown);

  return {
    header,
    values,
    signal: controller.signal,
    responseHeader: new Headers({ [REQUEST_ID_HEADER]: requestId }),
    responseTrailer: new Headers(),
    url: `http://${call.getHost()}/${method.parent.typeName}/${method.name}`,
    timeoutMs: () => (Number.isFinite(deadlineMs) ? deadlineMs - Date.now() : undefined),
    finish() {
      clearTimeout(timer);
      call.off('cancelled', onCancelled);
      shutdown?.removeEventListener('abort', onShutdown);
      abort(COMPLETED);
    },
  };
}
