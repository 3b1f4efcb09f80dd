/**
 * REST.md: a read-modify-write through the SDK never drops a constraint. The SDK's types carry no
 * `timeZone`, `days` or `argumentRules`, so the permissions it writes back leave them out: left out,
 * they keep their stored values on the same permission; sent, they are set (and cleared by `[]`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aSignUpRequest } from '../support/requests.js';
import { startServer, type RunningServer } from '../support/server.js';
import { restClient } from './rest-client.js';

let srv: RunningServer;
let rest: ReturnType<typeof restClient>;
let owner: string;
beforeAll(async () => {
  srv = await startServer();
  rest = restClient(srv.url);
  owner = (await rest('POST', '/sign-up/email', { json: aSignUpRequest() })).body.user.id;
});
afterAll(async () => {
  await srv.close();
});

const window = { start: '09:00', end: '17:00', timeZone: 'Asia/Kolkata', days: ['mon', 'tue'] };
const rules = [{ name: 'repo', glob: 'kavach/*' }];
const rich = { resource: 'mcp:x:*', actions: ['read', 'write'], constraints: { maxCallsPerHour: 50, timeWindow: window, argumentRules: rules } };

async function anAgentWith(permissions: unknown[]): Promise<string> {
  const created = await rest('POST', '/agents', { token: srv.adminToken, json: { ownerId: owner, name: 'rmw', type: 'service', permissions } });
  expect(created.status, created.text).toBe(201);
  return created.body.id as string;
}

const patch = (id: string, permissions: unknown[]) => rest('PATCH', `/agents/${id}`, { token: srv.adminToken, json: { permissions } });

describe('a read-modify-write in the SDK shape', () => {
  it('keeps the time zone, days and argument rules it cannot express', async () => {
    const id = await anAgentWith([rich]);
    // What the SDK sends back: its own keys only, with the rate limit changed.
    const sdkShape = { resource: 'mcp:x:*', actions: ['write', 'read'], constraints: { maxCallsPerHour: 10, timeWindow: { start: '09:00', end: '17:00' }, requireApproval: false } };
    const res = await patch(id, [sdkShape]);
    expect(res.status, res.text).toBe(200);
    expect(res.body.permissions[0].constraints).toEqual({ maxCallsPerHour: 10, timeWindow: window, argumentRules: rules });
  });

  it('sets them when they are sent: [] clears the days and the rules, a zone replaces the zone', async () => {
    const id = await anAgentWith([rich]);
    const res = await patch(id, [{ ...rich, constraints: { timeWindow: { start: '09:00', end: '17:00', timeZone: 'UTC', days: [] }, argumentRules: [] } }]);
    expect(res.status, res.text).toBe(200);
    expect(res.body.permissions[0].constraints).toEqual({ timeWindow: { start: '09:00', end: '17:00', timeZone: 'UTC', days: [] } });
  });

  it('keeps nothing for a permission that is new or no longer has a window', async () => {
    const id = await anAgentWith([rich]);
    const res = await patch(id, [
      { resource: 'mcp:x:*', actions: ['read', 'write'], constraints: { argumentRules: [] } },
      { resource: 'mcp:y:*', actions: ['read'], constraints: { timeWindow: { start: '01:00', end: '02:00' } } },
    ]);
    expect(res.status, res.text).toBe(200);
    expect(res.body.permissions.map((p: { constraints?: unknown }) => p.constraints)).toEqual([
      undefined,
      { timeWindow: { start: '01:00', end: '02:00', timeZone: 'UTC', days: [] } },
    ]);
  });
});
