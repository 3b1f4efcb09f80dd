/**
 * Audit filters as callers send them: validated, narrowed to what the caller may see, and
 * matched in memory (for the live tail) with exactly the store's semantics.
 *
 * Visibility (docs/ARCHITECTURE.md#callers-and-credentials) is forced here, whatever the request says: the admin sees every
 * entry of its tenant, a user only entries about agents they own or about themselves
 * (`ownerId` = their id), an agent only entries about itself. A filter naming someone else
 * matches nothing; it is not an error, so nothing says whether that someone exists.
 */
import { invalidArgument } from '../../domain/errors.js';
import type { AuditResult } from '../../domain/types.js';
import type { AuditRecord } from '../../domain/records.js';
import type { AuditFilter } from '../../store/store.js';
import type { Authenticated } from '../access.js';
import { validateId, validateOwnerId } from '../validation.js';

/** A filter as it arrives: empty strings and lists mean "any". */
export interface AuditFilterInput {
  readonly agentId: string;
  readonly ownerId: string;
  readonly actions: readonly string[];
  readonly resourcePrefix: string;
  readonly result: AuditResult | undefined;
  readonly since: Date | undefined;
  readonly until: Date | undefined;
}

export const EMPTY_AUDIT_FILTER: AuditFilterInput = {
  agentId: '',
  ownerId: '',
  actions: [],
  resourcePrefix: '',
  result: undefined,
  since: undefined,
  until: undefined,
};

const MAX_ACTIONS = 32;
const MAX_ACTION_LENGTH = 128;
const MAX_PREFIX_LENGTH = 512;

/** Checks sizes and shapes and turns the input into a store filter. Throws invalid_argument naming `filter.<field>`. */
export function validateAuditFilter(input: AuditFilterInput): AuditFilter {
  if (input.agentId !== '') validateId(input.agentId, 'filter.agent_id');
  if (input.ownerId !== '') validateOwnerId(input.ownerId, 'filter.owner_id');
  if (input.actions.length > MAX_ACTIONS) throw invalidArgument('filter.actions', `must hold at most ${MAX_ACTIONS} actions`);
  input.actions.forEach((action, i) => {
    if (action === '' || action.length > MAX_ACTION_LENGTH) {
      throw invalidArgument(`filter.actions[${i}]`, `must be 1 to ${MAX_ACTION_LENGTH} characters`);
    }
  });
  if (input.resourcePrefix.length > MAX_PREFIX_LENGTH) {
    throw invalidArgument('filter.resource_prefix', `must be at most ${MAX_PREFIX_LENGTH} characters`);
  }
  for (const [field, date] of [['since', input.since], ['until', input.until]] as const) {
    if (date !== undefined && Number.isNaN(date.getTime())) throw invalidArgument(`filter.${field}`, 'is not a valid time');
  }
  return {
    agentId: input.agentId === '' ? undefined : input.agentId,
    ownerId: input.ownerId === '' ? undefined : input.ownerId,
    actions: input.actions.length === 0 ? undefined : [...new Set(input.actions)],
    resourcePrefix: input.resourcePrefix === '' ? undefined : input.resourcePrefix,
    result: input.result,
    since: input.since,
    until: input.until,
  };
}

/**
 * The filter narrowed to what `caller` may see, or undefined when it can match nothing the
 * caller may see (a user naming another owner, an agent naming another agent).
 */
export function visibleAuditFilter(caller: Authenticated, filter: AuditFilter): AuditFilter | undefined {
  switch (caller.kind) {
    case 'admin':
      return filter;
    case 'user':
      if (filter.ownerId !== undefined && filter.ownerId !== caller.userId) return undefined;
      return { ...filter, ownerId: caller.userId };
    case 'agent':
      if (filter.agentId !== undefined && filter.agentId !== caller.agentId) return undefined;
      return { ...filter, agentId: caller.agentId };
  }
}

/** Does `entry` of any tenant match `filter` in `tenantId`? The same rules as `AuditStore.query`. */
export function auditEntryMatches(entry: AuditRecord, tenantId: string, filter: AuditFilter): boolean {
  const t = entry.time.getTime();
  return (
    entry.tenantId === tenantId &&
    (filter.agentId === undefined || entry.agentId === filter.agentId) &&
    (filter.ownerId === undefined || entry.ownerId === filter.ownerId) &&
    (filter.actions === undefined || filter.actions.length === 0 || filter.actions.includes(entry.action)) &&
    (filter.resourcePrefix === undefined || entry.resource.startsWith(filter.resourcePrefix)) &&
    (filter.result === undefined || entry.result === filter.result) &&
    (filter.since === undefined || t >= filter.since.getTime()) &&
    (filter.until === undefined || t < filter.until.getTime())
  );
}
