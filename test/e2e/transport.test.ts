/**
 * The real server on 127.0.0.1:0, reached the ways real clients reach it: grpc-js, the
 * connect-node gRPC transport (h2c), Connect over HTTP/1.1, gRPC-Web over HTTP/1.1, plain
 * HTTP (/healthz, /metrics, CORS), and `src/main.ts` as a child process.
 */
import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckResponse_ServingStatus as Status, Health } from '../../gen/health/v1/health_pb.js';
import { ServerReflection } from '../../gen/grpc/reflection/v1/reflection_pb.js';
import { AgentService, ListAgentsRequestSchema } from '../../gen/kavach/v1/agent_service_pb.js';
import { AgentType } from '../../gen/kavach/v1/types_pb.js';
import { grpcJsClient, metadata, method, unary, type GrpcJsClient } from '../support/grpc-js.js';
import { startServer, type RunningServer } from '../support/server.js';
import { signUpOwner } from '../support/owners.js';

const ALLOWED_ORIGIN = 'https://app.example.com';
const MAX_REQUEST_BYTES = 4096;
const KAVACH_SERVICES = [
  'kavach.v1.AgentService',
  'kavach.v1.AuditService',
  'kavach.v1.AuthService',
  'kavach.v1.AuthorizeService',
  'kavach.v1.DelegationService',
];

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer({ KAVACH_CORS_ORIGINS: ALLOWED_ORIGIN, KAVACH_MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES) });
});
afterAll(async () => {
  await srv.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('grpc-js client', () => {
  let health: GrpcJsClient;
  let agents: GrpcJsClient;
  let reflection: GrpcJsClient;
  beforeAll(() => {
    health = grpcJsClient(Health, srv.url);
    agents = grpcJsClient(AgentService, srv.url);
    reflection = grpcJsClient(ServerReflection, srv.url);
  });
  afterAll(() => {
    for (const c of [health, agents, reflection]) c.close();
  });

  it('health Check says SERVING', async () => {
    const res = await unary<{ status: Status }>(health, 'check', { service: '' });
    expect(res.status).toBe(Status.SERVING);
  });

  it('health Watch streams the current status at once', async () => {
    type Watch = (req: object) => grpc.ClientReadableStream<{ status: Status }>;
    const call = method<Watch>(health, 'watch')({ service: 'kavach.v1.AgentService' });
    const first = await new Promise<{ status: Status }>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    expect(first.status).toBe(Status.SERVING);
    call.on('error', () => undefined); // the cancel below surfaces as a CANCELLED error
    call.cancel();
  });

  it('reflection v1 lists the five kavach services', async () => {
    type Answer = { messageResponse: { case: string; value: { service: { name: string }[] } } };
    const call = method<() => grpc.ClientDuplexStream<object, Answer>>(reflection, 'serverReflectionInfo')();
    const answer = new Promise<string[]>((resolve, reject) => {
      call.once('data', (res: Answer) => resolve(res.messageResponse.value.service.map((s) => s.name)));
      call.once('error', reject);
    });
    call.write({ messageRequest: { case: 'listServices', value: '' } });
    call.end();
    const names = await answer;
    expect(names).toEqual(expect.arrayContaining([...KAVACH_SERVICES, 'grpc.health.v1.Health']));
  });

  it('calls a kavach RPC with the admin token', async () => {
    const res = await unary<{ agents: unknown[] }>(agents, 'listAgents', {}, metadata(bearer(srv.adminToken)));
    expect(Array.isArray(res.agents)).toBe(true);
  });

  it('a call without a credential is UNAUTHENTICATED', async () => {
    await expect(unary(agents, 'listAgents', {})).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });
});

// ---------------------------------------------------------------------------------------------
// connect-node transports

const transports: [string, () => Transport][] = [
  ['gRPC over h2c (connect-node)', () => createGrpcTransport({ baseUrl: srv.url })],
  ['Connect over HTTP/1.1', () => createConnectTransport({ baseUrl: srv.url, httpVersion: '1.1' })],
  ['gRPC-Web over HTTP/1.1', () => createGrpcWebTransport({ baseUrl: srv.url, httpVersion: '1.1' })],
];

describe.each(transports)('%s', (_name, makeTransport) => {
  it('health Check says SERVING and Watch streams the current status', async () => {
    const health = createClient(Health, makeTransport());
    expect((await health.check({})).status).toBe(Status.SERVING);
    const abort = new AbortController();
    for await (const res of health.watch({ service: '' }, { signal: abort.signal })) {
      expect(res.status).toBe(Status.SERVING);
      break; // leaving the loop cancels the stream
    }
  });

  it('calls a kavach RPC with the admin token', async () => {
    const agents = createClient(AgentService, makeTransport());
    const res = await agents.listAgents({}, { headers: bearer(srv.adminToken) });
    expect(res.agents).toBeInstanceOf(Array);
  });

  it('a call without a credential, or with a bad one, is Unauthenticated', async () => {
    const agents = createClient(AgentService, makeTransport());
    const none = await agents.listAgents({}).catch((e: unknown) => ConnectError.from(e));
    expect(none).toMatchObject({ code: Code.Unauthenticated });
    const bad = await agents
      .listAgents({}, { headers: bearer('kv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') })
      .catch((e: unknown) => ConnectError.from(e));
    expect(bad).toMatchObject({ code: Code.Unauthenticated });
  });

  it('an oversized request gets an error status, and the server answers afterwards', async () => {
    const transport = makeTransport();
    const agents = createClient(AgentService, transport);
    const huge = 'x'.repeat(MAX_REQUEST_BYTES * 2);
    const err = await agents
      .createAgent({ name: huge, type: AgentType.AUTONOMOUS }, { headers: bearer(srv.adminToken) })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.ResourceExhausted });
    expect((await createClient(Health, makeTransport()).check({})).status).toBe(Status.SERVING);
  });

  it('echoes an acceptable x-request-id and replaces an unacceptable one', async () => {
    const health = createClient(Health, makeTransport());
    let echoed: string | null = null;
    await health.check({}, { headers: { 'x-request-id': 'req-42.a_b' }, onHeader: (h) => (echoed = h.get('x-request-id')) });
    expect(echoed).toBe('req-42.a_b');
    await health.check({}, { headers: { 'x-request-id': 'has space' }, onHeader: (h) => (echoed = h.get('x-request-id')) });
    expect(echoed).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
    expect(echoed).not.toBe('has space');
  });
});

describe('gRPC compression', () => {
  it('accepts gzip-compressed requests', async () => {
    const transport = createGrpcTransport({ baseUrl: srv.url, sendCompression: compressionGzip, compressMinBytes: 0 });
    const res = await createClient(AgentService, transport).listAgents({}, { headers: bearer(srv.adminToken) });
    expect(res.agents).toBeInstanceOf(Array);
  });

  /** ListAgents for `ownerId` over raw HTTP/2 gRPC, accepting gzip: the response message's bytes and compressed flag. */
  async function listAgentsRaw(ownerId: string): Promise<{ flag: number | undefined; length: number }> {
    const session = http2.connect(srv.url);
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/kavach.v1.AgentService/ListAgents',
        'content-type': 'application/grpc',
        'grpc-accept-encoding': 'gzip',
        authorization: `Bearer ${srv.adminToken}`,
        te: 'trailers',
      });
      const message = toBinary(ListAgentsRequestSchema, create(ListAgentsRequestSchema, { ownerId }));
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      stream.end(frame);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      return { flag: body[0], length: body.length > 5 ? body.readUInt32BE(1) : 0 };
    } finally {
      session.close();
    }
  }

  it('compresses only large responses (32 KiB and up) for a client that accepts gzip: CPU over bytes', async () => {
    const owner = await signUpOwner(createGrpcTransport({ baseUrl: srv.url }), srv.adminToken);
    const agents = createClient(AgentService, createGrpcTransport({ baseUrl: srv.url }));
    // ~3.3 KB of metadata an agent, within the 4 KiB request limit of this server.
    const metadata = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'm'.repeat(400)]));
    const createOne = () => agents.createAgent({ ownerId: owner, name: 'gzip', type: AgentType.AUTONOMOUS, metadata }, { headers: bearer(srv.adminToken) });
    for (let i = 0; i < 3; i++) await createOne();
    const medium = await listAgentsRaw(owner);
    expect(medium.length).toBeGreaterThan(8 * 1024); // above connect's default threshold of 1 KiB
    expect(medium.flag).toBe(0);
    for (let i = 0; i < 9; i++) await createOne();
    const large = await listAgentsRaw(owner);
    expect(large.flag).toBe(1);
  });
});

describe('reflection over the connect-node gRPC transport', () => {
  it('answers list_services and file_containing_symbol with dependencies', async () => {
    const client = createClient(ServerReflection, createGrpcTransport({ baseUrl: srv.url }));
    async function* requests() {
      yield { messageRequest: { case: 'listServices' as const, value: '' } };
      yield { messageRequest: { case: 'fileContainingSymbol' as const, value: 'kavach.v1.AgentService.CreateAgent' } };
    }
    const answers = [];
    for await (const res of client.serverReflectionInfo(requests())) answers.push(res);
    const [list, file] = answers;
    expect(list?.messageResponse.case).toBe('listServicesResponse');
    if (list?.messageResponse.case === 'listServicesResponse') {
      expect(list.messageResponse.value.service.map((s) => s.name)).toEqual(expect.arrayContaining(KAVACH_SERVICES));
    }
    expect(file?.messageResponse.case).toBe('fileDescriptorResponse');
    if (file?.messageResponse.case === 'fileDescriptorResponse') {
      const text = file.messageResponse.value.fileDescriptorProto.map((b) => Buffer.from(b).toString('latin1')).join('\n');
      expect(text).toContain('kavach/v1/agent_service.proto');
      expect(text).toContain('google/protobuf/timestamp.proto');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Plain HTTP on the same port

describe('plain HTTP', () => {
  it('GET /healthz is 200 {"status":"ok"} while serving', async () => {
    const res = await fetch(`${srv.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /metrics counts an RPC just made', async () => {
    const agents = createClient(AgentService, createConnectTransport({ baseUrl: srv.url, httpVersion: '1.1' }));
    await agents.getAgent({ agentId: 'agt_missing' }, { headers: bearer(srv.adminToken) }).catch(() => undefined);
    const res = await fetch(`${srv.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/kavach_rpc_calls_total\{procedure="\/kavach\.v1\.AgentService\/GetAgent",code="[a-z_]+"\} [1-9]/);
    expect(text).toContain('kavach_rpc_duration_seconds_bucket');
    expect(text).toContain('kavach_open_streams');
    expect(text).toContain('kavach_audit_queue_depth');
    expect(text).toContain('kavach_store_duration_seconds');
  });

  it('answers a CORS preflight from an allowed origin with the allow headers', async () => {
    const res = await fetch(`${srv.url}/kavach.v1.AgentService/ListAgents`, {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, connect-protocol-version, kavach-tenant',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const h of ['authorization', 'kavach-tenant', 'content-type', 'connect-protocol-version', 'x-grpc-web']) {
      expect(allowed).toContain(h);
    }
  });

  it('gives a disallowed origin no CORS grant', async () => {
    const res = await fetch(`${srv.url}/kavach.v1.AgentService/ListAgents`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-headers')).toBeNull();
  });

  it('exposes grpc-status to an allowed origin on an actual call', async () => {
    const res = await fetch(`${srv.url}/grpc.health.v1.Health/Check`, {
      method: 'POST',
      headers: { origin: ALLOWED_ORIGIN, 'content-type': 'application/json', 'connect-protocol-version': '1' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(res.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('grpc-status');
  });
});

// ---------------------------------------------------------------------------------------------
// Shutdown, in process and as a process

const streamingTransports: [string, (url: string) => Transport][] = [
  ['gRPC over h2c', (url) => createGrpcTransport({ baseUrl: url })],
  ['Connect over HTTP/1.1', (url) => createConnectTransport({ baseUrl: url, httpVersion: '1.1' })],
  ['gRPC-Web over HTTP/1.1', (url) => createGrpcWebTransport({ baseUrl: url, httpVersion: '1.1' })],
];

describe.each(streamingTransports)('graceful shutdown, %s', (_name, makeTransport) => {
  it('close() sends NOT_SERVING, ends an open stream with Unavailable, and waits for it', async () => {
    const own = await startServer();
    const health = createClient(Health, makeTransport(own.url));
    const seen: Status[] = [];
    let closing: Promise<void> | undefined;
    const ended = await (async () => {
      for await (const res of health.watch({})) {
        seen.push(res.status);
        if (seen.length === 1) closing = own.close();
      }
    })().then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(ended).toMatchObject({ code: Code.Unavailable, rawMessage: 'server is shutting down' });
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
    await closing;
    expect(own.server.health.isServing()).toBe(false);
    await expect(fetch(`${own.url}/healthz`)).rejects.toThrow();
  });
});

/** Polls `condition` until it holds; the test's own timeout bounds the wait. */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

interface Child {
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the bound URL from the "listening" log line. */
  readonly listening: Promise<string>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Runs `src/main.ts` through tsx as one node process (not `npx`, which does not pass SIGTERM
 * on to its child), so that signals reach main itself.
 */
function runMain(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { PATH: process.env.PATH ?? '', KAVACH_HOST: '127.0.0.1', KAVACH_SHUTDOWN_GRACE_MS: '5000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let onListening: (url: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => (onListening = resolve));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const line of out.split('\n')) {
      if (!line.includes('"msg":"listening"')) continue;
      const parsed = JSON.parse(line) as { url: string; port: number };
      if (parsed.port > 0) onListening(parsed.url);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { exit, listening, stdout: () => out, stderr: () => err, kill: (s) => child.kill(s) };
}

describe('src/main.ts as a process', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'kavach-e2e-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['KAVACH_PORT', 'abc'],
    ['KAVACH_STORE', 'bogus'],
  ])('exits non-zero and names %s when it is %s', async (name, value) => {
    const child = runMain({ KAVACH_DATA_DIR: dataDir, KAVACH_PORT: '0', [name]: value });
    const { code } = await child.exit;
    expect(code).not.toBe(0);
    expect(child.stderr()).toContain(name);
  });

  it('prints the URL and admin token once, and on SIGTERM ends an open stream with a status and exits 0', async () => {
    const child = runMain({ KAVACH_DATA_DIR: dataDir, KAVACH_PORT: '0' });
    const url = await child.listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await waitFor(() => child.stderr().includes('buf curl'));
    expect(child.stderr()).toMatch(/kva_[A-Za-z0-9_-]{43}/);
    expect(child.stderr()).toContain('buf curl');
    // What to do next names the console and the SDK's base URL on this very server.
    expect(child.stderr()).toContain(`Open the console in a browser: ${url}/`);
    expect(child.stderr()).toContain(`base_url="${url}/api/kavach"`);

    const health = createClient(Health, createGrpcTransport({ baseUrl: url }));
    const statuses: Status[] = [];
    const ended = (async () => {
      for await (const res of health.watch({})) {
        statuses.push(res.status);
        if (statuses.length === 1) child.kill('SIGTERM');
      }
    })().then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(await ended).toMatchObject({ code: Code.Unavailable });
    expect(statuses[0]).toBe(Status.SERVING);
    expect(await child.exit).toEqual({ code: 0, signal: null });
    expect(child.stdout()).not.toMatch(/kva_[A-Za-z0-9_-]{43}/);

    // The second start finds the stored admin token hash and prints no token.
    const again = runMain({ KAVACH_DATA_DIR: dataDir, KAVACH_PORT: '0' });
    await again.listening;
    await waitFor(() => again.stderr().includes('buf curl'));
    expect(again.stderr()).not.toMatch(/kva_[A-Za-z0-9_-]{43}/);
    again.kill('SIGTERM');
    expect(await again.exit).toEqual({ code: 0, signal: null });
  });
});
