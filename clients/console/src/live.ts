/**
 * One TailAudit stream for the whole console while someone is signed in. Each message carries a
 * cursor; after a dropped connection the stream is reopened with the last cursor, so every entry
 * arrives exactly once and in order. Subscribers (the live audit page, the approvals inbox)
 * receive entries as they come; the last 500 are kept for a page that opens later.
 */
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { AuditService, type AuditEntry } from './api.js';
import { isLostConnection, setOnline } from './connection.js';
import { setSession } from './session.js';
import { transport } from './transport.js';

type Listener = (entry: AuditEntry) => void;

const KEEP = 500;
const client = createClient(AuditService, transport);
const listeners = new Set<Listener>();
const stateListeners = new Set<() => void>();
let entries: AuditEntry[] = [];
let connected = false;
let running: AbortController | null = null;

function setConnected(value: boolean): void {
  if (connected === value) return;
  connected = value;
  for (const l of stateListeners) l();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

type TailFilter = NonNullable<Parameters<typeof client.tailAudit>[0]['filter']>;

/**
 * Follows TailAudit with `filter` until `signal` aborts, reopening after a failure with the last
 * cursor (backoff 250 ms doubling to 5 s), so each matching entry is delivered exactly once.
 */
export async function followTail(filter: TailFilter, onEntry: Listener, onConnected: (up: boolean) => void, signal: AbortSignal): Promise<void> {
  let cursor = '';
  let backoff = 250;
  while (!signal.aborted) {
    try {
      for await (const msg of client.tailAudit({ filter, cursor }, { signal })) {
        cursor = msg.cursor || cursor;
        backoff = 250;
        onConnected(true);
        setOnline(true);
        if (msg.event.case === 'entry') onEntry(msg.event.value);
      }
    } catch (err) {
      if (signal.aborted) return;
      const code = ConnectError.from(err).code;
      if (isLostConnection(err)) setOnline(false);
      // The session ended (expired, or signed out elsewhere): back to the sign-in page.
      if (code === Code.Unauthenticated) {
        onConnected(false);
        stopLive();
        setSession(null);
        return;
      }
      // A cursor the server no longer has (retention) cannot resume: start at the present.
      // (ResourceExhausted, a reader that fell behind, resumes with its cursor as usual.)
      if (code === Code.OutOfRange) cursor = '';
    }
    onConnected(false);
    await sleep(backoff, signal);
    backoff = Math.min(backoff * 2, 5000);
  }
}

function run(signal: AbortSignal): Promise<void> {
  return followTail(
    {},
    (entry) => {
      entries = [entry, ...entries].slice(0, KEEP);
      for (const l of listeners) l(entry);
    },
    setConnected,
    signal,
  );
}

/** Starts the tail (idempotent); `stopLive` ends it on sign-out. */
export function startLive(): void {
  if (running !== null) return;
  running = new AbortController();
  void run(running.signal);
}

export function stopLive(): void {
  running?.abort();
  running = null;
  entries = [];
  setConnected(false);
}

export function recentEntries(): readonly AuditEntry[] {
  return entries;
}

/** Calls `listener` for every new entry while the component is mounted. */
export function useLiveEntries(listener: Listener): void {
  useEffect(() => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, [listener]);
}

export function useLiveConnected(): boolean {
  return useSyncExternalStore(
    (l) => {
      stateListeners.add(l);
      return () => stateListeners.delete(l);
    },
    () => connected,
  );
}

/** A counter that changes on every new entry, for effects that refetch. */
export function useLiveTick(match: (entry: AuditEntry) => boolean): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const l: Listener = (e) => {
      if (match(e)) setTick((t) => t + 1);
    };
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, [match]);
  return tick;
}
