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
