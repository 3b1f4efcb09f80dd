/**
 * Humans over the network (docs/ARCHITECTURE.md#sessions): sign-up, sign-in, sessions, an agent
 * created under a session, sign-out, and sign-in throttling, through grpc-js and connect-node's
 * gRPC transport against the real server. Each client gets its own server, so throttling state
 * (per email and per client IP, all from 127.0.0.1 here) never crosses between them. The clock
 * is injected: a throttle block ends when the test moves the clock, never by sleeping.
 */
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { AgentStatus, ReasonCode } from '../../gen/kavach/v1/types_pb.js';
import { fakeClock, type FakeClock } from '../support/app.js';
import { GRPC_KITS, codeOf, failureOf, type Kit, type Rpc } from '../support/clients.js';
import { AGENT_TOKEN_SHAPE, aCreateAgentRequest, aPermission, aResource, aSignUpRequest, aSuffix } from '../support/requests.js';
import { leaksIn } from '../support/scan.js';
import { startServer, type RunningServer } from '../support/server.js';

const SESSION_TOKEN_SHAPE = /^kvs_[A-Za-z0-9_-]{43}$/;

describe.each(GRPC_KITS)('over %s', (_name, makeKit) => {
  let clock: FakeClock;
  let srv: RunningServer;
  let kit: Kit;
  let auth: Rpc<typeof AuthService>;
  let agents: Rpc<typeof AgentService>;
  let authz: Rpc<typeof AuthorizeService>;
  beforeAll(async () => {
    clock = fakeClock();
    srv = await startServer({}, clock.now);
    kit = makeKit(srv.url);
    auth = kit.client(AuthService);
    agents = kit.client(AgentService);
    authz = kit.client(AuthorizeService);
  });
  afterAll(async () => {
    kit.close();
    await srv.close();
  });

  /** A fresh sign-up request with every field set. */
  function credentials() {
    const { email = '', password = '', name = '' } = aSignUpRequest();
    return { email, password, name };
  }

  /** Signs a fresh user up; returns their credentials, id and first session token. */
  async function aUser() {
    const request = credentials();
    const res = await auth.signUp(request);
    return { ...request, userId: res.user?.id ?? expect.fail('SignUp returned no user'), session: res.sessionToken };
  }

  it('signs up, signs in, reads the session, creates an agent under it, signs out, and the token is then rejected', async () => {
    const request = credentials();
    const signedUp = await auth.signUp(request);
    expect(signedUp.sessionToken).toMatch(SESSION_TOKEN_SHAPE);
    expect(signedUp.user).toMatchObject({ email: request.email, name: request.name, tenantId: 'default' });
    const userId = signedUp.user?.id ?? expect.fail('SignUp returned no user');

    const signedIn = await auth.signIn({ email: request.email.toUpperCase(), password: request.password });
    expect(signedIn.user?.id).toBe(userId);
    expect(signedIn.sessionToken).toMatch(SESSION_TOKEN_SHAPE);
    expect(signedIn.sessionToken).not.toBe(signedUp.sessionToken);
    const token = signedIn.sessionToken;

    const session = await auth.getSession({}, token);
    expect(session.user?.id).toBe(userId);
    expect(session.session).toMatchObject({ id: signedIn.session?.id, userId });

    const resource = aResource();
    const created = await agents.createAgent(aCreateAgentRequest({ ownerId: '', permissions: [aPermission({ resource })] }), token);
    expect(created.agent).toMatchObject({ ownerId: userId, status: AgentStatus.ACTIVE });
    expect(created.token).toMatch(AGENT_TOKEN_SHAPE);
    const agentId = created.agent?.id ?? '';
    const listed = await agents.listAgents({}, token);
    expect(listed.agents.map((a) => a.id)).toEqual([agentId]);

    expect((await auth.signOut({}, token)).endedSessions).toBe(1);
    expect(await codeOf(auth.getSession({}, token))).toBe(Code.Unauthenticated);
    expect(await codeOf(agents.listAgents({}, token))).toBe(Code.Unauthenticated);
    expect(await codeOf(auth.signOut({}, token))).toBe(Code.Unauthenticated);

    // Only that session ended: the sign-up session and the agent live on.
    expect((await agents.getAgent({ agentId }, signedUp.sessionToken)).agent?.ownerId).toBe(userId);
    const decision = await authz.authorize({ action: 'read', resource }, created.token);
    expect(decision).toMatchObject({ allowed: true, reason: ReasonCode.ALLOWED });
  });

  it("SignOut with all ends every session of the user, and no one else's", async () => {
    const user = await aUser();
    const other = await aUser();
    const first = await auth.signIn({ email: user.email, password: user.password });
    const second = await auth.signIn({ email: user.email, password: user.password });

    expect((await auth.signOut({ all: true }, first.sessionToken)).endedSessions).toBe(3);
    for (const token of [user.session, first.sessionToken, second.sessionToken]) {
      expect(await codeOf(auth.getSession({}, token))).toBe(Code.Unauthenticated);
    }
    expect((await auth.getSession({}, other.session)).user?.id).toBe(other.userId);
  });

  it('GetSession never returns a token, neither for the caller’s own session nor for one named by token', async () => {
    const user = await aUser();
    const own = await auth.getSession({}, user.session);
    const named = await auth.getSession({ sessionToken: user.session }, srv.adminToken);
    expect(own.user?.id).toBe(user.userId);
    expect(named.session?.id).toBe(own.session?.id);
    const body = user.session.slice('kvs_'.length);
    expect(leaksIn([own, named], ['kvs_', body])).toEqual([]);

    // The same over Connect with JSON, scanning the raw body and headers.
    const res = await fetch(`${srv.url}/kavach.v1.AuthService/GetSession`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'connect-protocol-version': '1', authorization: `Bearer ${user.session}` },
      body: '{}',
    });
    expect(res.status).toBe(200);
    const raw = `${JSON.stringify([...res.headers])}\n${await res.text()}`;
    expect(raw).toContain(user.userId);
    expect(raw).not.toContain('kvs_');
    expect(raw).not.toContain(body);
  });

  it('refuses a second account for the same email, in any letter case, with AlreadyExists', async () => {
    const user = await aUser();
    const again = { ...credentials(), email: user.email.toUpperCase() };
    expect(await codeOf(auth.signUp(again))).toBe(Code.AlreadyExists);
    expect(await codeOf(auth.signUp({ ...again, email: user.email }))).toBe(Code.AlreadyExists);
  });

  it('gives an unknown email and a wrong password the same Unauthenticated message', async () => {
    const user = await aUser();
    const unknown = await failureOf(auth.signIn({ email: `nobody-${aSuffix()}@example.com`, password: user.password }));
    const wrong = await failureOf(auth.signIn({ email: user.email, password: `${user.password}-not` }));
    expect(unknown.code).toBe(Code.Unauthenticated);
    expect(wrong.code).toBe(Code.Unauthenticated);
    expect(wrong.message).toBe(unknown.message);
    expect(wrong.message).not.toContain(user.email);
  });

  it('throttles repeated failures for one email with ResourceExhausted and a retry-after, then lets the right password in once it has passed', async () => {
    const user = await aUser();
    const bystander = await aUser();
    const wrong = () => auth.signIn({ email: user.email, password: `${user.password}-guess` });

    // The number of free failures is policy; somewhere within 10 the throttle must start.
    const seen: Code[] = [];
    let throttled: Awaited<ReturnType<typeof failureOf>> | undefined;
    while (throttled === undefined && seen.length < 10) {
      const failure = await failureOf(wrong());
      seen.push(failure.code);
      if (failure.code === Code.ResourceExhausted) throttled = failure;
    }
    if (throttled === undefined) return expect.fail(`no throttling after ${seen.length} failures: ${seen.join(', ')}`);
    expect(seen.slice(0, -1).every((c) => c === Code.Unauthenticated)).toBe(true);
    expect(seen.length).toBeGreaterThan(1);

    const retryAfter = Number(throttled.meta('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter > 0).toBe(true);
    // While blocked, even the right password is refused, for this email only.
    expect(await codeOf(auth.signIn({ email: user.email, password: user.password }))).toBe(Code.ResourceExhausted);
    expect((await auth.signIn({ email: bystander.email, password: bystander.password })).user?.id).toBe(bystander.userId);

    clock.advance(retryAfter * 1000);
    expect((await auth.signIn({ email: user.email, password: user.password })).user?.id).toBe(user.userId);
  });
});
