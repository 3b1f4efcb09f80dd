/** Small shared pieces: error text, links that route, confirmation, the one-time token. */
import { useId, useState, type MouseEvent, type ReactNode } from 'react';
import { describeError } from '../errors.js';
import { navigate } from '../router.js';

export function ErrorText({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="error" role="alert">
      {describeError(error)}
    </p>
  );
}

export function Link({ to, children, className, current }: { to: string; children: ReactNode; className?: string; current?: boolean }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} className={className} aria-current={current === true ? 'page' : undefined}>
      {children}
    </a>
  );
}

/** A destructive action that asks first, in place (no modal to trap focus in). */
export function ConfirmButton({ label, question, onConfirm, disabled, initiallyAsking = false }: { label: string; question: ReactNode; onConfirm: () => void; disabled?: boolean; initiallyAsking?: boolean }) {
  const [asking, setAsking] = useState(initiallyAsking);
  if (!asking) {
    return (
      <button type="button" className="danger" onClick={() => setAsking(true)} disabled={disabled}>
        {label}
      </button>
    );
  }
  return (
    <span role="alertdialog" aria-label={`Confirm: ${label}`} className="confirm">
      <span>{question}</span>{' '}
      <button
        type="button"
        className="danger"
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** The agent token, shown once: copy button and a warning that it will not be shown again. */
export function TokenReveal({ token, onDone }: { token: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const id = useId();
  return (
    <section className="token-reveal" aria-labelledby={id}>
      <h3 id={id}>Agent token</h3>
      <p className="warning" role="alert">
        Copy this token now. It is shown only once: Kavach keeps only a hash of it and cannot show it again.
      </p>
      <code data-testid="agent-token" className="token">
        {token}
      </code>
      <div className="row">
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(token).then(() => setCopied(true), () => setCopied(false));
          }}
        >
          Copy token
        </button>
        <button type="button" onClick={onDone}>
          I have stored it, hide the token
        </button>
        <span aria-live="polite">{copied ? 'Copied to the clipboard.' : ''}</span>
      </div>
    </section>
  );
}

export function Field({ label, children, hint }: { label: string; children: (id: string) => ReactNode; hint?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint !== undefined && <small>{hint}</small>}
    </div>
  );
}
