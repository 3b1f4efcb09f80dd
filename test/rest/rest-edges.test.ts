/**
 * The REST surface's own edges (issue 13): malformed JSON, wrong types, unknown keys and enum
 * values, oversized bodies, bad ids, every status REST.md lists, and owner and tenant isolation,
 * against the real server. Every answer is also checked against the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { unavailable } from '../../src/domain/errors.js';
import { aSignUpRequest, aSuffix } from '../support/requests.js';
import { startServer, type RunningServer } from '../support/server.js';
import { restClient, type RestAnswer } from './rest-client.js';

let srv: RunningServer;
let rest: ReturnType<typeof restClient>;
let admin: string;
const MAX_BYTES = 64 * 1024;

beforeAll(async () => {
  srv = await startServer({ KAVACH_MAX_REQUEST_BYTES: String(MAX_BYTES) });
  rest = restClient(srv.url);
  admin = srv.adminToken;
  owner = await ownerIn();
});
afterAll(async () => {
  await srv.close();
});

const permission = (resource = `mcp:svc${aSuffix()}:*`) => ({ resource, actions: ['read'] });
/** CreateAgent refuses an owner that is no user of the tenant: one is signed up per tenant. */
const owners = new Map<string, string>();
async function ownerIn(tenant = ''): Promise<string> {
  const known = owners.get(tenant);
  if (known !== undefined) return known;
  const res = await rest('POST', '/sign-up/email', { token: admin, json: aSignUpRequest(), ...(tenant === '' ? {} : { tenant }) });
  expect(res.status, res.text).toBe(201);
  owners.set(tenant, res.body.user.id);
  return res.body.user.id;
}
let owner: string;
const newAgent = (extra: Record<string, unknown> = {}) => ({ ownerId: owner, name: 'a', type: 'service', permissions: [permission()], ...extra });

async function createAgent(token = admin, body: Record<string, unknown> = newAgent(), tenant?: string): Promise<{ id: string; token: string; ownerId: string }> {
  const res = await rest('POST', '/agents', { token, json: body, tenant });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function signUp(): Promise<{ userId: string; token: string }> {
  const { email, password } = aSignUpRequest();
  const res = await rest('POST', '/sign-up/email', { json: { email, password } });
  expect(res.status, res.text).toBe(201);
  return { userId: res.body.user.id, token: res.body.session.token };
}

function expectError(res: RestAnswer, status: number, code: string, field?: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  if (field !== undefined) expect(res.body.error.details.field).toBe(field);
}

describe('bodies', () => {
  it('malformed JSON is 400 naming the body', async () => {
    expectError(await rest('POST', '/agents', { token: admin, raw: '{"name": ' }), 400, 'INVALID_ARGUMENT', 'body');
  });

  it('a body that is not JSON-typed is 415', async () => {
    const res = await rest('POST', '/agents', { token: admin, raw: 'name=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('wrong types are 400 naming the field', async () => {
    expectError(await rest('POST', '/agents', { token: admin, json: newAgent({ name: 7 }) }), 400, 'INVALID_ARGUMENT', 'name');
    expectError(await rest('POST', '/agents', { token: admin, json: newAgent({ permissions: {} }) }), 400, 'INVALID_ARGUMENT', 'permissions');
    const badLimit = newAgent({ permissions: [{ ...permission(), constraints: { maxCallsPerHour: '10' } }] });
    expectError(await rest('POST', '/agents', { token: admin, json: badLimit }), 400, 'INVALID_ARGUMENT', 'permissions[0].constraints.maxCallsPerHour');
    expectError(await rest('POST', '/agents', { token: admin, json: [1] }), 400, 'INVALID_ARGUMENT', 'body');
    expectError(await rest('POST', '/agents', { token: admin, json: newAgent({ expiresAt: 'tomorrow' }) }), 400, 'INVALID_ARGUMENT', 'expiresAt');
  });

  it('unknown keys are 400 naming them, at every depth', async () => {
    expectError(await rest('POST', '/agents', { token: admin, json: newAgent({ colour: 'red' }) }), 400, 'INVALID_ARGUMENT', 'colour');
    const misspelt = newAgent({ permissions: [{ ...permission(), constraints: { maxCallsPerHr: 5 } }] });
    expectError(await rest('POST', '/agents', { token: admin, json: misspelt }), 400, 'INVALID_ARGUMENT', 'permissions[0].constraints.maxCallsPerHr');
    const inWindow = newAgent({ permissions: [{ ...permission(), constraints: { timeWindow: { start: '09:00', end: '17:00', zone: 'UTC' } } }] });
    expectError(await rest('POST', '/agents', { token: admin, json: inWindow }), 400, 'INVALID_ARGUMENT', 'permissions[0].constraints.timeWindow.zone');
  });

  it('unknown enum values are 400 naming them, in bodies and queries', async () => {
    expectError(await rest('POST', '/agents', { token: admin, json: newAgent({ type: 'robot' }) }), 400, 'INVALID_ARGUMENT', 'type');
    expectError(await rest('GET', '/agents?status=sleeping', { token: admin }), 400, 'INVALID_ARGUMENT', 'status');
    expectError(await rest('GET', '/audit?result=maybe', { token: admin }), 400, 'INVALID_ARGUMENT', 'result');
    expectError(await rest('GET', '/audit/export?format=xml', { token: admin }), 400, 'INVALID_ARGUMENT', 'format');
    const badDay = newAgent({ permissions: [{ ...permission(), constraints: { timeWindow: { start: '09:00', end: '17:00', days: ['funday'] } } }] });
    expectError(await rest('POST', '/agents', { token: admin, json: badDay }), 400, 'INVALID_ARGUMENT', 'permissions[0].constraints.timeWindow.days[0]');
  });

  it('unknown and repeated query parameters are 400 naming them', async () => {
    expectError(await rest('GET', '/agents?owner=x', { token: admin }), 400, 'INVALID_ARGUMENT', 'owner');
    expectError(await rest('GET', '/audit?limit=1&limit=2', { token: admin }), 400, 'INVALID_ARGUMENT', 'limit');
    expectError(await rest('GET', '/audit?limit=ten', { token: admin }), 400, 'INVALID_ARGUMENT', 'limit');
    expectError(await rest('GET', '/audit?since=yesterday', { token: admin }), 400, 'INVALID_ARGUMENT', 'since');
  });

  it('null means absent', async () => {
    const agent = await createAgent(admin, newAgent({ expiresAt: null, metadata: null, permissions: [{ ...permission(), constraints: { maxCallsPerHour: null, timeWindow: null, requireApproval: null } }] }));
    const read = await rest('GET', `/agents/${agent.id}`, { token: admin });
    expect(read.body.expiresAt).toBeNull();
    expect(read.body.permissions[0].constraints).toBeUndefined();
    // One bound of a time window null is a missing bound, named.
    const half = newAgent({ permissions: [{ ...permission(), constraints: { timeWindow: { start: '09:00', end: null } } }] });
    expectError(await rest('POST', '/agents', { token: admin, json: half }), 400, 'INVALID_ARGUMENT', 'permissions[0].constraints.timeWindow.end');
  });

  it('allowedArgPatterns are stored, read back and enforced; a bad glob is 400 naming it', async () => {
    const body = newAgent({ permissions: [{ resource: 'mcp:fs:*', actions: ['read'], constraints: { allowedArgPatterns: ['*.md', 'docs/**'] } }] });
    const agent = await createAgent(admin, body);
    const read = await rest('GET', `/agents/${agent.id}`, { token: admin });
    expect(read.body.permissions[0].constraints).toEqual({ allowedArgPatterns: ['*.md', 'docs/**'] });
    const ok = await rest('POST', `/agents/${agent.id}/authorize`, { token: admin, json: { action: 'read', resource: 'mcp:fs:x', arguments: { path: 'docs/a/b', n: 3 } } });
    expect(ok.body).toMatchObject({ allowed: true });
    const no = await rest('POST', `/agents/${agent.id}/authorize`, { token: admin, json: { action: 'read', resource: 'mcp:fs:x', arguments: { path: '/etc/passwd' } } });
    expect(no.body).toMatchObject({ allowed: false, reason: 'ARGUMENT_REJECTED' });
    const bad = newAgent({ permissions: [{ ...permission(), constraints: { allowedArgPatterns: ['ok', ''] } }] });
    expectError(await rest('POST', '/agents', { token: admin, json: bad }), 400, 'INVALID_ARGUMENT', 'permissions[0].constraints.allowed_arg_patterns[1]');
    const notList = newAgent({ permissions: [{ ...permission(), constraints: { allowedArgPatterns: '*.md' } }] });
    expectError(await rest('POST', '/agents', { token: admin, json: notList }), 400, 'INVALID_ARGUMENT', 'permissions[0].constraints.allowedArgPatterns');
  });

  it('a body over KAVACH_MAX_REQUEST_BYTES is 413, by declared length and when streamed without one', async () => {
    const big = JSON.stringify(newAgent({ name: 'x'.repeat(MAX_BYTES + 10) }));
    expectError(await rest('POST', '/agents', { token: admin, raw: big }), 413, 'RESOURCE_EXHAUSTED');
    let sent = 0;
    const chunk = new Uint8Array(16 * 1024).fill(32);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Far more than the limit: the server must stop reading, not buffer it all.
        if (sent >= 64 * MAX_BYTES) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await rest('POST', '/agents', { token: admin, raw: stream });
    expectError(res, 413, 'RESOURCE_EXHAUSTED');
    expect(sent).toBeLessThan(64 * MAX_BYTES);
  });

  it('an empty body is accepted where the SDK sends none (rotate, sign-out) and refused where one is needed', async () => {
    const agent = await createAgent();
    const rotated = await rest('POST', `/agents/${agent.id}/rotate`, { token: admin });
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).toMatch(/^kv_/);
    expectError(await rest('POST', '/agents', { token: admin }), 400, 'INVALID_ARGUMENT', 'body');
    expectError(await rest('PATCH', `/agents/${agent.id}`, { token: admin, json: {} }), 400, 'INVALID_ARGUMENT', 'body');
  });
});

describe('ids and routes', () => {
  it('a malformed id is 400, an unknown one 404', async () => {
    expectError(await rest('GET', '/agents/has%20space', { token: admin }), 400, 'INVALID_ARGUMENT', 'agent_id');
    expectError(await rest('GET', `/agents/${'a'.repeat(300)}`, { token: admin }), 400, 'INVALID_ARGUMENT', 'agent_id');
    expectError(await rest('GET', '/agents/agt_nope', { token: admin }), 404, 'NOT_FOUND');
    expectError(await rest('DELETE', '/agents/agt_nope', { token: admin }), 404, 'NOT_FOUND');
    expectError(await rest('DELETE', '/delegations/dlg_nope', { token: admin }), 404, 'NOT_FOUND');
    expectError(await rest('GET', '/agents/%E0%A4%A', { token: admin }), 404, 'NOT_FOUND');
  });

  it('an unknown route is 404 and a known path with another method 405', async () => {
    expectError(await rest('GET', '/nothing-here', { token: admin }), 404, 'NOT_FOUND');
    expectError(await rest('PUT', '/agents', { token: admin, json: {} }), 405, 'METHOD_NOT_ALLOWED');
  });
});

describe('every status REST.md lists', () => {
  it('200, 201 and 204', async () => {
    const agent = await createAgent();
    expect((await rest('GET', `/agents/${agent.id}`, { token: admin })).status).toBe(200);
    const revoked = await rest('DELETE', `/agents/${agent.id}`, { token: admin });
    expect(revoked.status).toBe(204);
    expect(revoked.text).toBe('');
  });

  it('a denial is 200 with allowed false and the reason code', async () => {
    const agent = await createAgent();
    const res = await rest('POST', `/agents/${agent.id}/authorize`, { token: admin, json: { action: 'write', resource: 'mcp:other:x' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ allowed: false, reason: 'NO_MATCHING_PERMISSION' });
    expect(res.body.auditId).toMatch(/^aud_/);
  });

  it('401 without or with a bad credential', async () => {
    expectError(await rest('GET', '/agents'), 401, 'UNAUTHENTICATED');
    expectError(await rest('GET', '/agents', { token: 'kv_bogus' }), 401, 'UNAUTHENTICATED');
    expectError(await rest('GET', '/session', { token: 'kvs_bogus' }), 401, 'UNAUTHENTICATED');
  });

  it('403 when a user acts for another owner', async () => {
    const user = await signUp();
    expectError(await rest('POST', '/agents', { token: user.token, json: newAgent({ ownerId: 'someone-else' }) }), 403, 'PERMISSION_DENIED');
  });

  it('409 for an existing email (AlreadyExists) and for the admin signing out (FailedPrecondition)', async () => {
    const { email, password } = aSignUpRequest();
    expect((await rest('POST', '/sign-up/email', { json: { email, password } })).status).toBe(201);
    expectError(await rest('POST', '/sign-up/email', { json: { email, password } }), 409, 'ALREADY_EXISTS');
    expectError(await rest('POST', '/sign-out', { token: admin }), 409, 'FAILED_PRECONDITION');
  });

  it('429 with an integer Retry-After when sign-in is throttled', async () => {
    const { email, password } = aSignUpRequest();
    await rest('POST', '/sign-up/email', { json: { email, password } });
    let last: RestAnswer | undefined;
    for (let i = 0; i < 10; i += 1) {
      last = await rest('POST', '/sign-in/email', { json: { email, password: 'wrong-password-123' } });
      if (last.status === 429) break;
      expectError(last, 401, 'UNAUTHENTICATED');
    }
    expectError(last as RestAnswer, 429, 'RESOURCE_EXHAUSTED');
    expect(last?.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
  });

  it('503 when the store is unavailable, and 500 for a bug, whose cause is never sent', async () => {
    const agent = await createAgent();
    const spy = vi.spyOn(srv.server.app.agents, 'get').mockRejectedValueOnce(unavailable('store down', new Error('ECONNREFUSED 10.0.0.9')));
    expectError(await rest('GET', `/agents/${agent.id}`, { token: admin }), 503, 'UNAVAILABLE');
    spy.mockRejectedValueOnce(new Error('secret internals'));
    const bug = await rest('GET', `/agents/${agent.id}`, { token: admin });
    expectError(bug, 500, 'INTERNAL');
    expect(bug.text).not.toContain('secret internals');
    expect(bug.body.error.message).toContain(bug.headers.get('x-request-id') ?? 'missing request id');
    spy.mockRestore();
  });

  it('offset beyond 10,000 is 400', async () => {
    expectError(await rest('GET', '/audit?offset=10001', { token: admin }), 400, 'INVALID_ARGUMENT', 'offset');
    expect((await rest('GET', '/audit?offset=10000', { token: admin })).status).toBe(200);
  });
});

describe('isolation through REST', () => {
  it("a user sees and manages only their own agents and their own audit", async () => {
    const alice = await signUp();
    const bob = await signUp();
    const hers = await createAgent(alice.token, newAgent({ ownerId: alice.userId }));
    await rest('POST', `/agents/${hers.id}/authorize`, { token: alice.token, json: { action: 'read', resource: 'mcp:x:y' } });
    expect((await rest('GET', '/agents', { token: bob.token })).body).toEqual([]);
    expect((await rest('GET', `/agents?userId=${alice.userId}`, { token: bob.token })).body).toEqual([]);
    expectError(await rest('GET', `/agents/${hers.id}`, { token: bob.token }), 404, 'NOT_FOUND');
    expect((await rest('DELETE', `/agents/${hers.id}`, { token: bob.token })).status).toBeGreaterThanOrEqual(403);
    expect((await rest('POST', `/agents/${hers.id}/rotate`, { token: bob.token })).status).toBeGreaterThanOrEqual(403);
    const bobsAudit = await rest('GET', `/audit?agentId=${hers.id}`, { token: bob.token });
    expect(bobsAudit.body).toEqual({ entries: [], total: 0 });
    const exported = await rest('GET', `/audit/export?format=json&agentId=${hers.id}`, { token: bob.token });
    expect(JSON.parse(exported.text)).toEqual([]);
    // Alice still has it, untouched.
    const mine = await rest('GET', '/agents', { token: alice.token });
    expect(mine.body.map((a: { id: string; status: string }) => [a.id, a.status])).toEqual([[hers.id, 'active']]);
    expect((await rest('GET', `/audit?agentId=${hers.id}&actions=read`, { token: alice.token })).body.total).toBe(1);
  });

  it('an agent created in one tenant does not exist in another', async () => {
    const tenant = `t${aSuffix()}`;
    const theirs = await createAgent(admin, newAgent({ ownerId: await ownerIn(tenant) }), tenant);
    expect((await rest('GET', `/agents/${theirs.id}`, { token: admin, tenant })).status).toBe(200);
    expectError(await rest('GET', `/agents/${theirs.id}`, { token: admin }), 404, 'NOT_FOUND');
    const listed = await rest('GET', '/agents', { token: admin });
    expect(listed.body.map((a: { id: string }) => a.id)).not.toContain(theirs.id);
    // The agent's own token names its tenant; it cannot act on the default tenant's agents.
    const local = await createAgent();
    const across = await rest('POST', `/agents/${local.id}/authorize`, { token: theirs.token, json: { action: 'read', resource: 'mcp:x:y' } });
    expect(across.status).toBe(200);
    expect(across.body).toMatchObject({ allowed: false, reason: 'AGENT_NOT_FOUND' });
  });
});

describe('prototype keys', () => {
  it('a __proto__ key in metadata is kept as a key, and one in arguments is refused by name', async () => {
    const raw = `{"ownerId":"${owner}","name":"p","type":"service","permissions":[],"metadata":{"__proto__":"x","team":"a"}}`;
    const res = await rest('POST', '/agents', { token: admin, raw });
    expect(res.status, res.text).toBe(201);
    expect(Object.entries(res.body.metadata)).toEqual([['__proto__', 'x'], ['team', 'a']]);
    const agent = res.body as { id: string };
    const bad = await rest('POST', `/agents/${agent.id}/authorize`, { token: admin, raw: '{"action":"read","resource":"mcp:x:y","arguments":{"__proto__":{"a":1}}}' });
    expectError(bad, 400, 'INVALID_ARGUMENT', 'arguments.__proto__');
    const top = await rest('POST', '/agents', { token: admin, raw: '{"__proto__":{"name":"x"}}' });
    expectError(top, 400, 'INVALID_ARGUMENT', '__proto__');
  });
});
