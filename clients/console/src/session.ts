/**
 * The signed-in credential. It lives in this tab's sessionStorage (gone when the tab closes,
 * never sent anywhere but this origin's RPCs as a bearer header). What keeps other scripts from
 * reading it is the console's Content-Security-Policy: only this origin's own bundle may run
 * (no inline script, no other origin), so there is no third-party script on the page at all.
 */
import { useSyncExternalStore } from 'react';

export interface Session {
  /** "user" for a session token (kvs_…), "admin" for the operator's admin token. */
  readonly kind: 'user' | 'admin';
  readonly token: string;
  /** The tenant the admin acts in (kavach-tenant header); users are bound to theirs. */
  readonly tenant: string;
  /** What the header shows: the user's email, or "admin". */
  readonly label: string;
  readonly userId: string;
}

const KEY = 'kavach.console.session';
const listeners = new Set<() => void>();
let current: Session | null = read();

function read(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (raw === null) return null;
    const s = JSON.parse(raw) as Session;
    return typeof s.token === 'string' && (s.kind === 'user' || s.kind === 'admin') ? s : null;
  } catch {
    return null;
  }
}

export function getSession(): Session | null {
  return current;
}

export function setSession(session: Session | null): void {
  current = session;
  if (session === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, JSON.stringify(session));
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSession(): Session | null {
  return useSyncExternalStore(subscribe, getSession);
}
