/**
 * Helpers shared by the AuditService API tests: agents that make decisions, paging through
 * QueryAudit, and reading a TailAudit stream one message at a time with a time limit.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { expect } from 'vitest';
import type { AuditService, TailAuditResponse } from '../../gen/kavach/v1/audit_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import type { AuditEntry, AuditFilterSchema } from '../../gen/kavach/v1/types_pb.js';
import type { InProcess } from '../support/app.js';
import { aPermission, aSuffix } from '../support/requests.js';
import { createAgent, signUp } from './given.js';

export type FilterInit = MessageInitShape<typeof AuditFilterSchema>;

export interface DecidingAgent {
  readonly id: string;
  readonly ownerId: string;
  readonly token: string;
  /** `mcp:<random>:` — every resource this agent asks about starts with it. */
  readonly prefix: string;
  /** Asks for `action` on `<prefix><name>` with the agent's own token; `read` is allowed, anything else denied. */
  decide(action?: string, name?: string): Promise<string>;
}

/** An agent holding `read` on `mcp:<random>:*`, created by `callerToken` (the admin by default). */
export async function aDecidingAgent(env: InProcess, callerToken = env.adminToken, ownerId?: string): Promise<DecidingAgent> {
  const prefix = `mcp:svc${aSuffix()}:`;
  const { agent, token } = await createAgent(
    env,
    {
      permissions: [aPermission({ resource: `${prefix}*`, actions: ['read'] })],
      // A user may only create agents they own: an empty owner means "me".
      ...(ownerId !== undefined ? { ownerId } : callerToken === env.adminToken ? {} : { ownerId: '' }),
    },
    callerToken,
  );
  const authorize = env.client(AuthorizeService, token);
  return {
    id: agent.id,
    ownerId: agent.ownerId,
    token,
    prefix,
    async decide(action = 'read', name = 'repos') {
      const res = await authorize.authorize({ action, resource: `${prefix}${name}` });
      return res.auditId;
    },
  };
}

/** Every page of QueryAudit for `filter`, checking that each page reports the same total. */
export async function queryAll(
  client: Client<typeof AuditService>,
  filter: FilterInit = {},
  pageSize = 1000,
  between?: () => Promise<void>,
): Promise<{ entries: AuditEntry[]; totals: bigint[] }> {
  const entries: AuditEntry[] = [];
  const totals: bigint[] = [];
  let pageToken = '';
  for (let i = 0; i < 1000; i++) {
    const page = await client.queryAudit({ filter, pageSize, pageToken });
    expect(page.entries.length).toBeLessThanOrEqual(pageSize);
    entries.push(...page.entries);
    totals.push(page.total);
    if (page.nextPageToken === '') return { entries, totals };
    pageToken = page.nextPageToken;
    await between?.();
  }
  return expect.fail('paging did not end');
}

export const idsOf = (entries: readonly { id: string }[]): string[] => entries.map((e) => e.id);

/**
 * Reads a server stream one message at a time. `next(ms)` fails the test when nothing arrives in
 * `ms` (real time: only heartbeats and stream plumbing run on real timers).
 */
export function reader<T>(stream: AsyncIterable<T>) {
  const it = stream[Symbol.asyncIterator]();
  return {
    async next(ms = 5000): Promise<T> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no stream message within ${ms} ms`)), ms);
      });
      try {
        const r = await Promise.race([it.next(), timeout]);
        if (r.done === true) return expect.fail('the stream ended');
        return r.value;
      } finally {
        clearTimeout(timer);
      }
    },
    /** Resolves with the error the stream ends with (fails the test if it ends cleanly or stalls). */
    async error(ms = 5000): Promise<unknown> {
      const deadline = Date.now() + ms;
      for (;;) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
        });
        try {
          const r = await Promise.race([it.next(), timeout]);
          if (r === 'timeout') return expect.fail('the stream did not fail in time');
          if (r.done === true) return expect.fail('the stream ended without an error');
        } catch (error) {
          return error;
        } finally {
          clearTimeout(timer);
        }
      }
    },
    /** Every remaining message, until the stream ends. */
    async rest(): Promise<T[]> {
      const out: T[] = [];
      for (let r = await it.next(); r.done !== true; r = await it.next()) out.push(r.value);
      return out;
    },
    async return(): Promise<void> {
      await it.return?.();
    },
  };
}

/** Reads tail messages until `count` entries arrived; returns them with every message seen. */
export async function entriesFrom(
  tail: ReturnType<typeof reader<TailAuditResponse>>,
  count: number,
  ms = 5000,
): Promise<{ entries: Array<{ cursor: string; entry: AuditEntry }>; last: string }> {
  const entries: Array<{ cursor: string; entry: AuditEntry }> = [];
  let last = '';
  while (entries.length < count) {
    const msg = await tail.next(ms);
    expect(msg.cursor).not.toBe('');
    last = msg.cursor;
    if (msg.event.case === 'entry') entries.push({ cursor: msg.cursor, entry: msg.event.value });
  }
  return { entries, last };
}

/** Two users, each owning an agent that has made one decision. */
export async function twoOwnersWithDecisions(env: InProcess) {
  const alice = await signUp(env);
  const bob = await signUp(env);
  const mine = await aDecidingAgent(env, alice.sessionToken);
  const theirs = await aDecidingAgent(env, bob.sessionToken);
  await mine.decide();
  await theirs.decide();
  return { alice, bob, mine, theirs };
}
