import { describe, expect, it } from 'vitest';
import type { AuditFields } from '../../../../src/app/audit/audit-entry.js';
import type { AuditLog } from '../../../../src/app/audit/audit-log.js';
import pino from 'pino';
import {
  addressKey,
  createRejectionAuditor,
  MAX_SOURCES,
  SIGN_IN_THROTTLED,
  type Rejection,
  type RefusalKind,
} from '../../../../src/app/audit/rejection-audit.js';

function setup(perWindow = 3, failWrites = false, kind?: RefusalKind) {
  const written: AuditFields[] = [];
  const audit: AuditLog = {
    record: (fields) => {
      if (failWrites) return Promise.reject(new Error('store down'));
      written.push(fields);
      return Promise.resolve(`aud_${written.length}`);
    },
    build: () => {
      throw new Error('not used');
    },
    write: () => Promise.resolve(),
  };
  let t = Date.parse('2026-11-27T10:00:00.000Z');
  const logged: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(line) });
  const auditor = createRejectionAuditor({ audit, now: () => new Date(t), logger, perWindow, kind });
  const from = (clientIp: string, extra: Partial<Rejection> = {}): Rejection => ({
    tenantId: 'default',
    agentId: '',
    ownerId: '',
    clientIp,
    message: 'unknown bearer token',
    ...extra,
  });
  const summaries = () => written.filter((w) => w.arguments?.suppressed !== undefined);
  return { auditor, written, logged, from, summaries, advance: (ms: number) => (t += ms) };
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

  it('caps one-by-one entries over all sources together at ten times the per-source limit', async () => {
    const { auditor, written, summaries, from, advance } = setup(2);
    for (let source = 0; source < 15; source++) {
      for (let i = 0; i < 5; i++) auditor.record(from(`198.51.100.${source}`));
    }
    expect(written).toHaveLength(20);
    advance(60_000);
    await auditor.flush();
    const counted = summaries().reduce((n, s) => n + Number(s.arguments?.suppressed), 0);
    expect(written.length - summaries().length + counted).toBe(75); // every rejection accounted for
  });

  it('tracks at most MAX_SOURCES sources; the rest are counted per tenant in one anonymous summary', async () => {
    const { auditor, written, summaries, from } = setup(100); // the global cap (1,000) stays out of the way
    for (let i = 0; i < MAX_SOURCES; i++) auditor.record(from(`10.1.${i >> 8}.${i & 255}`));
    const before = written.length;
    expect(before).toBe(MAX_SOURCES);
    for (let i = 0; i < 500; i++) auditor.record(from(`10.2.${i >> 8}.${i & 255}`));
    for (let i = 0; i < 3; i++) auditor.record(from('10.3.0.1', { tenantId: 'acme', agentId: 'agt_x', ownerId: 'usr_x' }));
    expect(written).toHaveLength(before);
    await auditor.flushAll();
    expect(summaries().map((s) => [s.tenantId, s.clientIp, s.agentId, s.actor.kind, s.arguments?.suppressed])).toEqual([
      ['default', '', '', 'anonymous', 500],
      ['acme', '', '', 'anonymous', 3],
    ]);
    expect(summaries()[0]?.message).toMatch(/beyond the 1000 tracked/);
  });

  it('never throws when the audit write fails: it logs, and the caller still gets its answer', async () => {
    const { auditor, logged, from } = setup(1, true);
    expect(() => auditor.record(from('192.0.2.1'))).not.toThrow();
    auditor.record(from('192.0.2.1'));
    await expect(auditor.flushAll()).resolves.toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(logged.join('')).toMatch(/could not audit a rejected credential/);
    expect(logged.join('')).toMatch(/could not audit a summary of rejected credentials/);
  });

  it('records throttled sign-ins with their own action, result, reason, actor and resource, capped the same way', async () => {
    const { auditor, written, from, summaries, advance } = setup(2, false, SIGN_IN_THROTTLED);
    const attempt = from('198.51.100.4', { ownerId: 'usr_ann', resource: 'user:usr_ann', actor: { kind: 'anonymous', id: '' }, message: 'sign-in throttled' });
    for (let i = 0; i < 50; i++) auditor.record(attempt);
    expect(written).toHaveLength(2);
    expect(written[0]).toMatchObject({
      action: 'auth.sign_in',
      result: 'rate_limited',
      reason: 'RATE_LIMITED',
      ownerId: 'usr_ann',
      resource: 'user:usr_ann',
      actor: { kind: 'anonymous', id: '' },
      message: 'sign-in throttled',
    });
    advance(60_000);
    await auditor.flush();
    expect(summaries()).toHaveLength(1);
    expect(summaries()[0]).toMatchObject({ action: 'auth.sign_in', result: 'rate_limited', arguments: { suppressed: 48 } });
    expect(summaries()[0]?.message).toMatch(/^48 more throttled sign-in attempts from this source/);
  });
});
