/**
 * AuditService.ExportAudit in process (docs/ARCHITECTURE.md#audit): JSON lines that parse as AuditEntry, RFC 4180
 * CSV with a header and formula escaping, oldest first, in chunks ending on whole lines, with the
 * same filters and visibility as QueryAudit.
 */
import { fromJsonString } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { AuditService, ExportFormat } from '../../gen/kavach/v1/audit_service_pb.js';
import { AuditEntrySchema, AuditResult } from '../../gen/kavach/v1/types_pb.js';
import type { AuditRecord } from '../../src/domain/records.js';
import type { InProcess } from '../support/app.js';
import { anAuditRecord } from '../support/builders.js';
import { parseCsv } from '../support/csv.js';
import { aDecidingAgent, idsOf, queryAll, reader, twoOwnersWithDecisions, type FilterInit } from './audit-given.js';
import { codeOf, useInProcess } from './given.js';

const CHUNK_BYTES = 64 * 1024;

async function exportChunks(env: InProcess, token: string, format: ExportFormat, filter: FilterInit = {}): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const res of env.client(AuditService, token).exportAudit({ format, filter })) chunks.push(Buffer.from(res.data));
  return chunks;
}

const text = (chunks: readonly Buffer[]) => Buffer.concat(chunks).toString('utf8');
const jsonLines = (chunks: readonly Buffer[]) =>
  text(chunks)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => fromJsonString(AuditEntrySchema, line));

/** Entries of the default tenant written straight to the store, in one batch, oldest first. */
async function stored(env: InProcess, overrides: Array<Partial<AuditRecord>>): Promise<AuditRecord[]> {
  const base = env.clock.now().getTime();
  const records = overrides.map((o, i) => anAuditRecord({ tenantId: 'default', time: new Date(base + i), ...o }));
  await env.store.audit.append(records);
  return records;
}

describe('ExportAudit as JSON lines', () => {
  const env = useInProcess();

  it('writes every matching entry oldest first, each line an AuditEntry equal to what QueryAudit returns', async () => {
    const agent = await aDecidingAgent(env());
    for (const action of ['read', 'write', 'read', 'delete']) {
      // Distinct times make QueryAudit's (time, id) order the write order.
      env().clock.advance(1);
      await agent.decide(action, `r:${action}`);
    }
    const filter = { agentId: agent.id };
    const queried = (await queryAll(env().client(AuditService, env().adminToken), filter)).entries;
    expect(queried.length).toBe(5);

    for (const format of [ExportFormat.JSONL, ExportFormat.UNSPECIFIED]) {
      const lines = jsonLines(await exportChunks(env(), env().adminToken, format, filter));
      expect(lines).toEqual([...queried].reverse());
    }
  });

  it('applies the filters as QueryAudit does', async () => {
    const agent = await aDecidingAgent(env());
    await agent.decide('read');
    await agent.decide('write');
    await agent.decide('read', 'other');
    const filter = { resourcePrefix: `${agent.prefix}repos`, result: AuditResult.ALLOWED };
    const lines = jsonLines(await exportChunks(env(), env().adminToken, ExportFormat.JSONL, filter));
    expect(lines.map((e) => [e.action, e.resource])).toEqual([['read', `${agent.prefix}repos`]]);
  });

  it('sends chunks of at most 64 KiB that each end on a whole line, unless one line is larger', async () => {
    const big = { blob: 'x'.repeat(70 * 1024) };
    const records = await stored(env(), [
      ...Array.from({ length: 300 }, (_, i) => ({ arguments: { n: i, pad: 'p'.repeat(900) } })),
      { arguments: big },
      ...Array.from({ length: 50 }, (_, i) => ({ arguments: { n: i } })),
    ]);
    const chunks = await exportChunks(env(), env().adminToken, ExportFormat.JSONL);
    expect(chunks.length).toBeGreaterThan(4);
    for (const chunk of chunks) {
      expect(chunk.at(-1)).toBe(0x0a);
      const lines = chunk.toString('utf8').split('\n').length - 1;
      if (lines > 1) expect(chunk.length).toBeLessThanOrEqual(CHUNK_BYTES);
    }
    expect(idsOf(jsonLines(chunks))).toEqual(idsOf(records));
  });

  it('covers the entries written before it started, not those written while it streams', async () => {
    const before = await stored(env(), Array.from({ length: 400 }, () => ({ arguments: { pad: 'p'.repeat(1000) } })));
    const stream = reader(env().client(AuditService, env().adminToken).exportAudit({ format: ExportFormat.JSONL }));
    const chunks = [Buffer.from((await stream.next()).data)];
    await stored(env(), Array.from({ length: 20 }, () => ({})));
    chunks.push(...(await stream.rest()).map((m) => Buffer.from(m.data)));
    expect(idsOf(jsonLines(chunks))).toEqual(idsOf(before));
  });
});

describe('ExportAudit as CSV', () => {
  const env = useInProcess();

  it('writes a header row and one RFC 4180 record per entry, oldest first', async () => {
    const agent = await aDecidingAgent(env());
    env().clock.advance(1);
    await agent.decide('read');
    env().clock.advance(1);
    await agent.decide('write');
    const rows = parseCsv(text(await exportChunks(env(), env().adminToken, ExportFormat.CSV, { agentId: agent.id })));
    expect(rows[0]).toEqual([
      'id', 'tenant_id', 'time', 'actor_kind', 'actor_id', 'agent_id', 'owner_id', 'action', 'resource', 'arguments',
      'result', 'reason', 'message', 'client_ip', 'delegation_chain', 'duration_us', 'approval_id',
    ]);
    const queried = (await queryAll(env().client(AuditService, env().adminToken), { agentId: agent.id })).entries.reverse();
    expect(rows.slice(1).map((r) => r[0])).toEqual(idsOf(queried));
    const write = rows.find((r) => r[7] === 'write');
    expect(write).toEqual([
      expect.stringMatching(/^aud_/), 'default', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'agent', agent.id, agent.id,
      agent.ownerId, 'write', `${agent.prefix}repos`, '{}', 'denied', 'NO_MATCHING_PERMISSION', expect.any(String),
      '127.0.0.1', '', expect.stringMatching(/^\d+$/), '',
    ]);
  });

  it('quotes commas, quotes and line breaks, and escapes cells a spreadsheet would run as formulas', async () => {
    const [entry] = await stored(env(), [
      {
        action: '-rf',
        resource: '=HYPERLINK("http://evil.example","click")',
        message: 'line one\r\nline "two", with a comma',
        clientIp: '@SUM(1)',
        arguments: { cmd: '=1+1' },
        delegationChain: ['+agt_a', 'agt_b'],
      },
    ]);
    const csv = text(await exportChunks(env(), env().adminToken, ExportFormat.CSV, { agentId: entry?.agentId }));
    expect(csv).toContain(`,'-rf,"'=HYPERLINK(""http://evil.example"",""click"")",`);
    expect(csv).toContain(`"line one\r\nline ""two"", with a comma"`);
    const [, row] = parseCsv(csv);
    expect(row?.slice(7, 15)).toEqual([
      "'-rf",
      '\'=HYPERLINK("http://evil.example","click")',
      '{"cmd":"=1+1"}',
      'allowed',
      'ALLOWED',
      'line one\r\nline "two", with a comma',
      "'@SUM(1)",
      "'+agt_a agt_b",
    ]);
  });

  it('writes only the header when nothing matches', async () => {
    const csv = text(await exportChunks(env(), env().adminToken, ExportFormat.CSV, { agentId: 'agt_nothing' }));
    expect(parseCsv(csv)).toHaveLength(1);
  });

  it('refuses an unknown format as InvalidArgument', async () => {
    const call = exportChunks(env(), env().adminToken, 7 as ExportFormat);
    expect(await codeOf(call)).toBe(Code.InvalidArgument);
  });
});

describe('ExportAudit visibility', () => {
  const env = useInProcess();

  it("exports a user's entries only, and nothing for another owner's filter", async () => {
    const { alice, bob, theirs } = await twoOwnersWithDecisions(env());
    const lines = jsonLines(await exportChunks(env(), alice.sessionToken, ExportFormat.JSONL));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.every((e) => e.ownerId === alice.userId)).toBe(true);
    expect(jsonLines(await exportChunks(env(), alice.sessionToken, ExportFormat.JSONL, { ownerId: bob.userId }))).toEqual([]);
    const csv = parseCsv(text(await exportChunks(env(), alice.sessionToken, ExportFormat.CSV, { agentId: theirs.id })));
    expect(csv).toHaveLength(1);
  });

  it("exports an agent's own entries only", async () => {
    const me = await aDecidingAgent(env());
    const other = await aDecidingAgent(env(), env().adminToken, me.ownerId);
    await me.decide();
    await other.decide();
    const lines = jsonLines(await exportChunks(env(), me.token, ExportFormat.JSONL));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.every((e) => e.agentId === me.id)).toBe(true);
    expect(jsonLines(await exportChunks(env(), me.token, ExportFormat.JSONL, { agentId: other.id }))).toEqual([]);
  });

  it('needs a credential', async () => {
    expect(await codeOf(exportChunks(env(), '', ExportFormat.JSONL))).toBe(Code.Unauthenticated);
  });
});
