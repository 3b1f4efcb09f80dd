/**
 * Protobuf <-> domain conversions. The API layer is the only one that knows `gen/`; everything
 * below it speaks domain types. Conversions that can fail (an unset oneof, an unspecified enum)
 * throw invalid_argument naming the field as the client wrote it.
 */
import { create } from '@bufbuild/protobuf';
import { TimestampSchema, timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import type { JsonObject } from '@bufbuild/protobuf';
import { invalidArgument } from '../domain/errors.js';
import type {
  ActorKind,
  AgentStatus,
  AgentType,
  ApprovalStatus,
  Arguments,
  ArgumentRule,
  AuditResult,
  Permission,
  ReasonCode,
  Weekday,
} from '../domain/types.js';
import {
  ActorKind as PbActorKind,
  AgentStatus as PbAgentStatus,
  AgentType as PbAgentType,
  ApprovalStatus as PbApprovalStatus,
  AuditResult as PbAuditResult,
  ConstraintsSchema,
  PermissionSchema,
  ReasonCode as PbReasonCode,
  TimeWindowSchema,
  Weekday as PbWeekday,
  type Actor as PbActor,
  type ArgumentRule as PbArgumentRule,
  type Permission as PbPermission,
  ArgumentRuleSchema,
  ActorSchema,
} from '../../gen/kavach/v1/types_pb.js';
import type { Actor } from '../domain/types.js';

/**
 * A Timestamp as a Date. One outside what a Date can hold (e.g. seconds 1e15) is
 * invalid_argument naming `field`, never an Invalid Date that compares false with everything.
 */
export function toDate(ts: Timestamp | undefined, field: string): Date | undefined {
  if (ts === undefined) return undefined;
  const date = timestampDate(ts);
  const ms = date.getTime();
  if (Number.isNaN(ms) || ms < MIN_TIME_MS || ms > MAX_TIME_MS || ts.nanos < 0 || ts.nanos > 999_999_999) {
    throw invalidArgument(field, 'must be a time between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z with nanos 0..999999999');
  }
  return date;
}
/** The protobuf JSON range of a Timestamp, in milliseconds: 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999Z. */
const MIN_TIME_MS = -62_135_596_800_000;
const MAX_TIME_MS = 253_402_300_799_999;

/**
 * A stored Date as a Timestamp. Times are range-checked on the way in, but a value an older
 * server stored outside the range a Timestamp can carry in JSON (years 1..9999) is clamped to
 * its end (0001-01-01T00:00:00Z or 9999-12-31T23:59:59.999999999Z: "never"), so that one bad
 * row never turns every JSON read that includes it into a 500. An invalid Date reads as unset.
 */
export function toTimestamp(d: Date | undefined): Timestamp | undefined {
  if (d === undefined) return undefined;
  const ms = d.getTime();
  if (Number.isNaN(ms)) return undefined;
  if (ms < MIN_TIME_MS) return create(TimestampSchema, { seconds: BigInt(MIN_TIME_MS / 1000), nanos: 0 });
  if (ms > MAX_TIME_MS) return create(TimestampSchema, { seconds: BigInt(Math.floor(MAX_TIME_MS / 1000)), nanos: 999_999_999 });
  return timestampFromDate(d);
}

const WEEKDAYS: Record<Exclude<PbWeekday, PbWeekday.UNSPECIFIED>, Weekday> = {
  [PbWeekday.MONDAY]: 'mon',
  [PbWeekday.TUESDAY]: 'tue',
  [PbWeekday.WEDNESDAY]: 'wed',
  [PbWeekday.THURSDAY]: 'thu',
  [PbWeekday.FRIDAY]: 'fri',
  [PbWeekday.SATURDAY]: 'sat',
  [PbWeekday.SUNDAY]: 'sun',
};
const WEEKDAY_TO_PB = Object.fromEntries(Object.entries(WEEKDAYS).map(([k, v]) => [v, Number(k)])) as Record<Weekday, PbWeekday>;

function argumentRuleFromProto(rule: PbArgumentRule, field: string): ArgumentRule {
  switch (rule.rule.case) {
    case 'glob':
      return { name: rule.name, kind: 'glob', glob: rule.rule.value };
    case 'allowedValues':
      return { name: rule.name, kind: 'values', values: [...rule.rule.value.values] };
    case 'range': {
      const { min, max } = rule.rule.value;
      return { name: rule.name, kind: 'range', ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
    }
    case undefined:
      throw invalidArgument(field, 'must set one of glob, allowed_values or range');
  }
}

function argumentRuleToProto(rule: ArgumentRule): PbArgumentRule {
  switch (rule.kind) {
    case 'glob':
      return create(ArgumentRuleSchema, { name: rule.name, rule: { case: 'glob', value: rule.glob } });
    case 'values':
      return create(ArgumentRuleSchema, { name: rule.name, rule: { case: 'allowedValues', value: { values: [...rule.values] } } });
    case 'range':
      return create(ArgumentRuleSchema, { name: rule.name, rule: { case: 'range', value: { min: rule.min, max: rule.max } } });
  }
}

export function permissionFromProto(p: PbPermission, field: string): Permission {
  const c = p.constraints;
  const tw = c?.timeWindow;
  return {
    resource: p.resource,
    actions: [...p.actions],
    constraints: {
      ...(c?.maxCallsPerHour === undefined ? {} : { maxCallsPerHour: c.maxCallsPerHour }),
      ipAllowlist: [...(c?.ipAllowlist ?? [])],
      ...(tw === undefined
        ? {}
        : {
            timeWindow: {
              start: tw.start,
              end: tw.end,
              timeZone: tw.timeZone === '' ? 'UTC' : tw.timeZone,
              days: tw.days.map((d, i) => {
                const day = d === PbWeekday.UNSPECIFIED ? undefined : WEEKDAYS[d];
                if (day === undefined) throw invalidArgument(`${field}.constraints.time_window.days[${i}]`, 'must name a weekday');
                return day;
              }),
            },
          }),
      argumentRules: (c?.argumentRules ?? []).map((r, i) =>
        argumentRuleFromProto(r, `${field}.constraints.argument_rules[${i}]`),
      ),
      requireApproval: c?.requireApproval ?? false,
      ...((c?.allowedArgPatterns.length ?? 0) > 0 ? { allowedArgPatterns: [...(c?.allowedArgPatterns ?? [])] } : {}),
    },
  };
}

export function permissionsFromProto(list: readonly PbPermission[], field: string): Permission[] {
  if (list.length > 100) throw invalidArgument(field, 'must hold at most 100 permissions');
  return list.map((p, i) => permissionFromProto(p, `${field}[${i}]`));
}

export function permissionToProto(p: Permission): PbPermission {
  const c = p.constraints;
  return create(PermissionSchema, {
    resource: p.resource,
    actions: [...p.actions],
    constraints: create(ConstraintsSchema, {
      maxCallsPerHour: c.maxCallsPerHour,
      ipAllowlist: [...c.ipAllowlist],
      timeWindow:
        c.timeWindow === undefined
          ? undefined
          : create(TimeWindowSchema, {
              start: c.timeWindow.start,
              end: c.timeWindow.end,
              timeZone: c.timeWindow.timeZone,
              days: c.timeWindow.days.map((d) => WEEKDAY_TO_PB[d]),
            }),
      argumentRules: c.argumentRules.map(argumentRuleToProto),
      requireApproval: c.requireApproval,
      allowedArgPatterns: [...(c.allowedArgPatterns ?? [])],
    }),
  });
}

const AGENT_TYPES: Record<AgentType, PbAgentType> = {
  autonomous: PbAgentType.AUTONOMOUS,
  delegated: PbAgentType.DELEGATED,
  service: PbAgentType.SERVICE,
};
export const agentTypeToProto = (t: AgentType): PbAgentType => AGENT_TYPES[t];
export function agentTypeFromProto(t: PbAgentType): AgentType | undefined {
  const found = (Object.entries(AGENT_TYPES) as [AgentType, PbAgentType][]).find(([, v]) => v === t);
  return found?.[0];
}

const AGENT_STATUSES: Record<AgentStatus, PbAgentStatus> = {
  active: PbAgentStatus.ACTIVE,
  revoked: PbAgentStatus.REVOKED,
  expired: PbAgentStatus.EXPIRED,
};
export const agentStatusToProto = (s: AgentStatus): PbAgentStatus => AGENT_STATUSES[s];
export function agentStatusFromProto(s: PbAgentStatus): AgentStatus | undefined {
  const found = (Object.entries(AGENT_STATUSES) as [AgentStatus, PbAgentStatus][]).find(([, v]) => v === s);
  return found?.[0];
}

const APPROVAL_STATUSES: Record<ApprovalStatus, PbApprovalStatus> = {
  pending: PbApprovalStatus.PENDING,
  approved: PbApprovalStatus.APPROVED,
  denied: PbApprovalStatus.DENIED,
  expired: PbApprovalStatus.EXPIRED,
  consumed: PbApprovalStatus.CONSUMED,
};
export const approvalStatusToProto = (s: ApprovalStatus): PbApprovalStatus => APPROVAL_STATUSES[s];
export function approvalStatusFromProto(s: PbApprovalStatus): ApprovalStatus | undefined {
  const found = (Object.entries(APPROVAL_STATUSES) as [ApprovalStatus, PbApprovalStatus][]).find(([, v]) => v === s);
  return found?.[0];
}

const RESULTS: Record<AuditResult, PbAuditResult> = {
  allowed: PbAuditResult.ALLOWED,
  denied: PbAuditResult.DENIED,
  rate_limited: PbAuditResult.RATE_LIMITED,
  pending_approval: PbAuditResult.PENDING_APPROVAL,
};
export const auditResultToProto = (r: AuditResult): PbAuditResult => RESULTS[r];
export function auditResultFromProto(r: PbAuditResult): AuditResult | undefined {
  const found = (Object.entries(RESULTS) as [AuditResult, PbAuditResult][]).find(([, v]) => v === r);
  return found?.[0];
}

export const reasonToProto = (r: ReasonCode | ''): PbReasonCode => (r === '' ? PbReasonCode.UNSPECIFIED : PbReasonCode[r]);

const ACTOR_KINDS: Record<ActorKind, PbActorKind> = {
  anonymous: PbActorKind.UNSPECIFIED,
  admin: PbActorKind.ADMIN,
  user: PbActorKind.USER,
  agent: PbActorKind.AGENT,
  system: PbActorKind.SYSTEM,
};
export const actorToProto = (a: Actor): PbActor => create(ActorSchema, { kind: ACTOR_KINDS[a.kind], id: a.id });

/**
 * A filter's enum value: `_UNSPECIFIED` (0) matches everything; a value this server does not
 * know is invalid_argument naming `field`, rather than silently dropping the filter.
 */
export function filterEnum<T>(value: number, convert: (v: never) => T | undefined, field: string): T | undefined {
  if (value === 0) return undefined;
  const converted = convert(value as never);
  if (converted === undefined) throw invalidArgument(field, `has an unknown value ${value}`);
  return converted;
}

/** Largest accepted `arguments` Struct, as JSON. */
export const MAX_ARGUMENTS_BYTES = 64 * 1024;

/** Request arguments, size-checked. `google.protobuf.Struct` arrives as a plain JSON object. */
export function argumentsFromProto(args: JsonObject | undefined, field: string): Arguments {
  if (args === undefined) return {};
  // First, with its depth bounded: everything after it (stringify, rules, redaction) recurses.
  rejectPrototypeKeys(args, field, 0, field);
  if (Buffer.byteLength(JSON.stringify(args), 'utf8') > MAX_ARGUMENTS_BYTES) {
    throw invalidArgument(field, `must be at most ${MAX_ARGUMENTS_BYTES} bytes as JSON`);
  }
  return args as Arguments;
}

/** Deepest nesting of objects and lists accepted in `arguments` (protobuf's own limit is 100). */
export const MAX_ARGUMENTS_DEPTH = 32;

/**
 * A `__proto__` key either becomes an object's prototype while decoding (and so is invisible
 * to argument rules, approvals and the audit, though the tool behind the gateway may see it)
 * or stays a confusing own key. Either way it is refused.
 */
function rejectPrototypeKeys(value: unknown, path: string, depth: number, field: string): void {
  if (value === null || typeof value !== 'object') return;
  // Named by the top field: the path of a deep value would be as long as the nesting.
  if (depth >= MAX_ARGUMENTS_DEPTH) throw invalidArgument(field, `must nest at most ${MAX_ARGUMENTS_DEPTH} levels deep`);
  if (Array.isArray(value)) {
    value.forEach((v, i) => rejectPrototypeKeys(v, `${path}[${i}]`, depth + 1, field));
    return;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || Object.hasOwn(value, '__proto__')) {
    throw invalidArgument(`${path}.__proto__`, 'is not an allowed argument name');
  }
  for (const [key, v] of Object.entries(value)) rejectPrototypeKeys(v, `${path}.${key}`, depth + 1, field);
}

export const argumentsToProto = (args: Arguments): JsonObject => args as JsonObject;
