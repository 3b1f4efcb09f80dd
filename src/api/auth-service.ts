/**
 * AuthService handlers: convert the request, call one use case, convert the result. Session
 * tokens leave only through SignUp and SignIn (docs/ARCHITECTURE.md#sessions).
 */
import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import { SessionSchema, UserSchema, type Session, type User } from '../../gen/kavach/v1/types_pb.js';
import type { App } from '../app/app.js';
import type { SessionView, UserView } from '../app/auth/auth.js';
import { metaOf, principalOf } from './context-keys.js';
import { toTimestamp } from './mapping.js';

export function userToProto(u: UserView): User {
  return create(UserSchema, {
    id: u.id,
    tenantId: u.tenantId,
    email: u.email,
    name: u.name,
    createdAt: toTimestamp(u.createdAt),
  });
}

export function sessionToProto(s: SessionView): Session {
  return create(SessionSchema, {
    id: s.id,
    userId: s.userId,
    tenantId: s.tenantId,
    createdAt: toTimestamp(s.createdAt),
    expiresAt: toTimestamp(s.expiresAt),
    idleExpiresAt: toTimestamp(s.idleExpiresAt),
    lastUsedAt: toTimestamp(s.lastUsedAt),
  });
}


export function authServiceImpl(app: App): ServiceImpl<typeof AuthService> {
  return {
    async signUp(req, ctx) {
      const { user, session, token } = await app.auth.signUp(principalOf(ctx), metaOf(ctx), {
        email: req.email,
        password: req.password,
        name: req.name,
      });
      return { user: userToProto(user), session: sessionToProto(session), sessionToken: token };
    },
    async signIn(req, ctx) {
      const { user, session, token } = await app.auth.signIn(principalOf(ctx), metaOf(ctx), {
        email: req.email,
        password: req.password,
      });
      return { user: userToProto(user), session: sessionToProto(session), sessionToken: token };
    },
    async getSession(req, ctx) {
      const { user, session } = await app.auth.getSession(principalOf(ctx), req.sessionToken);
      return { user: userToProto(user), session: sessionToProto(session) };
    },
    async signOut(req, ctx) {
      return { endedSessions: await app.auth.signOut(principalOf(ctx), req.all) };
    },
  };
}
