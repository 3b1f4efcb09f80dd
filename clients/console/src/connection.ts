/**
 * Whether Kavach can be reached, as seen by the calls the console makes: a network failure or
 * Unavailable marks it lost, the next answer (any answer, even an error) marks it back. The live
 * tail keeps retrying while it is lost, so the banner clears by itself.
 */
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
let online = true;

export function setOnline(value: boolean): void {
  if (online === value) return;
  online = value;
  for (const l of listeners) l();
}

export function isLostConnection(err: unknown): boolean {
  const e = ConnectError.from(err);
  return e.code === Code.Unavailable || (e.code === Code.Unknown && /fetch|network/i.test(e.rawMessage));
}

export const connectionWatch: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    setOnline(true);
    return res;
  } catch (err) {
    setOnline(!isLostConnection(err));
    throw err;
  }
};

// The browser's own view: when it reports being offline, nothing can reach Kavach either.
let browserOnline = typeof navigator === 'undefined' ? true : navigator.onLine;
for (const [event, value] of [['online', true], ['offline', false]] as const) {
  window.addEventListener(event, () => {
    browserOnline = value;
    for (const l of listeners) l();
  });
}

export function useOnline(): boolean {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => online && browserOnline,
  );
}
