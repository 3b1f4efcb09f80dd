/**
 * Secrets never reach the logs or the audit log (docs/ARCHITECTURE.md#callers-and-credentials): the real server,
 * logging every line at `trace` into memory with no redaction of its own, runs a flow that
 * handles every kind of secret (passwords, session, admin and agent tokens, rejected tokens,
 * secret-named arguments), over grpc-js and over Connect with JSON. Then every captured log
 * line, every audit entry read back from the store, and the store's files are searched for each
 * secret and for the SHA-256 of each token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Code } from '@connectrpc/connect';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { ReasonCode } from '../../gen/kavach/v1/types_pb.js';
import { openEmbeddedStore } from '../../src/store/embedded/open.js';
import type { AuditRecord } from '../../src/domain/records.js';
import { codeOf, connectJsonKit, grpcJsKit, type Kit } from '../support/clients.js';
import { aCreateAgentRequest, aPermission, aResource, aSignUpRequest, aSuffix, constraints } from '../support/requests.js';
import { leaksIn } from '../support/scan.js';
import { startServer, type RunningServer } from '../support/server.js';

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const TOKEN_SHAPE = /kv[sa]?_[A-Za-z0-9_-]{43}/;
const REDACTED = '[REDACTED]';

/** Every audit entry of `tenantId` in the store file under `dataDir`, read after the server closed. */
async function storedAudit(dataDir: string, tenantId: string): Promise<AuditRecord[]> {
  const store = openEmbeddedStore({ path: path.join(dataDir, 'kavach.db') });
  try {
    const entries: AuditRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.audit.query(tenantId, {}, { limit: 1000, cursor });
      entries.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return entries;
  } finally {
    await store.close();
  }
}

describe('a flow handling every kind of secret, logged at trace', () => {
  const lines: string[] = [];
  let dataDir: string;
  let srv: RunningServer;
  let grpcJs: Kit;
  let connectJson: Kit;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter((l) => l !== ''));
        done();
      },
    });
    dataDir = await mkdtemp(path.join(tmpdir(), 'kavach-secrets-'));
    srv = await startServer({}, undefined, { logger: pino({ level: 'trace' }, sink), dataDir });
    grpcJs = grpcJsKit(srv.url);
    connectJson = connectJsonKit(srv.url);
  });
  afterAll(async () => {
    grpcJs.close();
    connectJson.close();
    await srv.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('puts no password, token, token hash or secret argument in any log line, audit entry or store file', async () => {
    const auth = grpcJs.client(AuthService);
    const agents = grpcJs.client(AgentService);
    const authz = grpcJs.client(AuthorizeService);
    const authzJson = connectJson.client(AuthorizeService);

    // Humans: sign-up, sign-in, a failed sign-in, a session token sent in a request body.
    const signUpRequest = aSignUpRequest();
    const password = signUpRequest.password ?? '';
    const wrongPassword = `${password}-wrong-${aSuffix()}`;
    const signedUp = await auth.signUp(signUpRequest);
    const signedIn = await auth.signIn({ email: signUpRequest.email, password });
    const session = signedIn.sessionToken;
    expect(await codeOf(auth.signIn({ email: signUpRequest.email, password: wrongPassword }))).toBe(Code.Unauthenticated);
    expect((await auth.getSession({ sessionToken: session }, srv.adminToken)).user?.id).toBe(signedUp.user?.id);

    // An agent, its token, and decisions whose arguments hold secrets.
    const resource = aResource();
    const created = await agents.createAgent(
      aCreateAgentRequest({
        ownerId: '',
        permissions: [
          aPermission({ resource, actions: ['read'] }),
          aPermission({ resource, actions: ['write'], constraints: constraints({ requireApproval: true }) }),
        ],
      }),
      session,
    );
    const agentId = created.agent?.id ?? expect.fail('CreateAgent returned no agent');
    const firstToken = created.token;
    const argSecrets = {
      password: `arg-password-${aSuffix()}`,
      api_key: `arg-api-key-${aSuffix()}`,
      token: `arg-token-${aSuffix()}`,
      authorization: `Bearer arg-bearer-${aSuffix()}`,
      // Common names beyond the first five, in any case and separator style (issue 11 item 7).
      apiKey: `arg-apikey-${aSuffix()}`,
      xApiKey: `arg-x-api-key-${aSuffix()}`,
      passwd: `arg-passwd-${aSuffix()}`,
      pwd: `arg-pwd-${aSuffix()}`,
      privateKey: `arg-private-key-${aSuffix()}`,
      credentials: `arg-credentials-${aSuffix()}`,
      cookie: `arg-cookie-${aSuffix()}`,
      setCookie: `arg-set-cookie-${aSuffix()}`,
      clientSecret: `arg-client-secret-${aSuffix()}`,
      urlPassword: `arg-url-password-${aSuffix()}`,
    };
    const args = {
      password: argSecrets.password,
      api_key: argSecrets.api_key,
      token: argSecrets.token,
      request: {
        headers: { authorization: argSecrets.authorization, 'X-Api-Key': argSecrets.xApiKey, Cookie: argSecrets.cookie },
        response: [{ 'set-cookie': argSecrets.setCookie }],
      },
      apiKey: argSecrets.apiKey,
      PASSWD: argSecrets.passwd,
      pwd: argSecrets.pwd,
      private_key: argSecrets.privateKey,
      credentials: { user: argSecrets.credentials },
      CLIENT_SECRET: argSecrets.clientSecret,
      remote: { urls: [`https://deploy:${argSecrets.urlPassword}@git.example.com/repo.git`] },
      note: 'not a secret',
    };
    const redactedArgs = {
      password: REDACTED,
      api_key: REDACTED,
      token: REDACTED,
      request: { headers: { authorization: REDACTED, 'X-Api-Key': REDACTED, Cookie: REDACTED }, response: [{ 'set-cookie': REDACTED }] },
      apiKey: REDACTED,
      PASSWD: REDACTED,
      pwd: REDACTED,
      private_key: REDACTED,
      credentials: REDACTED,
      CLIENT_SECRET: REDACTED,
      remote: { urls: [`https://deploy:${REDACTED}@git.example.com/repo.git`] },
      note: 'not a secret',
    };
    const decided = [
      await authz.authorize({ action: 'read', resource, arguments: args }, firstToken),
      await authzJson.authorize({ agentId, action: 'read', resource, arguments: args }, srv.adminToken),
      await authzJson.authorize({ agentId, action: 'read', resource, arguments: args }, session),
    ];
    for (const d of decided) expect(d.reason).toBe(ReasonCode.ALLOWED);
    const pending = await authz.authorize({ action: 'write', resource, arguments: args }, firstToken);
    expect(pending.reason).toBe(ReasonCode.APPROVAL_REQUIRED);
    const approvals = await authz.listApprovals({ agentId }, session);
    expect(approvals.approvals[0]?.arguments).toEqual(redactedArgs);
    expect(leaksIn(approvals.approvals, Object.values(argSecrets))).toEqual([]);

    // Rotation, the new token in use, the old one and bogus ones rejected.
    const rotated = await agents.rotateAgentToken({ agentId }, session);
    const secondToken = rotated.token;
    decided.push(await authz.authorize({ action: 'read', resource, arguments: args }, secondToken));
    expect(decided.at(-1)?.reason).toBe(ReasonCode.ALLOWED);
    const bogus = [`kv_${randomBytes(32).toString('base64url')}`, `kvs_${randomBytes(32).toString('base64url')}`, `sk-bogus-${aSuffix()}`];
    for (const token of [firstToken, ...bogus]) {
      expect(await codeOf(authz.authorize({ action: 'read', resource }, token))).toBe(Code.Unauthenticated);
    }
    expect(await codeOf(authzJson.authorize({ action: 'read', resource }, bogus[0] ?? ''))).toBe(Code.Unauthenticated);
    expect((await auth.signOut({}, session)).endedSessions).toBe(1);
    expect(await codeOf(agents.listAgents({}, session))).toBe(Code.Unauthenticated);

    // Everything is logged and written once the server has closed.
    grpcJs.close();
    connectJson.close();
    await srv.close();

    const tokens = [srv.adminToken, signedUp.sessionToken, session, firstToken, secondToken, ...bogus];
    const secrets = [
      password,
      wrongPassword,
      ...tokens,
      ...tokens.map((t) => t.replace(/^kv[sa]?_/, '')),
      ...tokens.map(sha256Hex),
      ...Object.values(argSecrets),
      ...Object.values(argSecrets).map((s) => s.replace(/^Bearer /, '')),
    ];

    // The logs: non-empty, covering the failures too, and free of every secret.
    const procedures = lines.map((l) => (JSON.parse(l) as { procedure?: string; code?: string }));
    expect(procedures.filter((p) => p.procedure === '/kavach.v1.AuthService/SignIn').map((p) => p.code)).toEqual(['ok', 'unauthenticated']);
    expect(procedures.filter((p) => p.procedure === '/kavach.v1.AuthorizeService/Authorize').length).toBeGreaterThanOrEqual(10);
    expect(leaksIn(lines, secrets)).toEqual([]);
    expect(lines.filter((l) => TOKEN_SHAPE.test(l))).toEqual([]);

    // The audit log, as committed and as read back from the store: every kind of event, no secret.
    const stored = await storedAudit(dataDir, 'default');
    expect(stored.map((e) => e.id).sort()).toEqual(srv.committedAudit().map((e) => e.id).sort());
    const actions = new Set(stored.map((e) => e.action));
    for (const action of ['auth.sign_up', 'auth.sign_in', 'auth.sign_out', 'auth.token_rejected', 'agent.create', 'agent.rotate', 'read', 'write']) {
      expect(actions).toContain(action);
    }
    expect(stored.filter((e) => e.action === 'auth.sign_in').map((e) => e.result).sort()).toEqual(['allowed', 'denied']);
    expect(stored.filter((e) => e.action === 'auth.token_rejected').length).toBeGreaterThanOrEqual(bogus.length + 2);
    expect(leaksIn(stored, secrets)).toEqual([]);
    expect(stored.filter((e) => TOKEN_SHAPE.test(JSON.stringify(e)))).toEqual([]);

    // Secret-named arguments are stored as [REDACTED]; the others as sent.
    for (const d of [...decided, pending]) {
      const entry = stored.find((e) => e.id === d.auditId);
      expect(entry?.arguments).toEqual(redactedArgs);
    }

    // The store's files hold tokens only as hashes and passwords only as password hashes.
    const clear = [password, wrongPassword, ...tokens, ...Object.values(argSecrets)];
    for (const file of await readdir(dataDir)) {
      const bytes = (await readFile(path.join(dataDir, file))).toString('latin1');
      expect(clear.filter((s) => bytes.includes(s)).map(() => file)).toEqual([]);
    }
  });
});
