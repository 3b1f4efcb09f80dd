/**
 * Permission helpers with the seed SDK's names, returning plain generated `Permission` messages
 * (usable wherever the API takes one). Modifiers return a new message and leave their input alone:
 *
 *   withApproval(execute('mcp:deploy:production'))
 *   rateLimited(read('mcp:github:*'), 100)
 *   timeWindow(write('mcp:slack:*'), { start: '09:00', end: '17:00', days: ['monday', 'friday'], timeZone: 'Europe/Berlin' })
 *   argumentRule(execute('mcp:shell:run'), 'path', { glob: '/srv/**' })
 */
import { clone, create } from '@bufbuild/protobuf';
import {
  ArgumentRuleSchema,
  ConstraintsSchema,
  PermissionSchema,
  Weekday,
  type ArgumentRule,
  type Permission,
} from './gen/kavach/v1/types_pb.js';

export type { Permission };

/** A permission for `actions` on `resource` (a `:`-separated pattern such as `mcp:github:*`). */
export function permission(resource: string, actions: readonly string[]): Permission {
  return create(PermissionSchema, { resource, actions: [...actions] });
}

export const read = (resource: string): Permission => permission(resource, ['read']);
export const write = (resource: string): Permission => permission(resource, ['write']);
export const execute = (resource: string): Permission => permission(resource, ['execute']);
export const readWrite = (resource: string): Permission => permission(resource, ['read', 'write']);
/** Every action (`*`) on the resource. */
export const fullAccess = (resource: string): Permission => permission(resource, ['*']);

function modify(base: Permission, change: (c: NonNullable<Permission['constraints']>) => void): Permission {
  const next = clone(PermissionSchema, base);
  next.constraints ??= create(ConstraintsSchema);
  change(next.constraints);
  return next;
}

/** Each call first creates a pending approval; the owner approves exactly one identical call. */
export const withApproval = (base: Permission): Permission => modify(base, (c) => void (c.requireApproval = true));

/** At most `maxCallsPerHour` allowed calls in any sliding hour (1 or more). */
export function rateLimited(base: Permission, maxCallsPerHour: number): Permission {
  if (!Number.isInteger(maxCallsPerHour) || maxCallsPerHour < 1) throw new RangeError(`maxCallsPerHour must be a positive integer, got ${maxCallsPerHour}`);
  return modify(base, (c) => void (c.maxCallsPerHour = maxCallsPerHour));
}

/** Only from these addresses or CIDR ranges (added to any already allowed). */
export const ipAllowlist = (base: Permission, cidrs: readonly string[]): Permission =>
  modify(base, (c) => void c.ipAllowlist.push(...cidrs));

export type WeekdayName = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';
const WEEKDAYS: Record<WeekdayName, Weekday> = {
  monday: Weekday.MONDAY,
  tuesday: Weekday.TUESDAY,
  wednesday: Weekday.WEDNESDAY,
  thursday: Weekday.THURSDAY,
  friday: Weekday.FRIDAY,
  saturday: Weekday.SATURDAY,
  sunday: Weekday.SUNDAY,
};

export interface TimeWindowInit {
  /** HH:MM, inclusive. */
  readonly start: string;
  /** HH:MM, exclusive; before start means overnight. */
  readonly end: string;
  /** Days the window starts on; none means every day. */
  readonly days?: readonly (WeekdayName | Weekday)[];
  /** IANA zone such as "Europe/Berlin"; default UTC. */
  readonly timeZone?: string;
}

/** Only between start and end local time, on the given days. */
export function timeWindow(base: Permission, window: TimeWindowInit): Permission {
  const days = (window.days ?? []).map((d) => {
    const day = typeof d === 'number' ? d : WEEKDAYS[d];
    if (day === undefined) throw new RangeError(`unknown weekday ${JSON.stringify(d)}`);
    return day;
  });
  return modify(base, (c) => {
    c.timeWindow = { $typeName: 'kavach.v1.TimeWindow', start: window.start, end: window.end, days, timeZone: window.timeZone ?? '' };
  });
}

/** One way to check an argument: a glob, a list of allowed values, or an inclusive numeric range. */
export type ArgumentCheck =
  | { readonly glob: string }
  | { readonly allowedValues: readonly string[] }
  | { readonly min?: number; readonly max?: number };

/** The call's argument `name` must pass `check` (a missing argument fails). Several rules all apply. */
export function argumentRule(base: Permission, name: string, check: ArgumentCheck): Permission {
  let rule: ArgumentRule;
  if ('glob' in check) rule = create(ArgumentRuleSchema, { name, rule: { case: 'glob', value: check.glob } });
  else if ('allowedValues' in check) {
    rule = create(ArgumentRuleSchema, { name, rule: { case: 'allowedValues', value: { values: [...check.allowedValues] } } });
  } else {
    if (check.min === undefined && check.max === undefined) throw new RangeError(`argumentRule ${name}: give glob, allowedValues, or min and/or max`);
    rule = create(ArgumentRuleSchema, { name, rule: { case: 'range', value: { min: check.min, max: check.max } } });
  }
  return modify(base, (c) => void c.argumentRules.push(rule));
}
