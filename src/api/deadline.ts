/**
 * Deadlines (`grpc-timeout` on gRPC and gRPC-Web, `connect-timeout-ms` on Connect). connect-es
 * parses them and aborts the call's signal with DeadlineExceeded when they pass, but it leaves
 * the answer to the handler: a stream handler that stops cleanly on an aborted signal (TailAudit,
 * ExportAudit) ends the stream with status OK, so a truncated export looks complete, and a unary
 * handler that never looks at its signal answers OK after the deadline.
 *
 * This interceptor gives every call the same rule: once the call's signal aborts, the answer is
 * the abort's reason (DeadlineExceeded for a deadline), never OK. A unary call answers at once
 * (its handler sees the aborted signal and the store bounds its own work); a stream stops at its
 * next message boundary, and a stream that ends after the abort ends with the reason instead of OK.
 */
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';

/**
 * Codes connect-es gives an abort that the transport saw, not the server: an HTTP/2 stream
 * closed with INTERNAL_ERROR, PROTOCOL_ERROR… (Node closes every stream of a connection the
 * client reset that way), an HTTP/1.1 ECONNRESET (Aborted), an unknown socket error.
 */
const TRANSPORT_LOSS = new Set([Code.Internal, Code.Unknown, Code.Aborted]);

/**
 * The status an aborted call ends with: its reason as sent by connect-es (DeadlineExceeded,
 * Unavailable on shutdown), or Canceled when the client went away, however its connection died.
 */
export function abortedCallError(signal: AbortSignal): ConnectError {
  const reason: unknown = signal.reason;
  if (reason instanceof ConnectError && !TRANSPORT_LOSS.has(reason.code)) return reason;
  // The client went away (an HTTP/1.1 close, an HTTP/2 reset without a code).
  return new ConnectError('the call was canceled', Code.Canceled, undefined, undefined, reason);
}

/**
 * Settles like `promise`, or rejects with abortedCallError once `signal` aborts, whichever comes
 * first. The abort listener lives for this one promise only (see stream-shutdown.ts for why).
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The promise may still reject later; nobody waits for it any more.
    promise.catch(() => undefined);
    return Promise.reject(abortedCallError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedCallError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

async function* endsWithAbort<T>(stream: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const it = stream[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await untilAborted(it.next(), signal);
      if (next.done === true) {
        finished = true;
        // A handler that stopped because the call was aborted did not finish its work.
        if (signal.aborted) throw abortedCallError(signal);
        return;
      }
      yield next.value;
    }
  } finally {
    // Release the handler's generator; it watches the same (already aborted) signal.
    if (!finished) void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}

/** Ends every call whose signal aborted (deadline passed, client gone) with the abort's status. */
export function deadlineInterceptor(): Interceptor {
  return (next) => async (req) => {
    const { signal } = req;
    if (req.method.methodKind === 'unary') {
      // Unary: a late answer is never sent as OK.
      const res = await untilAborted(next(req), signal);
      if (signal.aborted) throw abortedCallError(signal);
      return res;
    }
    const res = await untilAborted(next(req), signal);
    if (!res.stream) return res;
    return { ...res, message: endsWithAbort(res.message, signal) };
  };
}
