/**
 * Human auth use cases (docs/ARCHITECTURE.md#callers-and-credentials): sign-up, sign-in, session lookup, sign-out.
 *
 * Who may call what:
 * - SignUp: anonymous callers create a user in the `default` tenant; the admin creates one in
 *   the tenant it names. A user or agent credential is PermissionDenied: a session cannot
 *   create accounts, and silently treating it as anonymous would hide a client bug.
 * - SignIn: the tenant is the principal's: the admin's named tenant, a user's own, and for an
 *   anonymous caller whatever the authenticator decided (today always `default`). An agent
 *   credential is PermissionDenied: agents never act as humans.
 * - GetSession: any caller holding a session token; a user for their own session.
 * - SignOut: a user, for their own session or all of them.
 *
 * Secrets: the password reaches only the hasher; no password, hash or token is put in an audit
 * entry or a log line. An unknown email is not recorded either (people type passwords into
 * the email field).
 */
import {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
  permissionDenied,
  resourceExhausted,
  unauthenticated,
} from '../../domain/errors.js';
import type { SessionRecord, UserRecord } from '../../domain/records.js';
import type { Store } from '../../store/store.js';
import { requireAuthenticated, requireHuman } from '../access.js';
import { actorOf } from '../audit/audit-entry.js';
import { DEFAULT_TENANT } from './authn.js';
import { loadCommonPasswords } from './common-passwords.js';
import type { AppContext } from '../app-context.js';
import { normalizeEmail } from './email.js';
import { MAX_PASSWORD_LENGTH, checkNewPassword, createPasswordHasher, passwordLength, type PasswordHasher } from './passwords.js';
import type { CallMeta, Principal } from './principal.js';
import { SESSION_TOKEN_PREFIX, hasTokenShape, sha256Hex } from './secrets.js';
import type { SessionManager } from './sessions.js';
import type { RejectionAuditor } from '../audit/rejection-audit.js';
import { createSignInThrottle } from './throttle.js';
import { validateName } from '../validation.js';

/** A user as callers see it: everything but the password hash. */
export type UserView = Omit<UserRecord, 'passwordHash'>;
/** A session as callers see it: everything but the token hash. */
export type SessionView = Omit<SessionRecord, 'tokenHash'>;

export interface SignUpInput {
  readonly email: string;
  readonly password: string;
  /** Optional display name; '' for none. */
  readonly name: string;
}

export interface SignInInput {
  readonly email: string;
  readonly password: string;
}

/** A started session: the only place its token exists in clear. */
export interface SignedIn {
  readonly user: UserView;
  readonly session: SessionView;
  readonly token: string;
}

export interface AuthOptions {
  /** Defaults to argon2id at the calibrated production parameters; tests pass cheap ones. */
  readonly hasher?: PasswordHasher;
  /** Defaults to the packaged list, loaded on the first sign-up. */
  readonly commonPasswords?: ReadonlySet<string>;
}

const WRONG_CREDENTIALS = 'the email or password is wrong';

export function userView(user: UserRecord): UserView {
  const { passwordHash: _secret, ...view } = user;
  return view;
}

export function sessionView(session: SessionRecord): SessionView {
  const { tokenHash: _secret, ...view } = session;
  return view;
}

/**
 * The auth use cases over `ctx`, the user, session and throttle stores, and the session manager. `options` exists for tests (cheap
 * hashing, a small password list); production uses the defaults.
 */
export function createAuthUseCases(
  ctx: AppContext,
  store: Pick<Store, 'users' | 'sessions' | 'throttles'>,
  sessions: SessionManager,
  throttled: RejectionAuditor,
  options: AuthOptions = {},
) {
  const { audit, now, newId, logger, clientIp } = ctx;
  const hasher = options.hasher ?? createPasswordHasher();
  const throttle = createSignInThrottle(store.throttles);
  let common = options.commonPasswords;
  const commonPasswords = (): ReadonlySet<string> => (common ??= loadCommonPasswords());

  /** Re-hashes with the current parameters; a failure here must not fail the sign-in. */
  async function upgradeHash(user: UserRecord, password: string): Promise<void> {
    if (!hasher.needsRehash(user.passwordHash)) return;
    try {
      await store.users.setPasswordHash(user.tenantId, user.id, await hasher.hash(password));
      logger.info({ userId: user.id, tenantId: user.tenantId }, 'password re-hashed with the current parameters');
    } catch (err) {
      logger.warn({ err, userId: user.id, tenantId: user.tenantId }, 'password re-hash failed; will retry at next sign-in');
    }
  }

  async function startSession(user: UserRecord): Promise<SignedIn> {
    const { session, token } = await sessions.start(user.tenantId, user.id);
    return { user: userView(user), session: sessionView(session), token };
  }

  return {
    /**
     * Creates a user and starts their first session. Throws invalid_argument (email, password,
     * name), already_exists for a taken email in the tenant (compared in lower case), and
     * permission_denied for a user or agent caller.
     */
    async signUp(principal: Principal, meta: CallMeta, input: SignUpInput): Promise<SignedIn> {
      if (principal.kind === 'user' || principal.kind === 'agent') {
        throw permissionDenied('sign up without a credential, or with the admin token to create a user in a tenant');
      }
      const tenantId = principal.kind === 'admin' ? principal.tenantId : DEFAULT_TENANT;
      const email = normalizeEmail(input.email);
      if (input.name !== '') validateName(input.name, 'name');
      checkNewPassword(input.password, email, commonPasswords());
      const base = { tenantId, action: 'auth.sign_up', clientIp: clientIp(principal, meta, '', 'client_ip') ?? meta.peerIp };

      const existing = await store.users.getByEmail(tenantId, email);
      if (existing !== undefined) {
        // Audited for the account's owner: someone tried to register their address.
        await audit.record({
          ...base,
          actor: actorOf(principal),
          result: 'denied',
          ownerId: existing.id,
          resource: `user:${existing.id}`,
          message: 'sign-up refused: the email is taken',
        });
        throw alreadyExists('a user with this email already exists');
      }
      const user: UserRecord = {
        id: newId('usr'),
        tenantId,
        email,
        name: input.name,
        passwordHash: await hasher.hash(input.password),
        createdAt: now(),
      };
      await store.users.create(user);
      const signedIn = await startSession(user);
      await audit.record({
        ...base,
        actor: principal.kind === 'admin' ? actorOf(principal) : { kind: 'user', id: user.id },
        result: 'allowed',
        ownerId: user.id,
        resource: `user:${user.id}`,
        message: principal.kind === 'admin' ? 'user created by the admin' : 'user signed up',
      });
      return signedIn;
    },

    /**
     * Checks the credentials and starts a new session. An unknown email and a wrong password
     * both throw the same unauthenticated error after the same amount of hashing. Throttled
     * attempts throw resource_exhausted with `retryAfterSeconds`. Malformed input (no email,
     * a password over 128 characters) is invalid_argument, which reveals nothing about accounts.
     */
    async signIn(principal: Principal, meta: CallMeta, input: SignInInput): Promise<SignedIn> {
      if (principal.kind === 'agent') throw permissionDenied('an agent token may not sign in as a user');
      const tenantId = principal.tenantId;
      const email = normalizeEmail(input.email);
      if (input.password === '') throw invalidArgument('password', 'is required');
      if (passwordLength(input.password) > MAX_PASSWORD_LENGTH) {
        throw invalidArgument('password', `must be at most ${MAX_PASSWORD_LENGTH} characters`);
      }
      const ip = clientIp(principal, meta, '', 'client_ip');
      const base = { tenantId, action: 'auth.sign_in', clientIp: ip ?? meta.peerIp };

      const admission = await throttle.admit(tenantId, email, ip, now());
      if (!admission.ok) {
        const known = await store.users.getByEmail(tenantId, email);
        // Capped per source like rejected tokens: a throttled caller needs no credential, so one
        // entry per attempt would let anyone grow the log at will.
        throttled.record({
          tenantId,
          agentId: '',
          clientIp: base.clientIp,
          actor: actorOf(principal),
          ownerId: known?.id ?? '',
          resource: known === undefined ? '' : `user:${known.id}`,
          message: `sign-in throttled after repeated failures; retry in ${admission.retryAfterSeconds} s`,
        });
        throw resourceExhausted(
          `too many failed sign-in attempts: retry in ${admission.retryAfterSeconds} seconds`,
          admission.retryAfterSeconds,
        );
      }

      const user = await store.users.getByEmail(tenantId, email);
      // The dummy verify costs what a real one does, so timing does not reveal unknown emails.
      const ok = user === undefined ? await hasher.verifyDummy(input.password) : await hasher.verify(user.passwordHash, input.password);
      if (user === undefined || !ok) {
        await throttle.failed(admission, now());
        await audit.record({
          ...base,
          actor: actorOf(principal),
          result: 'denied',
          ownerId: user?.id ?? '',
          resource: user === undefined ? '' : `user:${user.id}`,
          message: user === undefined ? 'sign-in failed: unknown email' : 'sign-in failed: wrong password',
        });
        throw unauthenticated(WRONG_CREDENTIALS);
      }

      await throttle.succeeded(admission);
      await upgradeHash(user, input.password);
      const signedIn = await startSession(user);
      await audit.record({
        ...base,
        actor: { kind: 'user', id: user.id },
        result: 'allowed',
        ownerId: user.id,
        resource: `user:${user.id}`,
        message: `signed in; session ${signedIn.session.id}`,
      });
      return signedIn;
    },

    /**
     * The live session behind `sessionToken` (any authenticated caller holding it, within the
     * caller's tenant: the admin's is the one it names with `kavach-tenant`), or, when it is '',
     * the caller's own session, the one its principal names (a user principal is required).
     * Never returns a token. Throws not_found when the named token has no live session in the
     * caller's tenant, and invalid_argument for a malformed token.
     */
    async getSession(principal: Principal, sessionToken: string): Promise<{ user: UserView; session: SessionView }> {
      const caller = requireAuthenticated(principal);
      let session: SessionRecord | undefined;
      if (sessionToken !== '') {
        if (sessionToken.length > 64 || !hasTokenShape(sessionToken, SESSION_TOKEN_PREFIX)) {
          throw invalidArgument('session_token', `must be a session token: ${SESSION_TOKEN_PREFIX} and 43 characters`);
        }
        session = await sessions.find(sha256Hex(sessionToken));
        // Tenants are isolated: another tenant's session is answered exactly like an unknown token.
        if (session === undefined || session.tenantId !== caller.tenantId) throw notFound('no live session has this token');
      } else {
        if (caller.kind !== 'user') {
          throw invalidArgument('session_token', 'is required unless the caller uses a session token');
        }
        // The authn interceptor resolved the credential into this principal; it names the session.
        session = await sessions.findById(caller.tenantId, caller.sessionId);
        // It was live a moment ago; missing now means it ended in between.
        if (session === undefined) throw unauthenticated('the session has ended');
      }
      const user = await store.users.get(session.tenantId, session.userId);
      if (user === undefined) throw notFound('no live session has this token');
      return { user: userView(user), session: sessionView(session) };
    },

    /**
     * Ends the caller's session, or every session of the caller's user when `all` is set, and
     * returns how many ended. Those tokens are rejected on the very next call, on every replica.
     * Agents get permission_denied; the admin, who has no session, failed_precondition.
     */
    async signOut(principal: Principal, all: boolean): Promise<number> {
      const caller = requireHuman(principal, 'sign out');
      if (caller.kind !== 'user') throw failedPrecondition('the admin token has no session to end: sign out with a session token');
      const at = now();
      const ended = all
        ? await store.sessions.endAllForUser(caller.tenantId, caller.userId, at)
        : Number(await store.sessions.end(caller.tenantId, caller.sessionId, at));
      await audit.record({
        tenantId: caller.tenantId,
        actor: actorOf(caller),
        action: 'auth.sign_out',
        result: 'allowed',
        ownerId: caller.userId,
        resource: `user:${caller.userId}`,
        message: all ? `signed out everywhere: ${ended} session(s) ended` : `signed out; session ${caller.sessionId} ended`,
      });
      return ended;
    },
  };
}
