import { describe, expect, it } from 'vitest';
import type { AuditFields } from '../../../src/app/audit-entry.js';
import type { AuditLog } from '../../../src/app/audit-log.js';
import { addressKey, createRejectionAuditor, type Rejection } from '../../../src/app/rejection-audit.js';

function setup(perWindow = 3) {
  const written: AuditFields[] = [];
  const audit: AuditLog = {
    record: (fields) => {
      written.push(fields);
      return Promise.resolve(`aud_${written.length}`);
    },
    build: () => {
      throw new Error('not used');
    },
    write: () => Promise.resolve(),
  };
  let t = Date.parse('2026-11-27T10:00:00.000Z');
  const auditor = createRejectionAuditor({ audit, now: () => new Date(t), perWindow });
  const from = (clientIp: string, extra: Partial<Rejection> = {}): Rejection => ({
    tenantId: 'default',
    agentId: '',
    ownerId: '',
    clientIp,
    message: 'unknown bearer token',
    ...extra,
  });
  const summaries = () => written.filter((w) => w.arguments?.suppressed !== undefined);
  return { auditor, written, from, summaries, advance: (ms: number) => (t += ms) };
}

describe('rejected-credential auditing', () => {
  it('audits the first N rejections of a source each minute one by one and counts the rest in one summary', async () => {
    const { auditor, written, from, summaries, advance } = setup(3);
    for (let i = 0; i < 10; i++) await auditor.record(from('203.0.113.7'));
    expect(written).toHaveLength(3);
    expect(written.every((w) => w.action === 'auth.token_rejected' && w.result === 'denied' && w.reason === 'INVALID_TOKEN')).toBe(true);

    await auditor.flush(); // the minute is not over: nothing owed yet
    expect(summaries()).toHaveLength(0);
    advance(60_000);
    await auditor.flush();
    expect(summaries()).toHaveLength(1);
    expect(summaries()[0]).toMatchObject({
      tenantId: 'default',
      clientIp: '203.0.113.7',
      arguments: { suppressed: 7, window_start: '2026-11-27T10:00:00.000Z', window_seconds: 60 },
    });
    expect(summaries()[0]?.message).toMatch(/^7 more rejected credentials/);
    await auditor.flush(); // written once only
    expect(summaries()).toHaveLength(1);
  });

  it('keeps sources apart: another address, tenant or agent has its own limit', async () => {
    const { auditor, written, from } = setup(2);
    for (let i = 0; i < 5; i++) await auditor.record(from('203.0.113.7'));
    for (let i = 0; i < 5; i++) await auditor.record(from('203.0.113.8'));
    for (let i = 0; i < 5; i++) await auditor.record(from('203.0.113.7', { tenantId: 'acme' }));
    for (let i = 0; i < 5; i++) await auditor.record(from('203.0.113.7', { agentId: 'agt_a', ownerId: 'usr_a' }));
    expect(written).toHaveLength(8);
    const agentEntries = written.filter((w) => w.agentId === 'agt_a');
    expect(agentEntries.every((w) => w.ownerId === 'usr_a' && w.actor.kind === 'agent')).toBe(true);
  });

  it('limits an IPv6 host by its /64, so rotating the low bits does not escape the limit', async () => {
    const { auditor, written, from } = setup(2);
    for (let i = 1; i <= 6; i++) await auditor.record(from(`2001:db8:1:2::${i.toString(16)}`));
    expect(written).toHaveLength(2);
    await auditor.record(from('2001:db8:1:3::1'));
    expect(written).toHaveLength(3);
    expect(addressKey('2001:0db8:0001:0002:ffff:0:0:1')).toBe(addressKey('2001:db8:1:2::'));
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('not an address')).toBe('not an address');
  });

  it('writes a finished minute’s summary when the source comes back, and starts a new minute', async () => {
    const { auditor, written, from, summaries, advance } = setup(1);
    for (let i = 0; i < 4; i++) await auditor.record(from('198.51.100.1'));
    advance(61_000);
    await auditor.record(from('198.51.100.1'));
    expect(summaries().map((s) => s.arguments?.suppressed)).toEqual([3]);
    expect(written).toHaveLength(3); // first, summary, the first of the new minute
  });

  it('writes what is owed at shutdown, finished minute or not', async () => {
    const { auditor, from, summaries } = setup(1);
    for (let i = 0; i < 3; i++) await auditor.record(from('198.51.100.2'));
    await auditor.record(from('198.51.100.3'));
    await auditor.flushAll();
    expect(summaries().map((s) => [s.clientIp, s.arguments?.suppressed])).toEqual([['198.51.100.2', 2]]);
  });

  it('stays bounded under many sources, summarising the oldest it drops', async () => {
    const { auditor, from, summaries } = setup(1);
    await auditor.record(from('10.0.0.1'));
    await auditor.record(from('10.0.0.1'));
    for (let i = 0; i < 10_000; i++) await auditor.record(from(`10.1.${i >> 8}.${i & 255}`));
    expect(summaries().map((s) => [s.clientIp, s.arguments?.suppressed])).toEqual([['10.0.0.1', 1]]);
  });
});
