/**
 * Environment -> typed configuration. Every setting is validated once at start-up; a bad value
 * throws a ConfigError naming the variable and the accepted values, and main.ts exits non-zero.
 */
import { AGENT_TOKEN_PREFIX, SESSION_TOKEN_PREFIX } from './app/auth/secrets.js';
import { DEFAULT_SECRET_ARGUMENT_NAMES } from './domain/redaction.js';

export type StoreEngine = 'embedded' | 'mongo';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** Port of the native gRPC listener (grpc-js), or undefined for none; 0 picks a free port. */
  readonly grpcPort: number | undefined;
  readonly store: StoreEngine;
  /** Directory of the embedded store's file, or `:memory:` for a throwaway store. */
  readonly dataDir: string;
  readonly mongoUri: string;
  readonly mongoDatabase: string;
  /** Admin token from the environment; when undefined the store holds (or creates) one. */
  readonly adminToken: string | undefined;
  /** Origins allowed to call from a browser; `*` allows any. Empty disables CORS. */
  readonly corsOrigins: readonly string[];
  /** IPs and CIDRs whose `client_ip` / `X-Forwarded-For` is believed. */
  readonly trustedProxies: readonly string[];
  readonly logLevel: LogLevel;
  /** Upper bound on how stale a cached agent lookup may be, in milliseconds. */
  readonly cacheTtlMs: number;
  /** Largest accepted request message, in bytes. */
  readonly maxRequestBytes: number;
  /** Active agents one owner may hold. */
  readonly agentQuota: number;
  /** Lifetime of a pending approval, in seconds. */
  readonly approvalTtlSeconds: number;
  /** Absolute session lifetime, in seconds. */
  readonly sessionTtlSeconds: number;
  /** Session idle timeout, in seconds; each use slides it. */
  readonly sessionIdleSeconds: number;
  /** Argument names redacted in the audit log and approvals (matched after normalising case and separators). */
  readonly secretArgumentNames: readonly string[];
  /** Days of audit history kept; undefined keeps everything. */
  readonly auditRetentionDays: number | undefined;
  /** TailAudit: an idle stream gets a heartbeat this often, in milliseconds. */
  readonly auditTailHeartbeatMs: number;
  /** TailAudit: how often each replica polls the store for entries written by other replicas. */
  readonly auditTailPollMs: number;
  /** TailAudit: events buffered for one slow reader before it is cut off with RESOURCE_EXHAUSTED. */
  readonly auditTailBufferSize: number;
  /** How long in-flight calls may take to finish on shutdown, in milliseconds. */
  readonly shutdownGraceMs: number;
  /** Longest one store operation may take before it fails as Unavailable, in milliseconds. */
  readonly storeTimeoutMs: number;
  /** Rejected credentials audited one by one per source and minute; the rest are counted in a summary. */
  readonly rejectionAuditsPerMinute: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function intSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
}

function list(env: Env, name: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const IPV4_OR_CIDR = /^(\d{1,3})(\.\d{1,3}){3}(\/\d{1,2})?$/;
const IPV6_OR_CIDR = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;

function trustedProxies(env: Env): string[] {
  const entries = list(env, 'KAVACH_TRUSTED_PROXIES');
  for (const entry of entries) {
    if (!IPV4_OR_CIDR.test(entry) && !(entry.includes(':') && IPV6_OR_CIDR.test(entry))) {
      throw new ConfigError(
        'KAVACH_TRUSTED_PROXIES',
        `must be a comma-separated list of IP addresses and CIDRs, got "${entry}"`,
      );
    }
  }
  return entries;
}

function corsOrigins(env: Env): string[] {
  const origins = list(env, 'KAVACH_CORS_ORIGINS');
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(
        'KAVACH_CORS_ORIGINS',
        `must be "*" or a comma-separated list of origins like https://app.example.com, got "${origin}"`,
      );
    }
  }
  return origins;
}


/** Reads and validates the whole configuration. Throws ConfigError on the first bad value. */
export function loadConfig(env: Env = process.env): Config {
  const store = oneOf(env, 'KAVACH_STORE', ['embedded', 'mongo'] as const, 'embedded');
  const mongoUri = env.MONGODB_URI ?? env.KAVACH_MONGODB_URI ?? '';
  if (store === 'mongo' && mongoUri === '') {
    throw new ConfigError('MONGODB_URI', 'must be set when KAVACH_STORE=mongo, e.g. mongodb://localhost:27017');
  }
  if (mongoUri !== '' && !/^mongodb(\+srv)?:\/\//.test(mongoUri)) {
    throw new ConfigError('MONGODB_URI', 'must start with mongodb:// or mongodb+srv://');
  }
  const adminToken = env.KAVACH_ADMIN_TOKEN === '' ? undefined : env.KAVACH_ADMIN_TOKEN;
  if (adminToken !== undefined && adminToken.length < 32) {
    throw new ConfigError('KAVACH_ADMIN_TOKEN', 'must be at least 32 characters; unset it to have one generated');
  }
  // A bearer token with an agent or session prefix is looked up as one of those and never
  // reaches the admin check: such an admin token would be accepted here and then never work.
  const reserved = [AGENT_TOKEN_PREFIX, SESSION_TOKEN_PREFIX].find((prefix) => adminToken?.startsWith(prefix) === true);
  if (reserved !== undefined) {
    throw new ConfigError(
      'KAVACH_ADMIN_TOKEN',
      `must not start with "${reserved}", the prefix of ${reserved === AGENT_TOKEN_PREFIX ? 'agent' : 'session'} tokens (it would be read as one and never work); use another value, e.g. one starting with "kva_", or unset it to have one generated`,
    );
  }
  const retention = env.KAVACH_AUDIT_RETENTION_DAYS;
  const secretNames = list(env, 'KAVACH_SECRET_ARGUMENT_NAMES').map((s) => s.toLowerCase());
  return {
    host: env.KAVACH_HOST?.trim() || '127.0.0.1',
    port: intSetting(env, 'KAVACH_PORT', 8080, 0, 65535),
    grpcPort: env.KAVACH_GRPC_PORT === undefined || env.KAVACH_GRPC_PORT === '' ? undefined : intSetting(env, 'KAVACH_GRPC_PORT', 0, 0, 65535),
    store,
    dataDir: env.KAVACH_DATA_DIR?.trim() || './data',
    mongoUri,
    mongoDatabase: env.KAVACH_MONGODB_DATABASE?.trim() || 'kavach',
    adminToken,
    corsOrigins: corsOrigins(env),
    trustedProxies: trustedProxies(env),
    logLevel: oneOf(
      env,
      'KAVACH_LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
    cacheTtlMs: intSetting(env, 'KAVACH_CACHE_TTL_MS', 1000, 0, 60_000),
    maxRequestBytes: intSetting(env, 'KAVACH_MAX_REQUEST_BYTES', 1024 * 1024, 1024, 16 * 1024 * 1024),
    agentQuota: intSetting(env, 'KAVACH_AGENT_QUOTA', 100, 1, 1_000_000),
    approvalTtlSeconds: intSetting(env, 'KAVACH_APPROVAL_TTL_SECONDS', 300, 10, 86_400),
    sessionTtlSeconds: intSetting(env, 'KAVACH_SESSION_TTL_SECONDS', 7 * 86_400, 60, 365 * 86_400),
    sessionIdleSeconds: intSetting(env, 'KAVACH_SESSION_IDLE_SECONDS', 86_400, 60, 365 * 86_400),
    secretArgumentNames: secretNames.length > 0 ? secretNames : DEFAULT_SECRET_ARGUMENT_NAMES,
    auditRetentionDays:
      retention === undefined || retention === ''
        ? undefined
        : intSetting(env, 'KAVACH_AUDIT_RETENTION_DAYS', 0, 1, 36_500),
    auditTailHeartbeatMs: intSetting(env, 'KAVACH_AUDIT_TAIL_HEARTBEAT_MS', 5000, 10, 300_000),
    auditTailPollMs: intSetting(env, 'KAVACH_AUDIT_TAIL_POLL_MS', 250, 5, 60_000),
    auditTailBufferSize: intSetting(env, 'KAVACH_AUDIT_TAIL_BUFFER', 1000, 1, 100_000),
    shutdownGraceMs: intSetting(env, 'KAVACH_SHUTDOWN_GRACE_MS', 10_000, 0, 300_000),
    rejectionAuditsPerMinute: intSetting(env, 'KAVACH_REJECTION_AUDITS_PER_MINUTE', 60, 1, 100_000),
    storeTimeoutMs: intSetting(env, 'KAVACH_STORE_TIMEOUT_MS', 3000, 100, 60_000),
  };
}
