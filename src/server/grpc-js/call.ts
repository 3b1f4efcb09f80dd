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

interface CallOptions {
  readonly shutdownSignal?: AbortSignal;
  readonly contextValues?: (info: CallInfo) => ContextValues;
}

/**
 * One call's state. The signal is made on first use: most unary handlers never look at it, and
 * an AbortController with its listeners and abort event was a tenth of an empty call's CPU.
 * Until then nothing listens; once made, it sees a cancel, deadline or shutdown from then on,
 * and one that already happened (the call's `cancelled` flag, the clock, `shutdown.aborted`).
 */
export class CallState {
  readonly header: Headers;
  readonly values: ContextValues;
  readonly responseHeader: Headers;
  readonly responseTrailer = new Headers();
  readonly url: string;
  private readonly deadlineMs: number;
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly call: SurfaceCall,
    method: DescMethod,
    private readonly options: CallOptions,
  ) {
    this.header = headersOf(call.metadata);
    const requestId = requestIdFrom(this.header.get(REQUEST_ID_HEADER) ?? undefined);
    this.values = options.contextValues?.({ remoteAddress: addressOf(call.getPeer()), header: this.header, requestId }) ?? createContextValues();
    this.responseHeader = new Headers({ [REQUEST_ID_HEADER]: requestId });
    this.url = `http://${call.getHost()}/${method.parent.typeName}/${method.name}`;
    const deadline = call.getDeadline();
    this.deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  }

  get signal(): AbortSignal {
    return (this.controller ??= this.watch()).signal;
  }

  timeoutMs = (): number | undefined => (Number.isFinite(this.deadlineMs) ? this.deadlineMs - Date.now() : undefined);

  /** Releases the call's timer and listeners and aborts its signal (handlers see the call is over). */
  finish(): void {
    this.finished = true;
    if (this.controller === undefined) return;
    clearTimeout(this.timer);
    this.call.off('cancelled', this.onCancelled);
    this.options.shutdownSignal?.removeEventListener('abort', this.onShutdown);
    this.abort(COMPLETED);
  }

  private watch(): AbortController {
    const controller = new AbortController();
    this.controller = controller;
    const shutdown = this.options.shutdownSignal;
    if (this.finished) this.abort(COMPLETED);
    else if ((this.call as { cancelled?: boolean }).cancelled === true) this.onCancelled();
    else if (shutdown?.aborted === true) this.onShutdown();
    else {
      this.call.on('cancelled', this.onCancelled);
      shutdown?.addEventListener('abort', this.onShutdown);
      // grpc-js answers DEADLINE_EXCEEDED itself; this stops the handler's work too.
      if (Number.isFinite(this.deadlineMs)) this.timer = setTimeout(this.onDeadline, Math.max(0, this.deadlineMs - Date.now()));
    }
    return controller;
  }

  private abort(reason: unknown): void {
    if (this.controller !== undefined && !this.controller.signal.aborted) this.controller.abort(reason);
  }

  private readonly onCancelled = (): void => this.abort(new ConnectError('the client canceled the call', Code.Canceled));
  private readonly onShutdown = (): void => this.abort(this.options.shutdownSignal?.reason);
  private readonly onDeadline = (): void => this.abort(new ConnectError('the operation timed out', Code.DeadlineExceeded));
}

export function openCall(call: SurfaceCall, method: DescMethod, options: CallOptions): CallState {
  return new CallState(call, method, options);
}
