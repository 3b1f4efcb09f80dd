import type { ArgumentRule, Constraints, Permission, TimeWindow } from '../../../src/domain/types.js';

/** A permission with no constraints unless overridden. */
export function aPermission(
  overrides: Partial<Omit<Permission, 'constraints'>> & { constraints?: Partial<Constraints> } = {},
): Permission {
  return {
    resource: overrides.resource ?? 'mcp:github:repos',
    actions: overrides.actions ?? ['read'],
    constraints: {
      ipAllowlist: [],
      argumentRules: [],
      requireApproval: false,
      ...overrides.constraints,
    },
  };
}

/** A time window, UTC and every day unless overridden. */
export function aTimeWindow(overrides: Partial<TimeWindow> = {}): TimeWindow {
  return { start: '09:00', end: '17:00', days: [], timeZone: 'UTC', ...overrides };
}

export const globRule = (name: string, glob: string): ArgumentRule => ({ name, kind: 'glob', glob });
export const valuesRule = (name: string, values: string[]): ArgumentRule => ({ name, kind: 'values', values });
export const rangeRule = (name: string, min?: number, max?: number): ArgumentRule => ({
  name,
  kind: 'range',
  ...(min === undefined ? {} : { min }),
  ...(max === undefined ? {} : { max }),
});

/** Runs `fn` and returns the error it throws, failing when it does not throw. */
export function thrownBy(fn: () => unknown): { kind: string; field?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { kind: string; field?: string; message: string };
  }
  throw new Error('expected a throw');
}
