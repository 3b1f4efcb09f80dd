/**
 * Strict edges (issue 11, items 1, 2 and 3; the limits of item 9 are in strict-limits.test.ts), against the real
 * server over hand-built requests on every protocol: no client mistake is stored as something
 * else, and none is answered `Internal`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { Database } from '../../src/store/embedded/driver.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateAgentRequestSchema, ListAgentsRequestSchema, UpdateAgentRequestSchema } from '../../gen/kavach/v1/agent_service_pb.js';
import { ExportAuditRequestSchema, QueryAuditRequestSchema } from '../../gen/kavach/v1/audit_service_pb.js';
import { CreateDelegationRequestSchema } from '../../gen/kavach/v1/delegation_service_pb.js';
import { AgentType, PermissionSchema, type AgentStatus, type Weekday } from '../../gen/kavach/v1/types_pb.js';
import { frame, rawClient, type RawClient, type WireProtocol } from '../support/raw-rpc.js';
import { aSuffix } from '../support/requests.js';
import { startServer, type RunningServer } from '../support/server.js';

const MAX_REQUEST_BYTES = 64 * 1024;
const YEAR_10000 = 253_402_300_800n;

let srv: RunningServer;
let wire: RawClient;
let dataDir: string;
let ownerId: string;
const logLines: string[] = [];

const admin = () => ({ authorization: `Bearer ${srv.adminToken}` });
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const binary = <S extends DescMessage>(schema: S, init: MessageInitShape<S>) => toBinary(schema, create(schema, init));
/** Frames a body for the enveloped protocols, leaves it as is for Connect unary. */
const body = (protocol: WireProtocol, data: Uint8Array) => (protocol.startsWith('connect-') && !protocol.startsWith('connect-stream') ? data : frame(data));
/** Appends field 99 (varint 1), which no Kavach message defines. */
const withUnknownField = (data: Uint8Array) => new Uint8Array([...data, 0x98, 0x06, 0x01]);

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter((l) => l !== ''));
      done();
    },
  });
  dataDir = await mkdtemp(path.join(tmpdir(), 'kavach-strict-'));
  srv = await startServer({ KAVACH_MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES) }, undefined, { logger: pino({ level: 'info' }, sink), dataDir });
  wire = rawClient(srv.url);
  const res = await fetch(`${srv.url}/kavach.v1.AuthService/SignUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `strict-${aSuffix()}@example.com`, password: `Kv-${aSuffix()}-${aSuffix()}-horse`, name: 'Strict' }),
  });
  expect(res.status).toBe(200);
  ownerId = ((await res.json()) as { user: { id: string } }).user.id;
});
afterAll(async () => {
  wire.close();
  await srv.close();
  await rm(dataDir, { recursive: true, force: true });
});

const createAgentJson = (permission: unknown) => ({ ownerId, name: `strict-${aSuffix()}`, type: 'AGENT_TYPE_AUTONOMOUS', permissions: [permission] });
const CREATE = '/kavach.v1.AgentService/CreateAgent';
const LIST = '/kavach.v1.AgentService/ListAgents';

describe('item 1: unknown JSON field names and enum values are InvalidArgument naming them', () => {
  const cases: [string, unknown, RegExp][] = [
    ['a misspelt ipAllowlist', { resource: 'mcp:git:*', actions: ['read'], constraints: { ipAllowList: ['10.0.0.0/8'] } }, /^permissions\[0\]\.constraints: unknown field "ipAllowList"/],
    ['constraint for constraints', { resource: 'mcp:git:*', actions: ['read'], constraint: { maxCallsPerHour: 5 } }, /^permissions\[0\]: unknown field "constraint"/],
    [
      'an unknown weekday',
      { resource: 'mcp:git:*', actions: ['read'], constraints: { timeWindow: { start: '09:00', end: '17:00', days: ['funday'], timeZone: 'UTC' } } },
      /^permissions\[0\]\.constraints\.time_window\.days\[0\]: "funday" is not a value of kavach\.v1\.Weekday/,
    ],
  ];
  for (const protocol of ['connect-json', 'grpc-web-json', 'grpc-json'] as const) {
    for (const [name, permission, named] of cases) {
      it(`${name} over ${protocol}`, async () => {
        const answer = await wire.call(CREATE, protocol, body(protocol, json(createAgentJson(permission))), admin());
        expect(answer.code).toBe('invalid_argument');
        expect(answer.message).toMatch(named);
      });
    }
    it(`an unknown status in ListAgents over ${protocol}`, async () => {
      const answer = await wire.call(LIST, protocol, body(protocol, json({ status: 'AGENT_STATUS_SLEEPING' })), admin());
      expect(answer.code).toBe('invalid_argument');
      expect(answer.message).toMatch(/^status: "AGENT_STATUS_SLEEPING" is not a value of kavach\.v1\.AgentStatus/);
    });
  }

  it('an unknown field in a server-streaming request over Connect streaming JSON', async () => {
    const answer = await wire.call('/kavach.v1.AuditService/ExportAudit', 'connect-stream-json', frame(json({ formatt: 'EXPORT_FORMAT_CSV' })), admin());
    expect(answer.code).toBe('invalid_argument');
    expect(answer.message).toMatch(/^kavach\.v1\.ExportAuditRequest: unknown field "formatt"/);
  });

  for (const protocol of ['connect-proto', 'grpc', 'grpc-web'] as const) {
    it(`an unknown binary field is refused naming its number over ${protocol}`, async () => {
      const data = withUnknownField(binary(CreateAgentRequestSchema, { ownerId, name: `s-${aSuffix()}`, type: AgentType.AUTONOMOUS }));
      const answer = await wire.call(CREATE, protocol, body(protocol, data), admin());
      expect(answer.code).toBe('invalid_argument');
      expect(answer.message).toMatch(/unknown field number 99/);
    });
    it(`an unknown binary field deep down is refused with its path over ${protocol}`, async () => {
      const permission = binary(PermissionSchema, { resource: 'mcp:git:*', actions: ['read'], constraints: { requireApproval: true } });
      // CreateAgentRequest.permissions (field 4) holding a Permission with field 99 appended.
      const inner = withUnknownField(permission);
      const data = new Uint8Array([...binary(CreateAgentRequestSchema, { ownerId, name: `s-${aSuffix()}`, type: AgentType.AUTONOMOUS }), 0x22, inner.byteLength, ...inner]);
      const answer = await wire.call(CREATE, protocol, body(protocol, data), admin());
      expect(answer.code).toBe('invalid_argument');
      expect(answer.message).toMatch(/^permissions\[0\]: unknown field number 99/);
    });
    it(`an unknown enum number is refused naming the field over ${protocol}`, async () => {
      const answer = await wire.call(LIST, protocol, body(protocol, binary(ListAgentsRequestSchema, { status: 42 as AgentStatus })), admin());
      expect(answer.code).toBe('invalid_argument');
      expect(answer.message).toMatch(/^status: 42 is not a value of kavach\.v1\.AgentStatus/);
    });
    it(`an unknown enum number in a repeated field deep down is refused with its path over ${protocol}`, async () => {
      const data = binary(CreateAgentRequestSchema, {
        ownerId,
        name: `s-${aSuffix()}`,
        type: AgentType.AUTONOMOUS,
        permissions: [{ resource: 'mcp:git:*', actions: ['read'], constraints: { timeWindow: { start: '09:00', end: '17:00', days: [1, 9 as Weekday], timeZone: 'UTC' } } }],
      });
      const answer = await wire.call(CREATE, protocol, body(protocol, data), admin());
      expect(answer.code).toBe('invalid_argument');
      expect(answer.message).toContain('permissions[0].constraints.time_window.days[1]: 9 is not a value of kavach.v1.Weekday');
    });
  }
});

describe('item 2: timestamps are range-checked at the edge and legacy values read back clamped', () => {
  const badTimes: [string, { seconds: bigint; nanos?: number }, RegExp][] = [
    ['year 10000', { seconds: YEAR_10000 }, /expires_at: seconds 253402300800 is outside/],
    ['before year 1', { seconds: -62_135_596_801n }, /expires_at: seconds -62135596801 is outside/],
    ['nanos of a billion', { seconds: 2_000_000_000n, nanos: 1_000_000_000 }, /expires_at: nanos 1000000000 is outside/],
    ['negative nanos', { seconds: 2_000_000_000n, nanos: -1 }, /expires_at: nanos -1 is outside/],
  ];
  for (const protocol of ['connect-proto', 'grpc', 'grpc-web'] as const) {
    for (const [name, expiresAt, named] of badTimes) {
      it(`CreateAgent with expires_at ${name} over ${protocol}`, async () => {
        const data = binary(CreateAgentRequestSchema, { ownerId, name: `t-${aSuffix()}`, type: AgentType.AUTONOMOUS, expiresAt });
        const answer = await wire.call(CREATE, protocol, body(protocol, data), admin());
        expect(answer.code).toBe('invalid_argument');
        expect(answer.message).toMatch(named);
      });
    }
  }

  it('UpdateAgent, CreateDelegation, QueryAudit and ExportAudit time fields too', async () => {
    const agent = await wire.call(CREATE, 'connect-json', json(createAgentJson({ resource: 'mcp:git:*', actions: ['read'] })), admin());
    expect(agent.code).toBe('ok');
    const far = { seconds: YEAR_10000 };
    const update = await wire.call(
      '/kavach.v1.AgentService/UpdateAgent',
      'grpc',
      frame(binary(UpdateAgentRequestSchema, { agentId: 'agt_x', expiresAt: far })),
      admin(),
    );
    expect(update.code).toBe('invalid_argument');
    expect(update.message).toMatch(/^expires_at: seconds 253402300800 is outside/);
    const delegation = await wire.call(
      '/kavach.v1.DelegationService/CreateDelegation',
      'grpc',
      frame(binary(CreateDelegationRequestSchema, { fromAgentId: 'agt_x', toAgentId: 'agt_y', expiresAt: far })),
      admin(),
    );
    expect(delegation.code).toBe('invalid_argument');
    expect(delegation.message).toMatch(/^expires_at: seconds 253402300800 is outside/);
    const query = await wire.call('/kavach.v1.AuditService/QueryAudit', 'grpc-web', frame(binary(QueryAuditRequestSchema, { filter: { since: { seconds: 1n, nanos: -5 } } })), admin());
    expect(query.code).toBe('invalid_argument');
    expect(query.message).toMatch(/^filter\.since: nanos -5 is outside/);
    const exported = await wire.call('/kavach.v1.AuditService/ExportAudit', 'grpc', frame(binary(ExportAuditRequestSchema, { filter: { until: far } })), admin());
    expect(exported.code).toBe('invalid_argument');
    expect(exported.message).toMatch(/^filter\.until: seconds 253402300800 is outside/);
  });

  it('an out-of-range expiry already in the store reads back over JSON as 9999-12-31T23:59:59Z, never a 500', async () => {
    const name = `legacy-${aSuffix()}`;
    const created = await fetch(`${srv.url}${CREATE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin() },
      body: JSON.stringify(createAgentJson({ resource: 'mcp:git:*', actions: ['read'] })),
    });
    expect(created.status).toBe(200);
    const { agent } = (await created.json()) as { agent: { id: string } };
    // What an older server let through: year 10000 (and year -1) written straight into the file.
    const db = new Database(path.join(dataDir, 'kavach.db'));
    try {
      db.prepare('UPDATE agents SET expires_at = ?, name = ? WHERE id = ?').run(Number(YEAR_10000) * 1000 + 5000, name, agent.id);
    } finally {
      db.close();
    }
    const got = await fetch(`${srv.url}/kavach.v1.AgentService/GetAgent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin() },
      body: JSON.stringify({ agentId: agent.id }),
    });
    expect(got.status).toBe(200);
    expect(((await got.json()) as { agent: { expiresAt: string } }).agent.expiresAt).toBe('9999-12-31T23:59:59.999999999Z');
    const list = await fetch(`${srv.url}${LIST}`, { method: 'POST', headers: { 'content-type': 'application/json', ...admin() }, body: JSON.stringify({ ownerId }) });
    expect(list.status).toBe(200);
    const listed = ((await list.json()) as { agents: { id: string; expiresAt?: string }[] }).agents.find((a) => a.id === agent.id);
    expect(listed?.expiresAt).toBe('9999-12-31T23:59:59.999999999Z');
  });
});

describe('item 3: malformed binary protobuf is InvalidArgument on unary and streaming RPCs, logged and counted', () => {
  const valid = () => binary(ListAgentsRequestSchema, { ownerId: 'usr_x' });
  const malformed: [string, () => Uint8Array][] = [
    ['truncated', () => valid().subarray(0, 4)],
    ['a wrong wire type', () => new Uint8Array([0x0d, 0x01, 0x02, 0x03, 0x04])], // owner_id (a string) as fixed32
    ['invalid UTF-8 in a string', () => new Uint8Array([0x0a, 0x02, 0xc3, 0x28])],
    ['a varint that never ends', () => new Uint8Array([0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
  ];
  for (const protocol of ['connect-proto', 'grpc', 'grpc-web'] as const) {
    for (const [name, bytes] of malformed) {
      it(`${name} on unary ListAgents over ${protocol}`, async () => {
        const answer = await wire.call(LIST, protocol, body(protocol, bytes()), admin());
        expect(answer.code).toBe('invalid_argument');
        expect(answer.message).toMatch(/not a valid binary kavach\.v1\.ListAgentsRequest/);
      });
    }
  }
  for (const protocol of ['connect-stream-proto', 'grpc', 'grpc-web'] as const) {
    it(`truncated on server-streaming ExportAudit over ${protocol}`, async () => {
      const answer = await wire.call('/kavach.v1.AuditService/ExportAudit', protocol, frame(new Uint8Array([0x08, 0x01, 0x12, 0x09, 0x0a])), admin());
      expect(answer.code).toBe('invalid_argument');
      expect(answer.message).toMatch(/not a valid binary kavach\.v1\.ExportAuditRequest/);
    });
  }

  for (const protocol of ['grpc', 'grpc-web'] as const) {
    it(`a message flagged compressed with no grpc-encoding is InvalidArgument over ${protocol}`, async () => {
      const framed = frame(binary(ListAgentsRequestSchema, {}), 0x01);
      const answer = await wire.call(LIST, protocol, framed, admin());
      expect(answer.code).toBe('invalid_argument');
      expect(answer.message).toMatch(/flagged compressed but the request names no grpc-encoding/);
    });
  }

  // The bad value is echoed in the parser's message, and gRPC's encoding of that message threw
  // on a lone surrogate: the call was never answered.
  for (const protocol of ['grpc-json', 'grpc-web-json', 'connect-json'] as const) {
    it(`a JSON lone surrogate escape is answered InvalidArgument, not left hanging, over ${protocol}`, async () => {
      const text = new TextEncoder().encode('{"pageSize":"\\ud8fcx"}');
      const answer = await wire.call(LIST, protocol, body(protocol, text), admin(), 5_000);
      expect(answer.code).toBe('invalid_argument');
      expect(answer.message).toMatch(/lone surrogate/);
    });
  }
  it('JSON that is not valid UTF-8 is InvalidArgument, not silently repaired', async () => {
    const text = new Uint8Array([...new TextEncoder().encode('{"ownerId":"'), 0xc3, 0x28, ...new TextEncoder().encode('"}')]);
    const answer = await wire.call(LIST, 'connect-json', text, admin());
    expect(answer.code).toBe('invalid_argument');
    expect(answer.message).toMatch(/not valid UTF-8/);
  });

  it('a unary refusal (binary or JSON) reaches the log and the metrics', async () => {
    const before = logLines.length;
    const answer = await wire.call(LIST, 'grpc', frame(new Uint8Array([0x0a, 0x05, 0x61])), admin());
    expect(answer.code).toBe('invalid_argument');
    const line = logLines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'rpc refused at the edge');
    expect(line).toMatchObject({ procedure: LIST, protocol: 'grpc', code: 'invalid_argument' });
    const json = await wire.call(CREATE, 'connect-json', new TextEncoder().encode('{"ownerIdd":"x"}'), admin());
    expect(json.code).toBe('invalid_argument');
    const jsonLine = logLines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'rpc refused at the edge' && l.procedure === CREATE);
    expect(jsonLine).toMatchObject({ protocol: 'connect', code: 'invalid_argument', reason: 'kavach.v1.CreateAgentRequest: unknown field "ownerIdd"' });
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    expect(metrics).toMatch(/kavach_rpc_calls_total\{procedure="\/kavach\.v1\.AgentService\/ListAgents",code="invalid_argument"\} [1-9]/);
  });
});
