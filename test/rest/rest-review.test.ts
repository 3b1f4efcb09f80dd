/**
 * REST edges found in review: input that was silently accepted or answered 500, and errors that
 * named a field the REST client never sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aSignUpRequest, aSuffix } from '../support/requests.js';
import { startServer, type RunningServer } from '../support/server.js';
import { restClient, type RestAnswer } from './rest-client.js';

let srv: RunningServer;
let rest: ReturnType<typeof restClient>;
let admin: string;

beforeAll(async () => {
  srv = await startServer({ KAVACH_MAX_REQUEST_BYTES: String(1024 * 1024) });
  rest = restClient(srv.url);
  admin = srv.adminToken;
});
afterAll(async () => {
  await srv.close();
});

async function anOwner(): Promise<string> {
  const res = await rest('POST', '/sign-up/email', { json: aSignUpRequest() });
  expect(res.status, res.text).toBe(201);
  return res.body.user.id;
}

const newAgent = async (extra: Record<string, unknown> = {}) => ({
  ownerId: await anOwner(),
  name: 'a',
  type: 'service',
  permissions: [{ resource: `mcp:svc${aSuffix()}:*`, actions: ['read'] }],
  ...extra,
});

function expectError(res: RestAnswer, status: number, code: string, field?: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.body.error.code).toBe(code);
  if (field !== undefined) expect(res.body.error.details.field).toBe(field);
}

describe('deeply nested arguments', () => {
  it('are 400 naming arguments, not a 500 from a blown stack', async () => {
    const created = await rest('POST', '/agents', { token: admin, json: await newAgent() });
    expect(created.status, created.text).toBe(201);
    const depth = 100_000;
    const raw = `{"action":"read","resource":"mcp:x:y","arguments":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    const res = await rest('POST', `/agents/${created.body.id}/authorize`, { token: admin, raw });
    expectError(res, 400, 'INVALID_ARGUMENT', 'arguments');
  });
});

describe('times', () => {
  it('an impossible calendar date is 400 naming the field, not silently the next month', async () => {
    const feb30 = await rest('POST', '/agents', { token: admin, json: await newAgent({ expiresAt: '2030-02-30T00:00:00Z' }) });
    expectError(feb30, 400, 'INVALID_ARGUMENT', 'expiresAt');
    const hour25 = await rest('POST', '/agents', { token: admin, json: await newAgent({ expiresAt: '2030-01-01T25:00:00Z' }) });
    expectError(hour25, 400, 'INVALID_ARGUMENT', 'expiresAt');
    expectError(await rest('GET', '/audit?since=2026-04-31', { token: admin }), 400, 'INVALID_ARGUMENT', 'since');
    // Real dates, including a leap day, still pass.
    expect((await rest('GET', '/audit?since=2028-02-29&until=2028-03-01T00:00:00%2B01:00', { token: admin })).status).toBe(200);
  });
});

describe('query parameters on POST and PATCH', () => {
  it('are refused by name, not silently ignored', async () => {
    const body = await newAgent();
    expectError(await rest('POST', '/agents?dryRun=true', { token: admin, json: body }), 400, 'INVALID_ARGUMENT', 'dryRun');
    const created = await rest('POST', '/agents', { token: admin, json: body });
    expect(created.status, created.text).toBe(201);
    expectError(await rest('PATCH', `/agents/${created.body.id}?force=1`, { token: admin, json: { name: 'b' } }), 400, 'INVALID_ARGUMENT', 'force');
    expectError(await rest('POST', `/agents/${created.body.id}/rotate?reason=x`, { token: admin }), 400, 'INVALID_ARGUMENT', 'reason');
    expect((await rest('GET', `/agents/${created.body.id}`, { token: admin })).body.name).toBe('a');
  });
});

describe('malformed JSON', () => {
  it('is 400 naming the body, without quoting the text back (it may be a password)', async () => {
    const secret = `hunter2-${aSuffix()}`;
    for (const raw of [secret, `{"email":"a@example.com","password":"${secret}" x}`, `{"password":"${secret}`]) {
      const res = await rest('POST', '/sign-in/email', { raw });
      expectError(res, 400, 'INVALID_ARGUMENT', 'body');
      expect(res.text).not.toContain('hunter2');
    }
  });
});

describe('POST /delegations maxDepth', () => {
  it('0 or a negative depth is 400 naming maxDepth, not silently the default', async () => {
    const from = await rest('POST', '/agents', { token: admin, json: await newAgent() });
    const to = await rest('POST', '/agents', { token: admin, json: await newAgent({ ownerId: from.body.ownerId }) });
    const body = (maxDepth: number) => ({ fromAgent: from.body.id, toAgent: to.body.id, permissions: from.body.permissions, maxDepth });
    expectError(await rest('POST', '/delegations', { token: admin, json: body(0) }), 400, 'INVALID_ARGUMENT', 'maxDepth');
    expectError(await rest('POST', '/delegations', { token: admin, json: body(-1) }), 400, 'INVALID_ARGUMENT', 'maxDepth');
    const ok = await rest('POST', '/delegations', { token: admin, json: body(2) });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.maxDepth).toBe(2);
  });
});

describe('audit filters', () => {
  it('errors name the query parameter the client sent, not the RPC field', async () => {
    for (const path of ['/audit', '/audit/export']) {
      expectError(await rest('GET', `${path}?agentId=has%20space`, { token: admin }), 400, 'INVALID_ARGUMENT', 'agentId');
      expectError(await rest('GET', `${path}?userId=${'u'.repeat(300)}`, { token: admin }), 400, 'INVALID_ARGUMENT', 'userId');
      const empty = await rest('GET', `${path}?actions=read,,write`, { token: admin });
      expectError(empty, 400, 'INVALID_ARGUMENT', 'actions');
      expect(empty.body.error.message).toMatch(/^actions: /);
    }
  });
});
