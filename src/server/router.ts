/**
 * Service-level interceptors replace the router's instead of adding to them (connect-es merges
 * handler options with Object.assign). The server's own interceptors (observe, stream shutdown)
 * must wrap every call, so this router view prepends them to any `interceptors` a registration
 * brings; registrations without their own get the router's, which are the same ones.
 */
import type { ConnectRouter, Interceptor } from '@connectrpc/connect';

type Options = Parameters<ConnectRouter['service']>[2];

export function withOuterInterceptors(router: ConnectRouter, outer: readonly Interceptor[]): ConnectRouter {
  const merge = (options: Options): Options =>
    options?.interceptors === undefined ? options : { ...options, interceptors: [...outer, ...options.interceptors] };
  const view: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service(service, implementation, options) {
      router.service(service, implementation, merge(options));
      return this;
    },
    rpc(method, impl, options) {
      router.rpc(method, impl, merge(options));
      return this;
    },
  };
  return view;
}
