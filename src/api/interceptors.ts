/**
 * Interceptors every Kavach RPC passes through: error mapping (outermost, so it also maps
 * errors thrown by authn and errors thrown in the middle of a server stream), then authn, which
 * resolves the bearer credential once and puts the principal in a context value.
 */
import type { DescMessage, Message } from '@bufbuild/protobuf';
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import type { Logger } from 'pino';
import type { App } from '../app/app.js';
import { callMetaKey, principalKey } from './context.js';
import { toConnectError } from './errors.js';
import { assertStrictMessage } from './strict-message.js';

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
    const principal = await app.authenticator.authenticate(
      req.header.get('authorization') ?? undefined,
      req.header.get('kavach-tenant') ?? undefined,
      req.contextValues.get(callMetaKey),
    );
    if (principal.kind === 'anonymous' && !PUBLIC_PROCEDURES.has(`/${req.service.typeName}/${req.method.name}`)) {
      throw new ConnectError('a bearer credential is required: send "authorization: Bearer <token>"', Code.Unauthenticated);
    }
    req.contextValues.set(principalKey, principal);
    return next(req);
  };
}

async function* strictStream<T extends Message>(schema: DescMessage, stream: AsyncIterable<T>): AsyncIterable<T> {
  for await (const message of stream) {
    assertStrictMessage(schema, message);
    yield message;
  }
}

/**
 * Every request message, whatever its protocol and encoding, passes `assertStrictMessage`
 * before anything reads it: unknown fields, unknown enum numbers, out-of-range times and
 * over-deep values are invalid_argument naming the field path.
 */
export function strictInputInterceptor(): Interceptor {
  return (next) => async (req) => {
    if (!req.stream) {
      assertStrictMessage(req.method.input, req.message);
      return next(req);
    }
    return next({ ...req, message: strictStream(req.method.input, req.message) });
  };
}

/** The interceptors for every Kavach route, outermost first. */
export function createInterceptors(app: App, logger: Logger): Interceptor[] {
  return [errorInterceptor(logger), strictInputInterceptor(), authnInterceptor(app)];
}
