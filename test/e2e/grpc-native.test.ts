/**
 * The native gRPC listener (grpc-js, KAVACH_GRPC_PORT) reached by the real gRPC clients used
 * against the shared port: grpc-js, the connect-node gRPC transport, raw HTTP/2 and buf curl.
 * Every service, health, reflection, the error table (compared call for call with the Connect
 * path), deadlines, cancellation, size limits, metrics and graceful shutdown.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import http2 from 'node:http2';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { compressionGzip, createGrpcTransport } from '@connectrpc/connect-node';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckResponse_ServingStatus as Status, Health } from '../../gen/health/v1/health_pb.js';
import { ServerReflection } from '../../gen/grpc/reflection/v1/reflection_pb.js';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuditService } from '../../gen/kavach/v1/audit_service_pb.js';
import { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { DelegationService } from '../../gen/kavach/v1/delegation_service_pb.js';
import { AgentType } from '../../gen/kavach/v1/types_pb.js';
import { grpcJsClient, metadata, method, unary, type GrpcJsClient } from '../support/grpc-js.js';
import { signUpOwner } from '../support/owners.js';
import { startServer, type RunningServer } from '../support/server.js';

const MAX_REQUEST_BYTES = 4096;
const KAVACH_SERVICES = [
  'kavach.v1.AgentService',
  'kavach.v1.AuditService',
  'kavach.v1.AuthService',
  'kavach.v1.AuthorizeService',
  'kavach.v1.DelegationService',
];

let srv: RunningServer;
let grpcUrl: string;
beforeAll(async () => {
  srv = await startServer({ KAVACH_GRPC_PORT: '0', KAVACH_MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES) });
  const url = srv.server.grpcUrl();
  if (url === undefined) throw new Error('KAVACH_GRPC_PORT=0 must start the native gRPC listener');
  grpcUrl = url;
});
afterAll(async () => {
  await srv.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const native = (): Transport => createGrpcTransport({ baseUrl: grpcUrl });
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected the call to fail'),
    (e: unknown) => ConnectError.from(e),
  );

async function metricsText(): Promise<string> {
  return (await fetch(`${srv.url}/metrics`)).text();
}

/** Polls `condition` until it holds; the test's own timeout bounds the wait. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}

const openWatchStreams = async (): Promise<number> => {
  const m = /kavach_open_streams\{procedure="\/grpc\.health\.v1\.Health\/Watch"\} (\d+)/.exec(await metricsText());
  return m === null ? 0 : Number(m[1]);
};

it('is a port of its own, beside the shared one', () => {
  expect(grpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(grpcUrl).not.toBe(srv.url);
});

it('a native port that is taken fails the start with the bind error', async () => {
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  try {
    const taken = (squatter.address() as net.AddressInfo).port;
    await expect(startServer({ KAVACH_GRPC_PORT: String(taken) })).rejects.toThrow(/address already in use|EADDRINUSE|No address added/i);
  } finally {
    squatter.close();
  }
});

describe('grpc-js client on the native port', () => {
  let health: GrpcJsClient;
  let agents: GrpcJsClient;
  let reflection: GrpcJsClient;
  beforeAll(() => {
    health = grpcJsClient(Health, grpcUrl);
    agents = grpcJsClient(AgentService, grpcUrl);
    reflection = grpcJsClient(ServerReflection, grpcUrl);
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
    call.on('error', () => undefined);
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
    expect(await answer).toEqual(expect.arrayContaining([...KAVACH_SERVICES, 'grpc.health.v1.Health']));
  });

  it('calls a kavach RPC with the admin token, and echoes x-request-id', async () => {
    let echoed: string | undefined;
    const res = await new Promise<{ agents: unknown[] }>((resolve, reject) => {
      type Unary = (r: object, md: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: { agents: unknown[] }) => void) => grpc.ClientUnaryCall;
      const call = method<Unary>(agents, 'listAgents')({}, metadata({ ...bearer(srv.adminToken), 'x-request-id': 'native-42' }), (e, r) =>
        e ? reject(e) : resolve(r),
      );
      call.on('metadata', (md) => (echoed = md.get('x-request-id')[0] as string));
    });
    expect(Array.isArray(res.agents)).toBe(true);
    expect(echoed).toBe('native-42');
  });

  it('a call without a credential is UNAUTHENTICATED', async () => {
    await expect(unary(agents, 'listAgents', {})).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });
});

describe('connect-node gRPC transport on the native port', () => {
  it('reaches every kavach service (no Unimplemented, no Unauthenticated with the admin token)', async () => {
    const h = { headers: bearer(srv.adminToken) };
    const t = native();
    const ownerId = await signUpOwner(t, srv.adminToken);
    const { agent } = await createClient(AgentService, t).createAgent({ ownerId, name: 'n', type: AgentType.AUTONOMOUS }, h);
    const agentId = agent?.id ?? expect.fail('CreateAgent returned no agent');
    const calls: Promise<unknown>[] = [
      createClient(AgentService, t).getAgent({ agentId }, h),
      createClient(AuditService, t).queryAudit({}, h),
      createClient(AuthorizeService, t).listApprovals({}, h),
      createClient(DelegationService, t).listDelegations({ agentId }, h),
      createClient(AuthService, t).signIn({ email: `nobody-${randomBytes(4).toString('hex')}@example.com`, password: 'a wrong password 123' }),
    ];
    const outcomes = await Promise.all(calls.map((p) => p.then(() => 'ok', (e: unknown) => Code[ConnectError.from(e).code])));
    // SignIn with an unknown email is the contract's Unauthenticated; the other four succeed.
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'Unauthenticated']);

  });

  it('health Check and Watch, and the call is counted in /metrics', async () => {
    const health = createClient(Health, native());
    expect((await health.check({})).status).toBe(Status.SERVING);
    // Cancelled by abort: connect-node's client keeps the HTTP/2 stream open after a bare `break`.
    const abort = new AbortController();
    for await (const res of health.watch({ service: '' }, { signal: abort.signal })) {
      expect(res.status).toBe(Status.SERVING);
      abort.abort();
      break;
    }
    expect(await metricsText()).toMatch(/kavach_rpc_calls_total\{procedure="\/grpc\.health\.v1\.Health\/Check",code="ok"\} [1-9]/);
  });

  it('answers exactly as the Connect path does: same code, message and trailers', async () => {
    const shared = createGrpcTransport({ baseUrl: srv.url });
    const probes: ((t: Transport) => Promise<unknown>)[] = [
      (t) => createClient(AgentService, t).getAgent({ agentId: 'agt_missing_é%ü' }, { headers: bearer(srv.adminToken) }),
      (t) => createClient(AgentService, t).createAgent({ name: '', type: AgentType.AUTONOMOUS }, { headers: bearer(srv.adminToken) }),
      (t) => createClient(AgentService, t).listAgents({}, { headers: bearer('kv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') }),
      (t) => createClient(Health, t).check({ service: 'no.such.Service' }),
    ];
    for (const probe of probes) {
      const [a, b] = await Promise.all([errorOf(probe(native())), errorOf(probe(shared))]);
      expect({ code: a.code, message: a.rawMessage }).toEqual({ code: b.code, message: b.rawMessage });
      expect(a.code).not.toBe(Code.Internal);
    }
  });

  it('sends an error metadata entry (retry-after) as a trailer, as the Connect path does', async () => {
    const auth = createClient(AuthService, native());
    const email = `thr-${randomBytes(4).toString('hex')}@example.com`;
    const password = 'correct horse battery staple 42';
    await auth.signUp({ email, password, name: 'thr' });
    let throttled: ConnectError | undefined;
    for (let i = 0; i < 10 && throttled === undefined; i++) {
      const e = await errorOf(auth.signIn({ email, password: `${password}-no` }));
      if (e.code === Code.ResourceExhausted) throttled = e;
    }
    if (throttled === undefined) return expect.fail('no throttling within 10 failures');
    const retryAfter = Number(throttled.metadata.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter > 0).toBe(true);
  });

  it('an oversized request is ResourceExhausted, and the server answers afterwards', async () => {
    const agents = createClient(AgentService, native());
    const err = await errorOf(agents.createAgent({ name: 'x'.repeat(MAX_REQUEST_BYTES * 2), type: AgentType.AUTONOMOUS }, { headers: bearer(srv.adminToken) }));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect((await createClient(Health, native()).check({})).status).toBe(Status.SERVING);
  });

  it('accepts gzip-compressed requests', async () => {
    const transport = createGrpcTransport({ baseUrl: grpcUrl, sendCompression: compressionGzip, compressMinBytes: 0 });
    const res = await createClient(AgentService, transport).listAgents({}, { headers: bearer(srv.adminToken) });
    expect(res.agents).toBeInstanceOf(Array);
  });

  it('a deadline ends an open stream with DeadlineExceeded and stops its handler', async () => {
    const health = createClient(Health, native());
    const err = await errorOf(
      (async () => {
        for await (const _ of health.watch({ service: '' }, { timeoutMs: 300 })) void _;
      })(),
    );
    expect(err.code).toBe(Code.DeadlineExceeded);
    await waitFor(async () => (await openWatchStreams()) === 0);
  });

  it('a client that cancels a stream releases it on the server', async () => {
    const health = createClient(Health, native());
    const abort = new AbortController();
    const streams = (async () => {
      for await (const _ of health.watch({ service: '' }, { signal: abort.signal })) void _;
    })().catch((e: unknown) => ConnectError.from(e));
    await waitFor(async () => (await openWatchStreams()) === 1);
    abort.abort();
    expect(await streams).toMatchObject({ code: Code.Canceled });
    await waitFor(async () => (await openWatchStreams()) === 0);
  });

  it('reflection answers list_services and file_containing_symbol with dependencies', async () => {
    const client = createClient(ServerReflection, native());
    async function* requests() {
      yield { messageRequest: { case: 'listServices' as const, value: '' } };
      yield { messageRequest: { case: 'fileContainingSymbol' as const, value: 'kavach.v1.AgentService.CreateAgent' } };
    }
    const answers = [];
    for await (const res of client.serverReflectionInfo(requests())) answers.push(res);
    expect(answers.map((a) => a.messageResponse.case)).toEqual(['listServicesResponse', 'fileDescriptorResponse']);
    const file = answers[1]?.messageResponse;
    if (file?.case !== 'fileDescriptorResponse') return expect.fail('no file descriptor answer');
    const text = file.value.fileDescriptorProto.map((b) => Buffer.from(b).toString('latin1')).join('\n');
    expect(text).toContain('kavach/v1/agent_service.proto');
    expect(text).toContain('google/protobuf/timestamp.proto');
  });
});

describe('audit streams on the native port', () => {
  it('ExportAudit sends the same bytes as the Connect path', async () => {
    const h = { headers: bearer(srv.adminToken) };
    const agents = createClient(AgentService, native());
    const exportOwner = await signUpOwner(native(), srv.adminToken);
    for (let i = 0; i < 5; i++) await agents.createAgent({ ownerId: exportOwner, name: `e${i}`, type: AgentType.AUTONOMOUS }, h);
    const exportAll = async (t: Transport): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const res of createClient(AuditService, t).exportAudit({ filter: { ownerId: exportOwner } }, h)) chunks.push(Buffer.from(res.data));
      return Buffer.concat(chunks);
    };
    const viaNative = await exportAll(native());
    const viaShared = await exportAll(createGrpcTransport({ baseUrl: srv.url }));
    // The owner's sign-up and the five agents it was given.
    expect(viaNative.toString('utf8').trim().split('\n')).toHaveLength(6);
    expect(viaNative.equals(viaShared)).toBe(true);
  });

  it('TailAudit streams a new entry as it is written, and ends when the client cancels', async () => {
    const h = { headers: bearer(srv.adminToken) };
    const abort = new AbortController();
    const tailOwner = await signUpOwner(native(), srv.adminToken);
    const tail = createClient(AuditService, native()).tailAudit({ filter: { ownerId: tailOwner } }, { ...h, signal: abort.signal });
    const it = tail[Symbol.asyncIterator]();
    const first = it.next();
    const { agent } = await createClient(AgentService, native()).createAgent({ ownerId: tailOwner, name: 't', type: AgentType.AUTONOMOUS }, h);
    let event = (await first).value;
    while (event?.event.case === 'heartbeat') event = (await it.next()).value;
    expect(event?.event.case).toBe('entry');
    if (event?.event.case === 'entry') expect(event.event.value.ownerId).toBe(tailOwner);
    expect(agent?.ownerId).toBe(tailOwner);
    abort.abort();
    await expect(it.next()).rejects.toMatchObject({ code: Code.Canceled });
  });
});

describe('raw HTTP/2 on the native port', () => {
  it('a malformed request message is InvalidArgument naming the message type, not Internal', async () => {
    const session = http2.connect(grpcUrl);
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/kavach.v1.AgentService/ListAgents',
        'content-type': 'application/grpc',
        authorization: `Bearer ${srv.adminToken}`,
        te: 'trailers',
      });
      const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]);
      const frame = Buffer.alloc(5 + garbage.length);
      frame.writeUInt32BE(garbage.length, 1);
      frame.set(garbage, 5);
      const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => {
        let headers: http2.IncomingHttpHeaders = {};
        stream.on('response', (h) => (headers = h));
        stream.on('trailers', (t) => resolve({ ...headers, ...t }));
      });
      stream.end(frame);
      stream.resume();
      const t = await trailers;
      expect(t['grpc-status']).toBe(String(Code.InvalidArgument));
      expect(decodeURIComponent(String(t['grpc-message']))).toContain('kavach.v1.ListAgentsRequest');
    } finally {
      session.close();
    }
  });
});

describe('buf curl on the native port', () => {
  // buf ships as a dev dependency (node_modules/.bin/buf); asynchronous, so the in-process server can answer.
  const bufBin = path.resolve(import.meta.dirname, '../../node_modules/.bin/buf');
  const buf = (args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(bufBin, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
      );
    });

  it('lists every method through reflection and calls ListAgents', async () => {
    const listed = await buf(['--reflect', '--list-methods', grpcUrl]);
    expect(listed.status, listed.stderr).toBe(0);
    for (const name of [...KAVACH_SERVICES, 'grpc.health.v1.Health']) expect(listed.stdout).toContain(`${name}/`);
    const called = await buf(['--reflect', '-H', `authorization: Bearer ${srv.adminToken}`, '-d', '{}', `${grpcUrl}/kavach.v1.AgentService/ListAgents`]);
    expect(called.status, called.stderr).toBe(0);
    expect(JSON.parse(called.stdout || '{}')).toBeTypeOf('object');
  });
});

describe('graceful shutdown on the native port', () => {
  it('close() sends NOT_SERVING, ends an open stream with Unavailable, waits for it, and refuses calls after', async () => {
    const own = await startServer({ KAVACH_GRPC_PORT: '0' });
    const url = own.server.grpcUrl() ?? expect.fail('no native listener');
    const health = createClient(Health, createGrpcTransport({ baseUrl: url }));
    const seen: Status[] = [];
    let closing: Promise<void> | undefined;
    const ended = await errorOf(
      (async () => {
        for await (const res of health.watch({})) {
          seen.push(res.status);
          if (seen.length === 1) closing = own.close();
        }
      })(),
    );
    expect(ended).toMatchObject({ code: Code.Unavailable, rawMessage: 'server is shutting down' });
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
    await closing;
    const after = await errorOf(createClient(Health, createGrpcTransport({ baseUrl: url })).check({}));
    expect(after.code).toBe(Code.Unavailable);
  });

  it('a unary call in flight when close() starts still gets its answer', async () => {
    // The app's clock tells when the call has reached it: armed just before the call, the first
    // reading after that is the call's own.
    let armed = false;
    let reached: () => void = () => undefined;
    const inApp = new Promise<void>((resolve) => (reached = resolve));
    const now = (): Date => {
      if (armed) {
        armed = false;
        reached();
      }
      return new Date();
    };
    const own = await startServer({ KAVACH_GRPC_PORT: '0' }, now);
    const url = own.server.grpcUrl() ?? expect.fail('no native listener');
    const agents = createClient(AgentService, createGrpcTransport({ baseUrl: url }));
    const graceOwner = await signUpOwner(createGrpcTransport({ baseUrl: url }), own.adminToken);
    armed = true;
    const call = agents.createAgent({ ownerId: graceOwner, name: 'grace', type: AgentType.AUTONOMOUS }, { headers: bearer(own.adminToken) });
    await inApp;
    const closing = own.close();
    const res = await call;
    expect(res.agent?.id).toMatch(/^agt_/);
    await closing;
  });
});
