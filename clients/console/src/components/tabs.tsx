/**
 * Tabs as the WAI-ARIA pattern has them: one tab stop (the selected tab), Left/Right/Home/End
 * move between tabs and select, and the panel is labelled by its tab.
 */
import { useId, useRef, type KeyboardEvent, type ReactNode } from 'react';

export function Tabs<T extends string>({ label, tabs, value, onChange, children }: { label: string; tabs: ReadonlyArray<readonly [T, string]>; value: T; onChange: (v: T) => void; children: ReactNode }) {
  const base = useId();
  const refs = useRef<Array<HTMLButtonElement | null>>([]);
  const index = Math.max(0, tabs.findIndex(([v]) => v === value));
  const onKeyDown = (e: KeyboardEvent) => {
    const last = tabs.length - 1;
    const next = e.key === 'ArrowRight' ? (index === last ? 0 : index + 1) : e.key === 'ArrowLeft' ? (index === 0 ? last : index - 1) : e.key === 'Home' ? 0 : e.key === 'End' ? last : -1;
    const tab = tabs[next];
    if (next < 0 || tab === undefined) return;
    e.preventDefault();
    onChange(tab[0]);
    refs.current[next]?.focus();
  };
  return (
    <>
      <div role="tablist" aria-label={label} className="tabs" onKeyDown={onKeyDown}>
        {tabs.map(([v, text], i) => (
          <button
            key={v}
            ref={(el) => {
              refs.current[i] = el;
            }}
            id={`${base}-tab-${v}`}
            type="button"
            role="tab"
            aria-selected={v === value}
            aria-controls={`${base}-panel`}
            tabIndex={v === value ? 0 : -1}
            onClick={() => onChange(v)}
          >
            {text}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${base}-panel`} aria-labelledby={`${base}-tab-${value}`}>
        {children}
      </div>
    </>
  );
}
