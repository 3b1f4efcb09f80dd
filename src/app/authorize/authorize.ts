/**
 * "May this agent do this now?" (docs/ARCHITECTURE.md#decisions). The pure engine plans the decision from the
 * cached, compiled permission set; this module does the stateful rest (rate-limit slots,
 * approvals), writes exactly one durable audit entry, and returns the decision. A denial is a
 * value; only malformed input and store failures are errors (and a store failure never allows).
 */
import { invalidArgument } from '../../domain/errors.js';
import { validateLiteralAction, validateLiteralResource } from '../../domain/pattern.js';
import { planDecision } from '../../domain/decision.js';
import type { CompiledPermission } from '../../domain/plan.js';
import { DECISION_MESSAGES, type DenyPlan } from '../../domain/plan.js';
import { redactUrlPasswords } from '../../domain/redaction.js';
import { RATE_LIMIT_WINDOW_MS, retryAfterSecondsFromMs } from '../../domain/rate-limit.js';
import type { Arguments, AuditResult, ReasonCode } from '../../domain/types.js';
import { grantOf, type CachedAgent } from '../agents/agent-cache.js';
import { effectiveStatus } from '../../domain/lifecycle.js';
import { actorOf } from '../audit/audit-entry.js';
import { canSeeAgent, requireAuthenticated } from '../access.js';
import type { ApprovalSettings } from './approvals.js';
import type { AppContext } from '../app-context.js';
import type { Store } from '../../store/store.js';
import type { CallMeta, Principal } from '../auth/principal.js';
import { requestHash } from './request-hash.js';

export interface AuthorizeInput {
  /** Empty: the calling agent itself. */
  readonly agentId: string;
  readonly action: string;
  readonly resource: string;
  readonly arguments: Arguments;
  readonly clientIp: string;
}

export interface Decision {
  readonly allowed: boolean;
  readonly reason: ReasonCode;
  readonly message: string;
  readonly auditId: string;
  readonly retryAfterSeconds: number;
  readonly approvalId: string;
}

/**
 * A decision before its audit entry. `via` is the permission the outcome is about (the one that
 * allowed, or whose failure is the reason), so the entry can record its delegation chain.
 */
type Outcome = Omit<Decision, 'auditId'> & { readonly via?: CompiledPermission | undefined };

export const MAX_BATCH_CHECKS = 100;

function outcome(reason: ReasonCode, message: string, extra: Partial<Outcome> = {}): Outcome {
  return { allowed: reason === 'ALLOWED', reason, message, retryAfterSeconds: 0, approvalId: '', ...extra };
}

function resultOf(reason: ReasonCode): AuditResult {
  switch (reason) {
    case 'ALLOWED':
      return 'allowed';
    case 'RATE_LIMITED':
      return 'rate_limited';
    case 'APPROVAL_REQUIRED':
      return 'pending_approval';
    default:
      return 'denied';
  }
}

export function createAuthorizeUseCases(
  ctx: AppContext,
  store: Pick<Store, 'approvals' | 'rateLimits'>,
  settings: ApprovalSettings,
) {
  const { cache, audit, now, newId, redact, clientIp: resolveIp } = ctx;

  function validate(input: AuthorizeInput, prefix: string): void {
    validateLiteralAction(input.action, `${prefix}action`);
    validateLiteralResource(input.resource, `${prefix}resource`);
    if (input.agentId.length > 64) throw invalidArgument(`${prefix}agent_id`, 'must be at most 64 characters');
  }

  async function resolveAgent(principal: Principal, agentId: string): Promise<CachedAgent | undefined> {
    if (agentId === '') {
      if (principal.kind !== 'agent') {
        throw invalidArgument('agent_id', 'is required unless the caller authenticates with an agent token');
      }
      return cache.getById(principal.tenantId, principal.agentId);
    }
    if (principal.kind === 'agent' && principal.agentId !== agentId) return undefined;
    const agent = await cache.getById(principal.tenantId, agentId);
    return agent !== undefined && canSeeAgent(principal, agent.record) ? agent : undefined;
  }

  /**
   * Tries every candidate for a slot/approval; returns the allowing outcome, if any, the
   * retry-after of the first candidate when its rate limit refused, and the request hash when
   * an approval candidate needed it.
   */
  async function tryCandidates(
    agent: CachedAgent,
    candidates: readonly CompiledPermission[],
    input: AuthorizeInput,
    at: Date,
  ): Promise<{ allowed?: Outcome; firstRetryMs?: number; hash?: string }> {
    let firstRetryMs: number | undefined;
    const { tenantId, id: agentId } = agent.record;
    const slotKey = (p: CompiledPermission) => `${tenantId}:${agentId}:${p.key}`;
    const acquire = async (p: CompiledPermission): Promise<string | null | undefined> => {
      if (p.maxCallsPerHour === undefined) return null;
      const slot = await store.rateLimits.tryAcquire(slotKey(p), p.maxCallsPerHour, at, RATE_LIMIT_WINDOW_MS);
      if (slot.ok) return slot.slotId;
      if (p === candidates[0]) firstRetryMs = slot.retryAfterMs;
      return undefined;
    };
    // Rate-limited permissions first: they allow without leaving an approval pending.
    for (const p of candidates) {
      if (p.requireApproval) continue;
      if ((await acquire(p)) !== undefined) return { allowed: outcome('ALLOWED', DECISION_MESSAGES.ALLOWED, { via: p }) };
    }
    const needApproval = candidates.filter((p) => p.requireApproval);
    if (needApproval.length === 0) return { firstRetryMs };
    const hash = requestHash(agentId, input.action, input.resource, input.arguments);
    // One read serves every candidate; it is read again only when another call consumed it first.
    let approved = await store.approvals.findApproved(tenantId, agentId, hash, at);
    for (const p of needApproval) {
      if (approved === undefined) break;
      const slot = await acquire(p);
      if (slot === undefined) continue;
      if (await store.approvals.consume(tenantId, approved.id, at)) {
        return { allowed: outcome('ALLOWED', 'allowed by a one-time approval', { approvalId: approved.id, via: p }) };
      }
      if (slot !== null) await store.rateLimits.release(slotKey(p), slot);
      approved = await store.approvals.findApproved(tenantId, agentId, hash, at);
    }
    return { firstRetryMs, hash };
  }

  async function decideStateful(
    agent: CachedAgent,
    candidates: readonly CompiledPermission[],
    denial: DenyPlan | undefined,
    input: AuthorizeInput,
    at: Date,
  ): Promise<Outcome> {
    const { allowed, firstRetryMs, hash } = await tryCandidates(agent, candidates, input, at);
    if (allowed !== undefined) return allowed;
    if (denial !== undefined) return outcome(denial.reason, denial.message, { via: denial.permission });
    const first = candidates[0];
    if (first === undefined) return outcome('NO_MATCHING_PERMISSION', DECISION_MESSAGES.NO_MATCHING_PERMISSION);
    if (firstRetryMs !== undefined || !first.requireApproval) {
      return outcome('RATE_LIMITED', DECISION_MESSAGES.RATE_LIMITED, {
        retryAfterSeconds: retryAfterSecondsFromMs(firstRetryMs ?? 1000),
        via: first,
      });
    }
    const { record } = agent;
    const { approval } = await store.approvals.getOrCreatePending(
      {
        id: newId('apr'),
        tenantId: record.tenantId,
        agentId: record.id,
        ownerId: record.ownerId,
        action: input.action,
        // Shown to the owner who decides: no secret in it. Matching uses the request hash.
        resource: redactUrlPasswords(input.resource),
        arguments: redact(input.arguments),
        requestHash: hash ?? requestHash(record.id, input.action, input.resource, input.arguments),
        status: 'pending',
        createdAt: at,
        expiresAt: new Date(at.getTime() + settings.approvalTtlSeconds * 1000),
      },
      at,
    );
    return outcome('APPROVAL_REQUIRED', DECISION_MESSAGES.APPROVAL_REQUIRED, { approvalId: approval.id, via: first });
  }

  async function decide(principal: Principal, input: AuthorizeInput, ip: string | undefined): Promise<Decision> {
    const started = process.hrtime.bigint();
    const at = now();
    const agent = await resolveAgent(principal, input.agentId);
    let result: Outcome;
    // An agent whose owner is no user of its tenant decides nothing (stored before CreateAgent checked).
    if (agent === undefined || !agent.ownerExists) {
      result = outcome('AGENT_NOT_FOUND', DECISION_MESSAGES.AGENT_NOT_FOUND);
    } else {
      const status = effectiveStatus(agent.record, at);
      if (status === 'revoked') result = outcome('AGENT_REVOKED', DECISION_MESSAGES.AGENT_REVOKED);
      else if (status === 'expired') result = outcome('AGENT_EXPIRED', DECISION_MESSAGES.AGENT_EXPIRED);
      else {
        const plan = planDecision(agent.permissions, {
          action: input.action,
          resource: input.resource,
          args: input.arguments,
          ip,
          now: at,
        });
        if (plan.kind === 'allow') result = outcome('ALLOWED', DECISION_MESSAGES.ALLOWED, { via: plan.permission });
        else if (plan.kind === 'deny') result = outcome(plan.reason, plan.message, { via: plan.permission });
        else result = await decideStateful(agent, plan.candidates, plan.denial, input, at);
      }
    }
    const visible = agent !== undefined;
    // A decision made through a delegated permission records its whole chain, root holder first.
    const chain = visible ? grantOf(agent, result.via)?.agentChain : undefined;
    const auditId = await audit.record(
      {
        tenantId: principal.tenantId,
        actor: actorOf(principal),
        action: input.action,
        resource: input.resource,
        arguments: input.arguments,
        // An agent the caller may not see is not named as the entry's agent or owner: that would
        // file the caller's request (and its arguments) in another owner's log. The caller keeps
        // it in its own view, with the id it asked for in the message.
        agentId: visible ? agent.record.id : principal.kind === 'agent' ? principal.agentId : '',
        ownerId: visible ? agent.record.ownerId : principal.kind === 'user' ? principal.userId : '',
        result: resultOf(result.reason),
        reason: result.reason,
        message: visible ? result.message : `${result.message} (agent_id ${JSON.stringify(input.agentId)})`,
        clientIp: ip ?? '',
        approvalId: result.approvalId,
        ...(chain === undefined ? {} : { delegationChain: chain }),
        durationUs: Number(process.hrtime.bigint() - started) / 1000,
      },
      at,
    );
    const { via: _via, ...decision } = result;
    return { ...decision, auditId };
  }

  return {
    async authorize(principal: Principal, meta: CallMeta, input: AuthorizeInput): Promise<Decision> {
      requireAuthenticated(principal);
      validate(input, '');
      return decide(principal, input, resolveIp(principal, meta, input.clientIp, 'client_ip'));
    },

    /** Decides every check, in order; one malformed check refuses the whole batch before any decision. */
    async authorizeBatch(principal: Principal, meta: CallMeta, checks: readonly AuthorizeInput[]): Promise<Decision[]> {
      requireAuthenticated(principal);
      if (checks.length === 0) throw invalidArgument('checks', 'must hold at least one check');
      if (checks.length > MAX_BATCH_CHECKS) throw invalidArgument('checks', `must hold at most ${MAX_BATCH_CHECKS} checks`);
      const ips = checks.map((check, i) => {
        validate(check, `checks[${i}].`);
        if (check.agentId === '' && principal.kind !== 'agent') {
          throw invalidArgument(`checks[${i}].agent_id`, 'is required unless the caller authenticates with an agent token');
        }
        return resolveIp(principal, meta, check.clientIp, `checks[${i}].client_ip`);
      });
      // Concurrent, so that their audit entries share one group commit.
      return Promise.all(checks.map((check, i) => decide(principal, check, ips[i])));
    },
  };
}

export type AuthorizeUseCases = ReturnType<typeof createAuthorizeUseCases>;
