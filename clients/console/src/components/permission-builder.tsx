/**
 * Builds permissions with every constraint the API has: hourly rate limit, IP allowlist, time
 * window (start, end, zone, days), argument rules (glob, allowed values, numeric range) and
 * approval. Drafts are plain strings so half-typed input is kept; `toPermissions` turns them into
 * messages and the server's validation names any field that is still wrong.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { useId } from 'react';
import { Weekday, type Permission, type PermissionSchema } from '../api.js';
import { splitList } from '../format.js';

export interface RuleDraft {
  name: string;
  kind: 'glob' | 'values' | 'range';
  value: string;
  min: string;
  max: string;
}

export interface PermissionDraft {
  resource: string;
  actions: string;
  maxCallsPerHour: string;
  ipAllowlist: string;
  windowOn: boolean;
  windowStart: string;
  windowEnd: string;
  windowZone: string;
  windowDays: Weekday[];
  rules: RuleDraft[];
  requireApproval: boolean;
}

export const emptyPermission = (): PermissionDraft => ({
  resource: '',
  actions: 'read',
  maxCallsPerHour: '',
  ipAllowlist: '',
  windowOn: false,
  windowStart: '09:00',
  windowEnd: '17:00',
  windowZone: 'UTC',
  windowDays: [],
  rules: [],
  requireApproval: false,
});

const DAYS: ReadonlyArray<[Weekday, string]> = [
  [Weekday.MONDAY, 'Mon'],
  [Weekday.TUESDAY, 'Tue'],
  [Weekday.WEDNESDAY, 'Wed'],
  [Weekday.THURSDAY, 'Thu'],
  [Weekday.FRIDAY, 'Fri'],
  [Weekday.SATURDAY, 'Sat'],
  [Weekday.SUNDAY, 'Sun'],
];

export type PermissionInit = MessageInitShape<typeof PermissionSchema>;

export function toPermissions(drafts: readonly PermissionDraft[]): PermissionInit[] {
  return drafts.map((d) => ({
    resource: d.resource.trim(),
    actions: splitList(d.actions),
    constraints: {
      maxCallsPerHour: d.maxCallsPerHour.trim() === '' ? undefined : Number(d.maxCallsPerHour),
      ipAllowlist: splitList(d.ipAllowlist),
      timeWindow: d.windowOn ? { start: d.windowStart, end: d.windowEnd, timeZone: d.windowZone.trim(), days: d.windowDays } : undefined,
      argumentRules: d.rules.map((r) => ({
        name: r.name.trim(),
        rule:
          r.kind === 'glob'
            ? { case: 'glob' as const, value: r.value }
            : r.kind === 'values'
              ? { case: 'allowedValues' as const, value: { values: splitList(r.value) } }
              : {
                  case: 'range' as const,
                  value: { min: r.min.trim() === '' ? undefined : Number(r.min), max: r.max.trim() === '' ? undefined : Number(r.max) },
                },
      })),
      requireApproval: d.requireApproval,
    },
  }));
}

export function fromPermissions(perms: readonly Permission[]): PermissionDraft[] {
  return perms.map((p) => {
    const c = p.constraints;
    const w = c?.timeWindow;
    return {
      resource: p.resource,
      actions: p.actions.join(', '),
      maxCallsPerHour: c?.maxCallsPerHour === undefined ? '' : String(c.maxCallsPerHour),
      ipAllowlist: (c?.ipAllowlist ?? []).join(', '),
      windowOn: w !== undefined,
      windowStart: w?.start ?? '09:00',
      windowEnd: w?.end ?? '17:00',
      windowZone: w?.timeZone || 'UTC',
      windowDays: [...(w?.days ?? [])],
      rules: (c?.argumentRules ?? []).map((r) => ({
        name: r.name,
        kind: r.rule.case === 'allowedValues' ? 'values' : r.rule.case === 'range' ? 'range' : 'glob',
        value: r.rule.case === 'glob' ? r.rule.value : r.rule.case === 'allowedValues' ? r.rule.value.values.join(', ') : '',
        min: r.rule.case === 'range' && r.rule.value.min !== undefined ? String(r.rule.value.min) : '',
        max: r.rule.case === 'range' && r.rule.value.max !== undefined ? String(r.rule.value.max) : '',
      })),
      requireApproval: c?.requireApproval ?? false,
    };
  });
}

/** One labelled input; `name` makes labels unique per permission for screen readers. */
function Input({ label, value, onChange, placeholder, type = 'text' }: { label: string; value: string; onChange: (v: string) => void; placeholder?: string; type?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type={type} value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}

function PermissionEditor({ draft, index, onChange, onRemove }: { draft: PermissionDraft; index: number; onChange: (d: PermissionDraft) => void; onRemove: () => void }) {
  const set = (patch: Partial<PermissionDraft>) => onChange({ ...draft, ...patch });
  const setRule = (i: number, patch: Partial<RuleDraft>) => set({ rules: draft.rules.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const n = index + 1;
  const approvalId = useId();
  const windowId = useId();
  return (
    <fieldset className="permission">
      <legend>Permission {n}</legend>
      <div className="grid">
        <Input label={`Resource pattern (permission ${n})`} value={draft.resource} placeholder="mcp:github:*" onChange={(v) => set({ resource: v })} />
        <Input label={`Actions, comma-separated (permission ${n})`} value={draft.actions} placeholder="read, write" onChange={(v) => set({ actions: v })} />
        <Input label={`Max calls per hour (permission ${n})`} type="number" value={draft.maxCallsPerHour} placeholder="no limit" onChange={(v) => set({ maxCallsPerHour: v })} />
        <Input label={`IP allowlist, comma-separated (permission ${n})`} value={draft.ipAllowlist} placeholder="any IP" onChange={(v) => set({ ipAllowlist: v })} />
      </div>
      <div className="check">
        <input id={approvalId} type="checkbox" checked={draft.requireApproval} onChange={(e) => set({ requireApproval: e.target.checked })} />
        <label htmlFor={approvalId}>Require human approval for every call (permission {n})</label>
      </div>
      <div className="check">
        <input id={windowId} type="checkbox" checked={draft.windowOn} onChange={(e) => set({ windowOn: e.target.checked })} />
        <label htmlFor={windowId}>Only within a time window (permission {n})</label>
      </div>
      {draft.windowOn && (
        <fieldset className="window">
          <legend>Time window</legend>
          <div className="grid">
            <Input label="Start (HH:MM)" value={draft.windowStart} onChange={(v) => set({ windowStart: v })} />
            <Input label="End (HH:MM)" value={draft.windowEnd} onChange={(v) => set({ windowEnd: v })} />
            <Input label="Time zone (IANA)" value={draft.windowZone} placeholder="Europe/Berlin" onChange={(v) => set({ windowZone: v })} />
          </div>
          <fieldset className="days">
            <legend>Days (none means every day)</legend>
            {DAYS.map(([day, label]) => (
              <label key={day} className="day">
                <input
                  type="checkbox"
                  checked={draft.windowDays.includes(day)}
                  onChange={(e) => set({ windowDays: e.target.checked ? [...draft.windowDays, day].sort() : draft.windowDays.filter((d) => d !== day) })}
                />
                {label}
              </label>
            ))}
          </fieldset>
        </fieldset>
      )}
      <fieldset className="rules">
        <legend>Argument rules</legend>
        {draft.rules.map((r, i) => (
          <div className="grid rule" key={i}>
            <Input label={`Argument name (rule ${i + 1})`} value={r.name} onChange={(v) => setRule(i, { name: v })} />
            <div className="field">
              <label htmlFor={`${approvalId}-k${i}`}>Check (rule {i + 1})</label>
              <select id={`${approvalId}-k${i}`} value={r.kind} onChange={(e) => setRule(i, { kind: e.target.value as RuleDraft['kind'] })}>
                <option value="glob">matches a glob</option>
                <option value="values">is one of</option>
                <option value="range">is a number in a range</option>
              </select>
            </div>
            {r.kind === 'range' ? (
              <>
                <Input label={`Minimum (rule ${i + 1})`} type="number" value={r.min} onChange={(v) => setRule(i, { min: v })} />
                <Input label={`Maximum (rule ${i + 1})`} type="number" value={r.max} onChange={(v) => setRule(i, { max: v })} />
              </>
            ) : (
              <Input
                label={r.kind === 'glob' ? `Glob (rule ${i + 1})` : `Allowed values, comma-separated (rule ${i + 1})`}
                value={r.value}
                onChange={(v) => setRule(i, { value: v })}
              />
            )}
            <button type="button" onClick={() => set({ rules: draft.rules.filter((_, j) => j !== i) })}>
              Remove rule {i + 1}
            </button>
          </div>
        ))}
        <button type="button" onClick={() => set({ rules: [...draft.rules, { name: '', kind: 'glob', value: '', min: '', max: '' }] })}>
          Add argument rule
        </button>
      </fieldset>
      <button type="button" className="danger" onClick={onRemove}>
        Remove permission {n}
      </button>
    </fieldset>
  );
}

export function PermissionBuilder({ value, onChange }: { value: PermissionDraft[]; onChange: (v: PermissionDraft[]) => void }) {
  return (
    <div className="builder">
      {value.map((d, i) => (
        <PermissionEditor key={i} draft={d} index={i} onChange={(nd) => onChange(value.map((x, j) => (j === i ? nd : x)))} onRemove={() => onChange(value.filter((_, j) => j !== i))} />
      ))}
      <button type="button" onClick={() => onChange([...value, emptyPermission()])}>
        Add permission
      </button>
    </div>
  );
}
