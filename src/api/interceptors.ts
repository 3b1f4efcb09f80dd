/**
 * The one interceptor list every RPC passes through, declared once (docs/ARCHITECTURE.md#a-requests-path)
 * and used by every transport: the server's Connect adapter, the in-process test transport, and
 * any other adapter. Outermost first:
 *
 * 1. observe: metrics and one log line per call; outermost, so it sees the final code.
 * 2. deadline: once a call's deadline has passed it ends DeadlineExceeded, never OK.
 * 3. stream shutdown: open server streams end with Unavailable when shutdown starts.
 * 4. errors: maps every thrown value to a safe ConnectError, also mid-stream and from authn.
 * 5. strict input: unknown fields, unknown enum numbers, out-of-range times and over-deep values
 *    are invalid_argument naming the field path, whatever the protocol and encoding.
 * 6. authn: resolves the bearer credential once into the principal (and a re-check of it).
 *
 * Health and reflection pass through the same list; authn lets them through without a credential.
 */
import type { DescMessage, Message } from '@bufbuild/protobuf';
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import type { Logger } from 'pino';
import type { App } from '../app/app.js';
import type { Metrics } from '../observability/metrics.js';
import { unauthenticated } from '../domain/errors.js';
import { callMetaKey, principalKey, recheckKey } from './context-keys.js';
import { toConnectError } from './errors.js';
import { deadlineInterceptor } from './deadline.js';
import { observeInterceptor } from './observe.js';
import { streamShutdownInterceptor } from './stream-shutdown.js';
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
    // Health and reflection are open to all (docs/ARCHITECTURE.md#api-surface).
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

export interface InterceptorDeps {
  readonly app: App;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Aborted when shutdown starts: open server streams then end with Unavailable. */
  readonly streamsShutdown: AbortSignal;
}

/** Every interceptor of every RPC, outermost first. Pass it whole to the router or adapter. */
export function createInterceptors(deps: InterceptorDeps): Interceptor[] {
  return [
    observeInterceptor(deps.metrics, deps.logger),
    // Inside observe, so a call cut by its deadline is logged and counted as DeadlineExceeded.
    deadlineInterceptor(),
    streamShutdownInterceptor(deps.streamsShutdown),
    errorInterceptor(deps.logger),
    strictInputInterceptor(),
    authnInterceptor(deps.app),
  ];
}
