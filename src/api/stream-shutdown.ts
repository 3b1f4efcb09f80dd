/**
 * Ends open server streams when shutdown begins, while unary calls run on. connect-node's
 * `shutdownSignal` aborts every call at once, unary ones included, so the server keeps that for
 * the end of the grace period and uses this interceptor first: every streaming response stops
 * at its next message boundary with `Unavailable: server is shutting down`, whether or not its
 * handler watches `ctx.signal`. Throwing here also aborts the handler's context.
 */
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';

export const SHUTTING_DOWN_MESSAGE = 'server is shutting down';

export function shuttingDownError(): ConnectError {
  return new ConnectError(SHUTTING_DOWN_MESSAGE, Code.Unavailable);
}

/**
 * The stream's next result, or a rejection with shuttingDownError once `signal` aborts. The abort
 * listener lives for one call only: racing every message against one long-lived promise would
 * leave a reaction on it per message, each holding that message (for a long export, every chunk
 * it ever sent) until the stream ends.
 */
function nextOrAbort<T>(it: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  if (signal.aborted) return Promise.reject(shuttingDownError());
  return new Promise<IteratorResult<T>>((resolve, reject) => {
    const onAbort = (): void => reject(shuttingDownError());
    signal.addEventListener('abort', onAbort, { once: true });
    it.next().then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

async function* untilAborted<T>(stream: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const it = stream[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await nextOrAbort(it, signal);
      if (next.done === true) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // Release the handler's generator. Not awaited: a handler parked in an await only resumes
    // when its context aborts, which happens right after this error leaves the pipeline.
    if (!finished) void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}

/** Wraps every streaming response so it ends with Unavailable once `signal` aborts. */
export function streamShutdownInterceptor(signal: AbortSignal): Interceptor {
  return (next) => async (req) => {
    // Unary calls finish within the grace period instead (src/server/server.ts); they pass straight through.
    if (req.method.methodKind === 'unary') return next(req);
    if (signal.aborted) throw shuttingDownError();
    const res = await next(req);
    if (!res.stream) return res;
    return { ...res, message: untilAborted(res.message, signal) };
  };
}
