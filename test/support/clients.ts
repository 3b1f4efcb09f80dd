/**
 * One way for end-to-end tests to call the real server with several real clients: grpc-js,
 * connect-node's gRPC transport (h2c) and the Connect protocol with JSON over HTTP/1.1 (what a
 * browser speaks). A test written against a `Kit` runs unchanged over each of them:
 *
 *   describe.each(kits)('%s', (_name, makeKit) => {
 *     let kit: Kit;
 *     beforeAll(() => { kit = makeKit(srv.url); });
 *     afterAll(() => kit.close());
 *     it('...', async () => {
 *       const res = await kit.client(AgentService).getAgent({ agentId }, token);
 *       const failure = await failureOf(kit.client(AgentService).getAgent({ agentId }, otherToken));
 *       expect(failure.code).toBe(Code.NotFound);
 *     });
 *   });
 *
 * gRPC status numbers and Connect `Code` values are the same, so failures are compared as
 * `Code` whichever client produced them.
 */
import http from 'node:http';
import type { DescMethodUnary, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { ConnectError, createClient, type Code, type Transport } from '@connectrpc/connect';
import { Http2SessionManager, createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'vitest';
import { bearer, grpcJsChannel, grpcJsUnaryClient, metadata } from './grpc-js.js';

/** The unary RPCs of `S`, each taking the request, an optional bearer token and optional extra headers. */
export type Rpc<S extends DescService> = {
  [P in keyof S['method'] as S['method'][P] extends DescMethodUnary ? P : never]: S['method'][P] extends DescMethodUnary<
    infer I,
    infer O
  >
    ? (request: MessageInitShape<I>, token?: string, headers?: Record<string, string>) => Promise<MessageShape<O>>
    : never;
};

export interface Kit {
  /** What the client is, for test names. */
  readonly name: string;
  client<S extends DescService>(service: S): Rpc<S>;
  /** Closes every connection the kit opened. */
  close(): void;
}

function unaryMethods(service: DescService) {
  return service.methods.filter((m) => m.methodKind === 'unary');
}

/** grpc-js over one channel. */
export function grpcJsKit(url: string): Kit {
  const channel = grpcJsChannel(url);
  return {
    name: 'grpc-js',
    client<S extends DescService>(service: S): Rpc<S> {
      const raw = grpcJsUnaryClient(channel, service) as unknown as Record<
        string,
        (req: object, md: grpc.Metadata) => Promise<unknown>
      >;
      const rpc: Record<string, unknown> = {};
      for (const m of unaryMethods(service)) {
        const call = raw[m.localName];
        if (call === undefined) throw new Error(`no method ${m.localName}`);
        rpc[m.localName] = (req: object, token?: string, headers: Record<string, string> = {}) =>
          call(req, token === undefined ? metadata(headers) : bearer(token, headers));
      }
      return rpc as Rpc<S>;
    },
    close: () => channel.close(),
  };
}

function connectKit(name: string, transport: Transport, close: () => void): Kit {
  return {
    name,
    client<S extends DescService>(service: S): Rpc<S> {
      const raw = createClient(service, transport) as unknown as Record<
        string,
        (req: object, options: { headers: Record<string, string> }) => Promise<unknown>
      >;
      const rpc: Record<string, unknown> = {};
      for (const m of unaryMethods(service)) {
        const call = raw[m.localName];
        if (call === undefined) throw new Error(`no method ${m.localName}`);
        rpc[m.localName] = (req: object, token?: string, headers: Record<string, string> = {}) =>
          call(req, { headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` } });
      }
      return rpc as Rpc<S>;
    },
    close,
  };
}

/** connect-node's gRPC transport over one h2c session. */
export function connectGrpcKit(url: string): Kit {
  const sessionManager = new Http2SessionManager(url);
  const transport = createGrpcTransport({ baseUrl: url, sessionManager });
  return connectKit('connect-node gRPC (h2c)', transport, () => sessionManager.abort());
}

/** The Connect protocol with JSON bodies over HTTP/1.1, as a browser sends it. */
export function connectJsonKit(url: string): Kit {
  const agent = new http.Agent({ keepAlive: true });
  const transport = createConnectTransport({ baseUrl: url, httpVersion: '1.1', useBinaryFormat: false, nodeOptions: { agent } });
  return connectKit('Connect JSON over HTTP/1.1', transport, () => agent.destroy());
}

/** The two gRPC clients, for `describe.each`. */
export const GRPC_KITS: ReadonlyArray<[string, (url: string) => Kit]> = [
  ['grpc-js', grpcJsKit],
  ['connect-node gRPC (h2c)', connectGrpcKit],
];

// ---------------------------------------------------------------------------------------------
// Failures, whichever client reported them

export interface RpcFailure {
  readonly code: Code;
  /** The status message as the server sent it. */
  readonly message: string;
  /** A response header or trailer, or undefined. */
  meta(name: string): string | undefined;
}

function isGrpcJsError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && 'metadata' in error && (error as { metadata: unknown }).metadata instanceof grpc.Metadata;
}

/** Awaits `call` and returns how it failed; fails the test if it succeeded. */
export async function failureOf(call: Promise<unknown>): Promise<RpcFailure> {
  try {
    await call;
  } catch (error) {
    if (isGrpcJsError(error)) {
      return {
        code: error.code as number as Code,
        message: error.details,
        meta: (name) => {
          const value = error.metadata.get(name)[0];
          return value === undefined ? undefined : String(value);
        },
      };
    }
    const ce = ConnectError.from(error);
    return { code: ce.code, message: ce.rawMessage, meta: (name) => ce.metadata.get(name) ?? undefined };
  }
  return expect.fail('expected the call to fail, but it succeeded');
}

/** The code `call` failed with. */
export async function codeOf(call: Promise<unknown>): Promise<Code> {
  return (await failureOf(call)).code;
}
