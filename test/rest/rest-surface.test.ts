/**
 * The REST surface end to end, and the OpenAPI document kept true: every registered route is
 * documented and every documented route exists; every route's success answer (and the errors
 * seen in passing) validates against the document; the served document is this one; metrics
 * are per route and status; CORS and request ids are the server's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/rest/openapi.js';
import { restRoutes } from '../../src/rest/handler.js';
import { fakeClock } from '../support/app.js';
import { aSignUpRequest } from '../support/requests.js';
import { startServer, type RunningServer } from '../support/server.js';
import { restClient, validated } from './rest-client.js';

let srv: RunningServer;
let rest: ReturnType<typeof restClient>;
/** Monday 2026-03-02 12:00 UTC, inside the time window the test writes. */
const clock = fakeClock();

beforeAll(async () => {
  srv = await startServer({ KAVACH_CORS_ORIGINS: 'https://app.example' }, clock.now);
  rest = restClient(srv.url);
});
afterAll(async () => {
  await srv.close();
});

const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, '{$1}');
const registered = (): string[] => restRoutes(srv.server.app).map((r) => `${r.method} ${toOpenApiPath(r.path)}`).sort();
const documented = (): string[] =>
  Object.entries(openApiDocument.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();

describe('the OpenAPI document', () => {
  it('documents exactly the registered routes', () => {
    expect(documented()).toEqual(registered());
    expect(registered()).toHaveLength(19);
  });

  it('is served at /api/kavach/openapi.json without a credential', async () => {
    const res = await rest('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
    expect(res.body.openapi).toBe('3.1.0');
  });
});

describe('every route, as the SDK uses it', () => {
  it('answers every route with a body the document describes', async () => {
    const admin = srv.adminToken;
    const { email, password } = aSignUpRequest();
    const up = await rest('POST', '/sign-up/email', { json: { email, password, name: 'Alice' } });
    expect(up.status).toBe(201);
    expect(up.body.session.token).toMatch(/^kvs_/);
    const inn = await rest('POST', '/sign-in/email', { json: { data: { email, password } } });
    expect(inn.status).toBe(200);
    const session = await rest('GET', '/session', { token: inn.body.session.token });
    expect(session.body).toMatchObject({ id: inn.body.session.id, token: '' });
    expect((await rest('POST', '/sign-out', { token: inn.body.session.token })).status).toBe(204);
    expect((await rest('GET', '/session', { token: inn.body.session.token })).status).toBe(401);

    // CreateAgent refuses an owner that is no user: the one who signed up above owns the agents.
    const owner = up.body.user.id as string;
    const rich = {
      resource: 'mcp:github:*',
      actions: ['read'],
      constraints: {
        maxCallsPerHour: 100,
        requireApproval: false,
        timeWindow: { start: '09:00', end: '17:00', timeZone: 'UTC', days: ['WEEKDAY_MONDAY', 'tue'] },
        ipAllowlist: ['127.0.0.1/32', '10.0.0.0/8'],
        argumentRules: [{ name: 'repo', glob: 'kavach/*' }, { name: 'env', allowedValues: { values: ['dev'] } }, { name: 'n', range: { max: 3 } }],
      },
    };
    const created = await rest('POST', '/agents', { token: admin, json: { ownerId: owner, name: 'a', type: 'autonomous', permissions: [rich], metadata: { team: 'x' } } });
    expect(created.status).toBe(201);
    const a = created.body;
    // Constraints read back as written, with Kavach's richer keys beside the SDK's.
    expect(a.permissions).toEqual([{ ...rich, constraints: { maxCallsPerHour: 100, timeWindow: { ...rich.constraints.timeWindow, days: ['mon', 'tue'] }, ipAllowlist: rich.constraints.ipAllowlist, argumentRules: rich.constraints.argumentRules } }]);
    // A read-modify-write of what was read keeps every constraint.
    const rmw = await rest('PATCH', `/agents/${a.id}`, { token: admin, json: { permissions: a.permissions } });
    expect(rmw.body.permissions).toEqual(a.permissions);
    expect(rmw.body.token).toBe('');
    const b = (await rest('POST', '/agents', { token: admin, json: { ownerId: owner, name: 'b', type: 'delegated', permissions: [] } })).body;
    expect((await rest('GET', `/agents?userId=${owner}&type=autonomous&status=active`, { token: admin })).body.map((x: { id: string }) => x.id)).toEqual([a.id]);
    expect((await rest('GET', `/agents/${a.id}`, { token: admin })).body.metadata).toEqual({ team: 'x' });
    const rotated = await rest('POST', `/agents/${a.id}/rotate`, { token: admin });
    expect(rotated.body.token).not.toBe(a.token);
    const allowed = await rest('POST', '/authorize', { token: rotated.body.token, json: { action: 'read', resource: 'mcp:github:x', arguments: { repo: 'kavach/y', env: 'dev', n: 2 } } });
    expect(allowed.body).toMatchObject({ allowed: true, reason: 'ALLOWED' });
    const refused = await rest('POST', `/agents/${a.id}/authorize`, { token: admin, json: { action: 'read', resource: 'mcp:github:x', arguments: { repo: 'other/y', env: 'dev', n: 2 } } });
    expect(refused.body).toMatchObject({ allowed: false, reason: 'ARGUMENT_REJECTED' });

    const expiresAt = new Date(clock.now().getTime() + 86_400_000).toISOString();
    const delegation = await rest('POST', '/delegations', { token: admin, json: { fromAgent: a.id, toAgent: b.id, permissions: [{ resource: 'mcp:github:repos', actions: ['read'] }], expiresAt, maxDepth: 2 } });
    expect(delegation.status).toBe(201);
    expect(delegation.body).toMatchObject({ fromAgent: a.id, toAgent: b.id, depth: 1 });
    expect((await rest('GET', `/delegations/${b.id}`, { token: admin })).body.map((d: { id: string }) => d.id)).toEqual([delegation.body.id]);
    const effective = await rest('GET', `/delegations/${b.id}/permissions`, { token: admin });
    expect(effective.body).toHaveLength(1);
    expect(effective.body[0]).toMatchObject({ resource: 'mcp:github:repos', source: 'delegated', agentChain: [a.id, b.id] });
    // The delegated permission carries the inherited constraints, readable by the SDK.
    expect(effective.body[0].constraints.argumentRules).toHaveLength(3);
    expect((await rest('DELETE', `/delegations/${delegation.body.id}`, { token: admin })).status).toBe(204);

    const page = await rest('GET', `/audit?agentId=${a.id}&actions=read&limit=1&offset=1`, { token: admin });
    expect(page.body.total).toBe(2);
    expect(page.body.entries.map((e: { result: string }) => e.result)).toEqual(['allowed']);
    expect(page.body.entries[0]).toMatchObject({ userId: owner, parameters: { repo: 'kavach/y', env: 'dev', n: 2 }, reason: 'ALLOWED' });
    const json = await rest('GET', `/audit/export?format=json&agentId=${a.id}&actions=read`, { token: admin, headers: { accept: 'text/plain, application/json' } });
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(json.text).map((e: { result: string }) => e.result)).toEqual(['allowed', 'denied']);
    // The export's entries are the page's entries, field for field (oldest first there, newest first here).
    const all = await rest('GET', `/audit?agentId=${a.id}&actions=read`, { token: admin });
    expect(JSON.parse(json.text)).toEqual([...all.body.entries].reverse());
    const csv = await rest('GET', `/audit/export?format=csv&agentId=${a.id}`, { token: admin });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.text.split('\r\n')[0]).toMatch(/^id,tenant_id,time,/);
    expect((await rest('DELETE', `/agents/${a.id}`, { token: admin })).status).toBe(204);

    // Every route's success answer was checked against the document.
    const successes = Object.entries(openApiDocument.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([m, op]) => `${m.toUpperCase()} ${path} ${Object.keys((op as { responses: object }).responses).find((s) => s !== 'default')}`),
    );
    await rest('GET', '/openapi.json');
    expect(successes.filter((s) => !validated.has(s) && !s.includes(' 204'))).toEqual([]);
  });
});

describe('shared with the RPCs: port, CORS, request ids, metrics', () => {
  it('answers a CORS preflight for PATCH, echoes request ids, and counts requests per route and status', async () => {
    const preflight = await fetch(`${srv.url}/api/kavach/agents/x`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PATCH' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
    const res = await fetch(`${srv.url}/api/kavach/agents/agt_x`, { headers: { 'x-request-id': 'req-rest-1', origin: 'https://app.example' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toBe('req-rest-1');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    expect(metrics).toMatch(/kavach_rest_requests_total\{route="\/agents\/:id",method="GET",status="401"\} [1-9]/);
    expect(metrics).toMatch(/kavach_rest_duration_seconds_count\{route="\/agents\/:id",method="GET",status="401"\} [1-9]/);
  });
});
