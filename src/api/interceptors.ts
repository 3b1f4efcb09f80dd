/**
 * Interceptors every Kavach RPC passes through: error mapping (outermost, so it also maps
 * errors thrown by authn and errors thrown in the middle of a server stream), then authn, which
 * resolves the bearer credential once and puts the principal in a context value.
 */
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import type { Logger } from 'pino';
import type { App } from '../app/app.js';
import { unauthenticated } from '../domain/errors.js';
import { callMetaKey, principalKey, recheckKey } from './context.js';
import { toConnectError } from './errors.js';

/** RPCs callable without a credential. A credential, when sent, must still be valid. */
const PUBLIC_PROCEDURES = new Set(['/kavach.v1.AuthService/SignUp', '/kavach.v1.AuthService/SignIn']);

function isKavach(typeName: string): boolean {
  return typeName.startsWith('kavach.');
}

async function* mapStreamErrors<T>(stream: AsyncIterable<T>, map: (e: unknown) => ConnectError): AsyncIterable<T> {
  try {
    yield* stream;
  } catch (error) {
    throw map(error);
  }
}

export function errorInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const map = (e: unknown) => toConnectError(e, logger, req.contextValues.get(callMetaKey).requestId);
    try {
      const res = await next(req);
      return res.stream ? { ...res, message: mapStreamErrors(res.message, map) } : res;
    } catch (error) {
      throw map(error);
    }
  };
}

export function authnInterceptor(app: App): Interceptor {
  return (next) => async (req) => {
    // Health and reflection are open to all (DESIGN.md §1).
    if (!isKavach(req.service.typeName)) return next(req);
    // The credential is read here and nowhere else: handlers get the principal, and long
    // streams a re-check of this same credential.
    const authorization = req.header.get('authorization') ?? undefined;
    const tenantHeader = req.header.get('kavach-tenant') ?? undefined;
    const meta = req.contextValues.get(callMetaKey);
    const principal = await app.authenticator.authenticate(authorization, tenantHeader, meta);
    if (principal.kind === 'anonymous' && !PUBLIC_PROCEDURES.has(`/${req.service.typeName}/${req.method.name}`)) {
      throw new ConnectError('a bearer credential is required: send "authorization: Bearer <token>"', Code.Unauthenticated);
    }
    req.contextValues.set(principalKey, principal);
    req.contextValues.set(recheckKey, async () => {
      const current = await app.authenticator.authenticate(authorization, tenantHeader, meta);
      if (current.kind === 'anonymous' || current.tenantId !== principal.tenantId) {
        throw unauthenticated('the credential behind this stream is no longer valid');
      }
    });
    return next(req);
  };
}

/** The interceptors for every Kavach route, outermost first. */
export function createInterceptors(app: App, logger: Logger): Interceptor[] {
  return [errorInterceptor(logger), authnInterceptor(app)];
}
