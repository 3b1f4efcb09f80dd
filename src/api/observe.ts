/**
 * Metrics and one log line per finished RPC. Put it outermost, so that it sees the codes that
 * the error-mapping interceptor produced, and a stream's status when the stream ends.
 *
 * It logs the procedure, code, duration and request id, never headers or messages: the
 * `authorization` header and request bodies carry secrets.
 */
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { codeToString } from '@connectrpc/connect/protocol-connect';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import { callMetaKey } from './context-keys.js';

/** `grpc`, `grpc-web` or `connect`, from the request's content type. */
function protocolOf(header: Headers): string {
  const type = header.get('content-type') ?? '';
  if (type.startsWith('application/grpc-web')) return 'grpc-web';
  if (type.startsWith('application/grpc')) return 'grpc';
  return 'connect';
}

const SERVER_FAULTS = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

/**
 * The code a call ended with. Once the call's signal aborted (client gone, deadline passed),
 * whatever the handler or the transport threw afterwards (a write to a closed stream, an abort
 * error) is a consequence of that abort, not a server fault: the abort's own status counts.
 */
function codeOf(error: unknown, signal: AbortSignal): Code {
  if (error instanceof ConnectError || !signal.aborted) return ConnectError.from(error).code;
  return ConnectError.from(signal.reason, Code.Canceled).code;
}

/** Yields `stream`, then reports how it ended: normally, with an error, or abandoned (canceled). */
async function* reportEnd<T>(stream: AsyncIterable<T>, done: (error: unknown) => void): AsyncGenerator<T> {
  let outcome: { error: unknown } | undefined;
  try {
    yield* stream;
    outcome = { error: undefined };
  } catch (error) {
    outcome = { error };
    throw error;
  } finally {
    // No outcome means the consumer stopped early: the client went away.
    done(outcome === undefined ? new ConnectError('client went away', Code.Canceled) : outcome.error);
  }
}

/** Counts and times every RPC, tracks open server streams, and logs each finished call once. */
export function observeInterceptor(metrics: Metrics, logger: Logger): Interceptor {
  return (next) => async (req) => {
    const procedure = `/${req.service.typeName}/${req.method.name}`;
    const { requestId } = req.contextValues.get(callMetaKey);
    const started = performance.now();
    let finished = false;
    const finish = (error: unknown): void => {
      if (finished) return;
      finished = true;
      const seconds = (performance.now() - started) / 1000;
      const failure = error === undefined ? undefined : codeOf(error, req.signal);
      // Lower-case gRPC code name: `ok`, `not_found`, `canceled`.
      const code = failure === undefined ? 'ok' : codeToString(failure);
      metrics.rpcCalls.inc({ procedure, code });
      metrics.rpcDuration.observe({ procedure, code }, seconds);
      const fault = failure !== undefined && SERVER_FAULTS.has(failure);
      // Faults are always logged; other calls only when the level includes info.
      if (!fault && !logger.isLevelEnabled('info')) return;
      const line = { requestId, procedure, protocol: protocolOf(req.header), code, durationMs: Math.round(seconds * 1e6) / 1e3 };
      if (fault) logger.error(line, 'rpc failed');
      else if (failure === Code.Canceled) logger.info(line, 'rpc canceled by the client');
      else logger.info(line, 'rpc finished');
    };

    let res;
    try {
      res = await next(req);
    } catch (error) {
      finish(error);
      throw error;
    }
    if (!res.stream) {
      finish(undefined);
      return res;
    }
    metrics.openStreams.inc({ procedure });
    return {
      ...res,
      message: reportEnd(res.message, (error) => {
        metrics.openStreams.dec({ procedure });
        finish(error);
      }),
    };
  };
}
