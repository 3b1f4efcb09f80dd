/**
 * Human sign-up, sign-in, session and sign-out, plus authorize-by-token: each one call of the
 * same use case the AuthService and AuthorizeService RPCs use. Session tokens leave only
 * through sign-up and sign-in.
 */
import type { App } from '../app/app.js';
import { invalidArgument } from '../domain/errors.js';
import { authorizeBodyOf } from './agent-routes.js';
import { queryOf } from './http-io.js';
import { object, optString, string } from './json-input.js';
import { created, noContent, ok, type RestRoute } from './route.js';
import { decisionToJson, sessionToJson, userToJson } from './views.js';

/** `{email, password, ...}`, bare or in the `{data: …}` envelope some clients use. */
function credentialsOf(body: unknown, keys: readonly string[]): ReturnType<typeof object> {
  const outer = object(body, 'body', [...keys, 'data']);
  if (outer.data === undefined || outer.data === null) return outer;
  if (Object.keys(outer).length > 1) throw invalidArgument('data', 'must be the only key when it is sent');
  return object(outer.data, 'data', keys);
}

export function authRoutes(app: App): RestRoute[] {
  return [
    {
      method: 'POST',
      path: '/sign-up/email',
      public: true,
      async handle(call) {
        const body = credentialsOf(await call.body(), ['email', 'password', 'name']);
        const { user, session, token } = await app.auth.signUp(call.principal, call.meta, {
          email: string(body.email, 'email'),
          password: string(body.password, 'password'),
          name: optString(body.name, 'name') ?? '',
        });
        return created({ user: userToJson(user), session: sessionToJson(session, token) });
      },
    },
    {
      method: 'POST',
      path: '/sign-in/email',
      public: true,
      async handle(call) {
        const body = credentialsOf(await call.body(), ['email', 'password']);
        const { user, session, token } = await app.auth.signIn(call.principal, call.meta, {
          email: string(body.email, 'email'),
          password: string(body.password, 'password'),
        });
        return ok({ user: userToJson(user), session: sessionToJson(session, token) });
      },
    },
    {
      method: 'POST',
      path: '/sign-out',
      async handle(call) {
        object((await call.body()) ?? {}, 'body', []);
        await app.auth.signOut(call.principal, false);
        return noContent;
      },
    },
    {
      method: 'GET',
      path: '/session',
      async handle(call) {
        queryOf(call.search, []);
        const { session } = await app.auth.getSession(call.principal, '');
        return ok(sessionToJson(session));
      },
    },
    {
      method: 'POST',
      path: '/authorize',
      async handle(call) {
        const input = await authorizeBodyOf(call);
        // Empty agent id: the calling agent itself, whose token is the bearer.
        const decision = await app.authorize.authorize(call.principal, call.meta, { agentId: '', ...input, clientIp: '' });
        return ok(decisionToJson(decision));
      },
    },
  ];
}
