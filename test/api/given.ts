/**
 * Small helpers shared by the in-process API tests: acting as a user or an agent, asserting
 * error codes, and scanning responses and stored records for a secret.
 */
import type { Code} from '@connectrpc/connect';
import { ConnectError } from '@connectrpc/connect';
import { afterEach, beforeEach, expect } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import type { Agent } from '../../gen/kavach/v1/types_pb.js';
import type { AuditRecord } from '../../src/domain/records.js';
import { startInProcess, type InProcess } from '../support/app.js';
import { aCreateAgentRequest, aSignUpRequest, type CreateAgentInit } from '../support/requests.js';

/** Awaits `call` and returns the ConnectError it failed with; fails the test if it succeeded. */
export async function rejectionOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  return expect.fail('expected the call to fail, but it succeeded');
}

/** The Connect code `call` failed with. */
export async function codeOf(call: Promise<unknown>): Promise<Code> {
  return (await rejectionOf(call)).code;
}

export interface SignedUpUser {
  readonly userId: string;
  readonly sessionToken: string;
}

/**
 * Signs a fresh user up through AuthService.SignUp and returns their id and session token. With
 * `tenant`, the admin signs the user up in that tenant (docs/ARCHITECTURE.md#tenants).
 */
export async function signUp(env: InProcess, tenant?: string): Promise<SignedUpUser> {
  const client =
    tenant === undefined ? env.client(AuthService) : env.client(AuthService, env.adminToken, { 'kavach-tenant': tenant });
  const res = await client.signUp(aSignUpRequest());
  const userId = res.user?.id ?? '';
  expect(userId).not.toBe('');
  expect(res.sessionToken).not.toBe('');
  return { userId, sessionToken: res.sessionToken };
}

/** Creates an agent as `callerToken` (the admin by default) and returns it with its token. */
export async function createAgent(
  env: InProcess,
  overrides: Partial<CreateAgentInit> = {},
  callerToken: string = env.adminToken,
  headers?: Record<string, string>,
): Promise<{ agent: Agent; token: string }> {
  const res = await env.client(AgentService, callerToken, headers).createAgent(aCreateAgentRequest(overrides));
  if (res.agent === undefined) return expect.fail('CreateAgent returned no agent');
  return { agent: res.agent, token: res.token };
}

/** Every string reachable from `value` (object keys excluded), with its path. */
export function stringsIn(value: unknown, path = '$'): Array<[string, string]> {
  if (typeof value === 'string') return [[path, value]];
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, `${path}[${i}]`));
  if (value instanceof Date) return [];
  return Object.entries(value).flatMap(([k, v]) => stringsIn(v, `${path}.${k}`));
}

/** Asserts that no string anywhere in `value` contains `secret`, or the secret's random part. */
export function expectNoSecretIn(value: unknown, secret: string): void {
  const body = secret.replace(/^kvs?_/, '');
  const leaks = stringsIn(value)
    .filter(([, s]) => s.includes(secret) || s.includes(body))
    .map(([p]) => p);
  expect(leaks).toEqual([]);
}

/** Every audit entry of a tenant, newest first. */
export async function auditEntries(env: InProcess, tenantId = 'default'): Promise<AuditRecord[]> {
  return (await env.store.audit.query(tenantId, {}, { limit: 1000 })).items;
}

/** How many audit entries of the default tenant match `filter`. */
export async function auditCount(env: InProcess, filter: { agentId?: string; actions?: string[] }): Promise<number> {
  return (await env.store.audit.query('default', filter, { limit: 1 })).total;
}

/** A date `ms` milliseconds after the fake clock's present. */
export function later(env: InProcess, ms: number): Date {
  return new Date(env.clock.now().getTime() + ms);
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

/**
 * Starts a fresh in-process app before each test of the enclosing `describe` (or file) and
 * closes it after; returns a getter for the current one. Nothing is shared between tests.
 */
export function useInProcess(overrides: Partial<Record<string, string>> = {}): () => InProcess {
  let current: InProcess | undefined;
  beforeEach(async () => {
    current = await startInProcess(overrides);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return () => current ?? expect.fail('the in-process app is not running');
}
