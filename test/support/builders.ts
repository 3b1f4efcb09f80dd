/**
 * Test data builders: every call returns a new, valid record with random defaults; pass
 * overrides for the fields a test cares about. Nothing here is shared or mutable between tests.
 *
 *   const agent = anAgent({ tenantId, ownerId, createdAt: at(5) });
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Permission } from '../../src/domain/types.js';
import type {
  AgentRecord,
  ApprovalRecord,
  AuditRecord,
  DelegationRecord,
  SessionRecord,
  UserRecord,
} from '../../src/domain/records.js';

/** `<prefix>_` followed by 20 random lower-case hex characters (so ids sort as plain ASCII). */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(10).toString('hex')}`;
}

/** SHA-256 of `text` (UTF-8), as 64 lower-case hex characters. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A random 64-hex string, shaped like the SHA-256 of a token. */
export function aTokenHash(): string {
  return randomBytes(32).toString('hex');
}

const BASE_MS = Date.parse('2026-01-01T00:00:00.000Z');
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** A random date within 30 days after 2026-01-01, with a random millisecond part. */
export function aDate(): Date {
  return new Date(BASE_MS + randomInt(0, 30 * DAY_MS));
}

function suffix(): string {
  return randomBytes(4).toString('hex');
}

export function aPermission(overrides: Partial<Permission> = {}): Permission {
  return {
    resource: `mcp:github:${suffix()}:*`,
    actions: ['read'],
    constraints: { ipAllowlist: [], argumentRules: [], requireApproval: false },
    ...overrides,
  };
}

export function aUser(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id: randomId('usr'),
    tenantId: randomId('ten'),
    email: `user-${suffix()}@example.com`,
    name: `User ${suffix()}`,
    passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`,
    createdAt: aDate(),
    ...overrides,
  };
}

export function aSession(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const createdAt = overrides.createdAt ?? aDate();
  return {
    id: randomId('ses'),
    tenantId: randomId('ten'),
    userId: randomId('usr'),
    tokenHash: aTokenHash(),
    createdAt,
    expiresAt: new Date(createdAt.getTime() + 7 * DAY_MS),
    idleExpiresAt: new Date(createdAt.getTime() + DAY_MS),
    lastUsedAt: createdAt,
    ...overrides,
  };
}

export function anAgent(overrides: Partial<AgentRecord> = {}): AgentRecord {
  const createdAt = overrides.createdAt ?? aDate();
  return {
    id: randomId('agt'),
    tenantId: randomId('ten'),
    ownerId: randomId('usr'),
    name: `agent-${suffix()}`,
    type: 'autonomous',
    status: 'active',
    permissions: [aPermission()],
    metadata: { team: `team-${suffix()}` },
    tokenHash: aTokenHash(),
    tokenPrefix: `kv_${randomBytes(3).toString('hex')}`,
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  };
}

export function anApproval(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const createdAt = overrides.createdAt ?? aDate();
  return {
    id: randomId('apr'),
    tenantId: randomId('ten'),
    agentId: randomId('agt'),
    ownerId: randomId('usr'),
    action: 'write',
    resource: `mcp:github:repos:${suffix()}`,
    arguments: { path: `/tmp/${suffix()}`, force: true, count: 3 },
    requestHash: aTokenHash(),
    status: 'pending',
    createdAt,
    expiresAt: new Date(createdAt.getTime() + 5 * MINUTE_MS),
    ...overrides,
  };
}

export function anAuditRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  const agentId = overrides.agentId ?? randomId('agt');
  return {
    id: randomId('aud'),
    tenantId: randomId('ten'),
    time: aDate(),
    actor: { kind: 'agent', id: agentId },
    agentId,
    ownerId: randomId('usr'),
    action: 'read',
    resource: `mcp:github:repos:${suffix()}`,
    arguments: { repo: `r-${suffix()}`, token: '[REDACTED]' },
    result: 'allowed',
    reason: 'ALLOWED',
    message: 'allowed by mcp:github:*',
    clientIp: '203.0.113.7',
    delegationChain: [],
    durationUs: randomInt(1, 5000),
    approvalId: '',
    ...overrides,
  };
}

/** A first-hop delegation (depth 1) between two random agents, unless overridden. */
export function aDelegation(overrides: Partial<DelegationRecord> = {}): DelegationRecord {
  const fromAgentId = overrides.fromAgentId ?? randomId('agt');
  return {
    id: randomId('dlg'),
    tenantId: randomId('ten'),
    ownerId: randomId('usr'),
    fromAgentId,
    toAgentId: randomId('agt'),
    permissions: [aPermission()],
    depth: 1,
    maxDepth: 1,
    ancestorIds: [],
    agentChain: [fromAgentId],
    status: 'active',
    createdAt: aDate(),
    ...overrides,
  };
}
