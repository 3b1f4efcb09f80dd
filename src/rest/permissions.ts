/**
 * Permissions between the SDK's JSON and the domain, both ways (REST.md "Constraints"): the
 * SDK's keys plus Kavach's richer ones (`timeWindow.timeZone`/`days`, `argumentRules` in the
 * RPC JSON shape), so what is read back can be written back without dropping a constraint.
 * Validation of the values themselves is the domain's, as on the RPCs.
 */
import { invalidArgument } from '../domain/errors.js';
import { WEEKDAYS, type ArgumentRule, type Permission, type TimeWindow, type Weekday } from '../domain/types.js';
import {
  object,
  optBoolean,
  optInteger,
  optList,
  optNumber,
  optObject,
  optString,
  optStringList,
  string,
  type JsonObject,
} from './json-input.js';

const PERMISSION_KEYS = ['resource', 'actions', 'constraints'];
const CONSTRAINT_KEYS = ['maxCallsPerHour', 'allowedArgPatterns', 'requireApproval', 'timeWindow', 'ipAllowlist', 'argumentRules'];
const WINDOW_KEYS = ['start', 'end', 'timeZone', 'days'];
const RULE_KEYS = ['name', 'glob', 'allowedValues', 'range'];

/** The RPC JSON names of weekdays, accepted beside Kavach's short ones. */
const PROTO_DAYS: Record<string, Weekday> = {
  WEEKDAY_MONDAY: 'mon',
  WEEKDAY_TUESDAY: 'tue',
  WEEKDAY_WEDNESDAY: 'wed',
  WEEKDAY_THURSDAY: 'thu',
  WEEKDAY_FRIDAY: 'fri',
  WEEKDAY_SATURDAY: 'sat',
  WEEKDAY_SUNDAY: 'sun',
};

function weekdayOf(value: string, field: string): Weekday {
  const day = (WEEKDAYS as readonly string[]).includes(value) ? (value as Weekday) : PROTO_DAYS[value];
  if (day === undefined) throw invalidArgument(field, `is not a day: use one of ${WEEKDAYS.join(', ')}`);
  return day;
}

function timeWindowFromJson(value: unknown, field: string): TimeWindow | undefined {
  const tw = optObject(value, field, WINDOW_KEYS);
  if (tw === undefined) return undefined;
  // The SDK sends `null` for a bound it was not given; Kavach windows need both.
  const start = optString(tw.start, `${field}.start`);
  const end = optString(tw.end, `${field}.end`);
  if (start === undefined) throw invalidArgument(`${field}.start`, 'is required: a time window needs both start and end (HH:MM)');
  if (end === undefined) throw invalidArgument(`${field}.end`, 'is required: a time window needs both start and end (HH:MM)');
  const days = (optStringList(tw.days, `${field}.days`, 7) ?? []).map((d, i) => weekdayOf(d, `${field}.days[${i}]`));
  return { start, end, timeZone: optString(tw.timeZone, `${field}.timeZone`) ?? 'UTC', days };
}

function argumentRuleFromJson(value: unknown, field: string): ArgumentRule {
  const rule = object(value, field, RULE_KEYS);
  const name = string(rule.name, `${field}.name`);
  const kinds = ['glob', 'allowedValues', 'range'].filter((k) => rule[k] !== undefined && rule[k] !== null);
  if (kinds.length !== 1) throw invalidArgument(field, 'must set exactly one of glob, allowedValues or range');
  if (kinds[0] === 'glob') return { name, kind: 'glob', glob: string(rule.glob, `${field}.glob`) };
  if (kinds[0] === 'allowedValues') {
    const av = object(rule.allowedValues, `${field}.allowedValues`, ['values']);
    return { name, kind: 'values', values: optStringList(av.values, `${field}.allowedValues.values`) ?? [] };
  }
  const range = object(rule.range, `${field}.range`, ['min', 'max']);
  const min = optNumber(range.min, `${field}.range.min`);
  const max = optNumber(range.max, `${field}.range.max`);
  return { name, kind: 'range', ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
}

export function permissionFromJson(value: unknown, field: string): Permission {
  const p = object(value, field, PERMISSION_KEYS);
  const actions = optStringList(p.actions, `${field}.actions`, 100);
  if (actions === undefined) throw invalidArgument(`${field}.actions`, 'is required');
  const at = `${field}.constraints`;
  const c = optObject(p.constraints, at, CONSTRAINT_KEYS) ?? {};
  const maxCallsPerHour = optInteger(c.maxCallsPerHour, `${at}.maxCallsPerHour`);
  const timeWindow = timeWindowFromJson(c.timeWindow, `${at}.timeWindow`);
  const rules = optList(c.argumentRules, `${at}.argumentRules`, 100) ?? [];
  const allowedArgPatterns = optStringList(c.allowedArgPatterns, `${at}.allowedArgPatterns`, 100) ?? [];
  return {
    resource: string(p.resource, `${field}.resource`),
    actions,
    constraints: {
      ...(maxCallsPerHour === undefined ? {} : { maxCallsPerHour }),
      ipAllowlist: optStringList(c.ipAllowlist, `${at}.ipAllowlist`, 1000) ?? [],
      ...(timeWindow === undefined ? {} : { timeWindow }),
      argumentRules: rules.map((r, i) => argumentRuleFromJson(r, `${at}.argumentRules[${i}]`)),
      requireApproval: optBoolean(c.requireApproval, `${at}.requireApproval`) ?? false,
      ...(allowedArgPatterns.length === 0 ? {} : { allowedArgPatterns }),
    },
  };
}

export function permissionsFromJson(value: unknown, field: string, required: boolean): Permission[] | undefined {
  const list = optList(value, field, 100);
  if (list === undefined) {
    if (required) throw invalidArgument(field, 'is required');
    return undefined;
  }
  return list.map((p, i) => permissionFromJson(p, `${field}[${i}]`));
}

function argumentRuleToJson(rule: ArgumentRule): JsonObject {
  switch (rule.kind) {
    case 'glob':
      return { name: rule.name, glob: rule.glob };
    case 'values':
      return { name: rule.name, allowedValues: { values: [...rule.values] } };
    case 'range':
      return { name: rule.name, range: { ...(rule.min === undefined ? {} : { min: rule.min }), ...(rule.max === undefined ? {} : { max: rule.max }) } };
  }
}

/** Only the constraints that restrict are written; `constraints` is left out when none do. */
export function permissionToJson(p: Permission): JsonObject {
  const c = p.constraints;
  const constraints: Record<string, unknown> = {};
  if (c.maxCallsPerHour !== undefined) constraints.maxCallsPerHour = c.maxCallsPerHour;
  if ((c.allowedArgPatterns?.length ?? 0) > 0) constraints.allowedArgPatterns = [...(c.allowedArgPatterns ?? [])];
  if (c.requireApproval) constraints.requireApproval = true;
  if (c.timeWindow !== undefined) {
    const tw = c.timeWindow;
    constraints.timeWindow = { start: tw.start, end: tw.end, timeZone: tw.timeZone === '' ? 'UTC' : tw.timeZone, days: [...tw.days] };
  }
  if (c.ipAllowlist.length > 0) constraints.ipAllowlist = [...c.ipAllowlist];
  if (c.argumentRules.length > 0) constraints.argumentRules = c.argumentRules.map(argumentRuleToJson);
  return {
    resource: p.resource,
    actions: [...p.actions],
    ...(Object.keys(constraints).length === 0 ? {} : { constraints }),
  };
}

const absent = (value: unknown): boolean => value === undefined || value === null;

function sameActions(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((action) => b.includes(action));
}

/**
 * A read-modify-write through the SDK never drops a constraint. The SDK's types cannot carry a
 * time window's `timeZone` and `days`, nor `argumentRules`, so a permission it writes back leaves
 * them out; left out (or `null`), each keeps the value stored on the same permission (same
 * resource and actions). Sending the key sets it, as always (`"days": []` clears the days).
 *
 * `raw` are the permissions as the request sent them (already read by `permissionsFromJson`),
 * `written` what they parsed to, `stored` the agent's permissions before the update.
 */
export function keepUnexpressedConstraints(
  raw: readonly unknown[],
  written: readonly Permission[],
  stored: readonly Permission[],
): Permission[] {
  return written.map((permission, i) => {
    const before = stored.find((s) => s.resource === permission.resource && sameActions(s.actions, permission.actions));
    if (before === undefined) return permission;
    const sent = ((raw[i] as JsonObject).constraints ?? {}) as JsonObject;
    const window = permission.constraints.timeWindow;
    const storedWindow = before.constraints.timeWindow;
    const sentWindow = (sent.timeWindow ?? {}) as JsonObject;
    return {
      ...permission,
      constraints: {
        ...permission.constraints,
        ...(absent(sent.argumentRules) ? { argumentRules: before.constraints.argumentRules } : {}),
        ...(window !== undefined && storedWindow !== undefined
          ? {
              timeWindow: {
                ...window,
                ...(absent(sentWindow.timeZone) ? { timeZone: storedWindow.timeZone } : {}),
                ...(absent(sentWindow.days) ? { days: storedWindow.days } : {}),
              },
            }
          : {}),
      },
    };
  });
}
