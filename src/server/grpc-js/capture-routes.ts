/**
 * What the registration function (src/api/routes.ts) puts on a Connect router, recorded method by
 * method so that the native gRPC path serves exactly the same implementations.
 */
import {
  createMethodImplSpec,
  createServiceImplSpec,
  type ConnectRouter,
  type Interceptor,
  type MethodImplSpec,
  type ServiceImpl,
} from '@connectrpc/connect';

export interface Route {
  readonly spec: MethodImplSpec;
  /** A registration's own interceptors; they run inside the server's list, as on the Connect path. */
  readonly interceptors: readonly Interceptor[];
}

/** Records what `register` puts on a Connect router, for the native path to serve the same. */
export function captureRoutes(register: (router: ConnectRouter) => void): Route[] {
  const routes: Route[] = [];
  const router: ConnectRouter = {
    handlers: [],
    service(service, implementation, options) {
      // Fills methods left out with an Unimplemented one, exactly as the Connect router does.
      const spec = createServiceImplSpec(service, implementation as ServiceImpl<typeof service>);
      for (const method of service.methods) {
        routes.push({ spec: spec.methods[method.localName] as MethodImplSpec, interceptors: options?.interceptors ?? [] });
      }
      return this;
    },
    rpc(method, impl, options) {
      routes.push({ spec: createMethodImplSpec(method, impl) as MethodImplSpec, interceptors: options?.interceptors ?? [] });
      return this;
    },
  };
  register(router);
  return routes;
}

