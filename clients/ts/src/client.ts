/**
 * The client, independent of the platform: the entry points (index.ts for browsers, node.ts for
 * Node) hand it a transport for the chosen protocol. One Connect client per service, every RPC
 * as generated, with credentials, typed errors, retries and a default deadline applied to each
 * call; plus the audit tail/export helpers and the gateway guard.
 */
import type { DescService } from '@bufbuild/protobuf';
import { createClient, type CallOptions, type Client, type Interceptor, type Transport } from '@connectrpc/connect';
import { AgentService } from './gen/kavach/v1/agent_service_pb.js';
import { AuditService } from './gen/kavach/v1/audit_service_pb.js';
import { AuthService } from './gen/kavach/v1/auth_service_pb.js';
import { AuthorizeService } from './gen/kavach/v1/authorize_service_pb.js';
import { DelegationService } from './gen/kavach/v1/delegation_service_pb.js';
import { exportAudit, exportAuditEntries, tailAudit, type ExportOptions, type TailItem, type TailOptions } from './audit.js';
import type { AuditEntry } from './gen/kavach/v1/types_pb.js';
import { guard, type GuardArguments } from './guard.js';
import type { AuthorizeResponse } from './gen/kavach/v1/authorize_service_pb.js';
import { toKavachError } from './errors.js';
import { REQUEST_ID_HEADER, credentials, newRequestId, retries, type RetryOptions, type TokenSource } from './interceptors.js';

export type TransportKind = 'connect' | 'grpc' | 'grpc-web';

export interface KavachClientOptions {
  /** The server, e.g. `http://127.0.0.1:8080` or `https://kavach.example.com`. */
  readonly baseUrl: string;
  /** Bearer credential: an admin token, a user session (`kvs_…`) or an agent token (`kv_…`); or a function returning one. */
  readonly token?: TokenSource;
  /** Tenant for an admin token (the `kavach-tenant` header). */
  readonly tenant?: string;
  /** Wire protocol (default "connect"). "grpc" needs HTTP/2 and therefore Node. */
  readonly transport?: TransportKind;
  /** Default deadline of unary calls in ms (default 30000); a call's own `timeoutMs` wins. 0 for none. */
  readonly timeoutMs?: number;
  /** Retries of idempotent calls on Unavailable. */
  readonly retry?: RetryOptions;
  /** Extra headers sent on every call. */
  readonly headers?: Record<string, string>;
  /** More interceptors, run inside the client's own (they see typed errors' raw causes). */
  readonly interceptors?: readonly Interceptor[];
}

/** Builds a transport for the protocol; supplied by the platform entry point. */
export type TransportFactory = (kind: TransportKind, baseUrl: string, interceptors: Interceptor[]) => Transport;

export interface KavachClient {
  readonly auth: Client<typeof AuthService>;
  readonly agents: Client<typeof AgentService>;
  readonly authorize: Client<typeof AuthorizeService>;
  readonly audit: Client<typeof AuditService>;
  readonly delegations: Client<typeof DelegationService>;
  /** The options this client was made with. */
  readonly options: KavachClientOptions;
  /** A client like this one with another credential (e.g. the session a sign-up returned). */
  withToken(token: TokenSource): KavachClient;
  /** New audit entries as they are written; resumes by cursor across dropped connections. */
  tailAudit(options?: TailOptions): AsyncGenerator<TailItem, void, undefined>;
  /** The matching audit entries, oldest first, as rows (JSON lines or CSV records, without line ends). */
  exportAudit(options?: ExportOptions): AsyncGenerator<string, void, undefined>;
  /** Like exportAudit in JSON lines, parsed. */
  exportAuditEntries(options?: Omit<ExportOptions, 'format'>): AsyncGenerator<AuditEntry, void, undefined>;
  /** Asks whether the agent may act; returns the decision if allowed, throws AccessDeniedError if not. */
  guard(agentToken: string, action: string, resource: string, args?: GuardArguments, options?: CallOptions): Promise<AuthorizeResponse>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Wraps each method: a request id the error can name, the default deadline for unary calls that
 * set none (streams get none: a tail runs for days), and typed errors, for unary calls and for
 * failures in the middle of a stream alike.
 */
function wrap<S extends DescService>(service: S, client: Client<S>, timeoutMs: number): Client<S> {
  const wrapped: Record<string, unknown> = {};
  const raw = client as unknown as Record<string, (input: unknown, options?: CallOptions) => unknown>;
  for (const method of service.methods) {
    const call = raw[method.localName];
    if (call === undefined) continue;
    const prepare = (options: CallOptions) => {
      const headers = new Headers(options.headers);
      if (!headers.has(REQUEST_ID_HEADER)) headers.set(REQUEST_ID_HEADER, newRequestId());
      return { options: { ...options, headers }, requestId: headers.get(REQUEST_ID_HEADER) ?? '' };
    };
    if (method.methodKind === 'unary') {
      wrapped[method.localName] = async (input: unknown, callOptions: CallOptions = {}) => {
        const { options, requestId } = prepare(timeoutMs > 0 ? { timeoutMs, ...callOptions } : callOptions);
        try {
          return await call(input, options);
        } catch (err) {
          throw toKavachError(err, requestId);
        }
      };
    } else {
      wrapped[method.localName] = async function* (input: unknown, callOptions: CallOptions = {}) {
        const { options, requestId } = prepare(callOptions);
        try {
          yield* call(input, options) as AsyncIterable<unknown>;
        } catch (err) {
          throw toKavachError(err, requestId);
        }
      };
    }
  }
  return wrapped as Client<S>;
}

export function createClientWith(options: KavachClientOptions, makeTransport: TransportFactory): KavachClient {
  if (typeof options.baseUrl !== 'string' || !/^https?:\/\/[^\s/]+/.test(options.baseUrl)) {
    throw new TypeError(`baseUrl must be an http(s) URL such as http://127.0.0.1:8080, got ${JSON.stringify(options.baseUrl)}`);
  }
  const kind = options.transport ?? 'connect';
  if (!['connect', 'grpc', 'grpc-web'].includes(kind)) {
    throw new TypeError(`transport must be "connect", "grpc" or "grpc-web", got ${JSON.stringify(kind)}`);
  }
  const extraHeaders: Interceptor = (next) => (req) => {
    for (const [name, value] of Object.entries(options.headers ?? {})) if (!req.header.has(name)) req.header.set(name, value);
    return next(req);
  };
  const interceptors = [credentials(options.token, options.tenant), extraHeaders, retries(options.retry ?? {}), ...(options.interceptors ?? [])];
  const transport = makeTransport(kind, options.baseUrl.replace(/\/+$/, ''), interceptors);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const make = <S extends DescService>(service: S): Client<S> => wrap(service, createClient(service, transport), timeoutMs);

  const client: KavachClient = {
    auth: make(AuthService),
    agents: make(AgentService),
    authorize: make(AuthorizeService),
    audit: make(AuditService),
    delegations: make(DelegationService),
    options,
    withToken: (token) => createClientWith({ ...options, token }, makeTransport),
    tailAudit: (tailOptions = {}) => tailAudit(client.audit, tailOptions),
    exportAudit: (exportOptions = {}) => exportAudit(client.audit, exportOptions),
    exportAuditEntries: (exportOptions = {}) => exportAuditEntries(client.audit, exportOptions),
    guard: (agentToken, action, resource, args, callOptions) => guard(client.authorize, agentToken, action, resource, args, callOptions),
  };
  return client;
}
