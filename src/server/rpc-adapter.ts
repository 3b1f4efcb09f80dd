/**
 * connect-node's adapter, with three differences: every handler is wrapped in the edge guard
 * (src/server/edge-guard.ts); a handler that fails outside any call's error handling is logged
 * through pino instead of `console.error`; and such a call is reset rather than left open
 * (connect-node leaves the response unanswered, so the client hangs until its own timeout).
 */
import type http from 'node:http';
import http2 from 'node:http2';
import { Code, ConnectError, createConnectRouter, type ConnectRouter, type ConnectRouterOptions, type ContextValues } from '@connectrpc/connect';
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';
import type { UniversalHandler } from '@connectrpc/connect/protocol';
import type { Logger } from 'pino';

type NodeReq = http.IncomingMessage | http2.Http2ServerRequest;
type NodeRes = http.ServerResponse | http2.Http2ServerResponse;

export interface RpcAdapterOptions extends ConnectRouterOptions {
  routes(router: ConnectRouter): void;
  contextValues(req: NodeReq): ContextValues;
  /** Wraps each handler once, when the routes are built. */
  wrap(handler: UniversalHandler): UniversalHandler;
  logger: Logger;
}

export function createRpcAdapter(options: RpcAdapterOptions): (req: NodeReq, res: NodeRes) => void {
  const router = createConnectRouter(options);
  options.routes(router);
  const paths = new Map<string, UniversalHandler>();
  for (const handler of router.handlers) paths.set(handler.requestPath, options.wrap(handler));
  return (req, res) => {
    const handler = paths.get(req.url?.split('?', 2)[0] ?? '');
    if (handler === undefined) {
      res.writeHead(404);
      res.end();
      return;
    }
    const uReq = universalRequestFromNodeRequest(req, res, undefined, options.contextValues(req));
    handler(uReq)
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason: unknown) => {
        // Aborted: the client went away while the response was written.
        if (ConnectError.from(reason).code === Code.Aborted) return;
        options.logger.error({ err: reason, rpc: `${handler.service.typeName}/${handler.method.name}` }, 'rpc handler failed');
        // Never leave the call open: the client would wait for an answer that is not coming.
        if ('stream' in res) {
          if (!res.stream.closed) res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        } else {
          res.destroy();
        }
      });
  };
}
