/**
 * Knows every open connection, so that shutdown can drain them: HTTP/2 sessions get GOAWAY and
 * close once their streams end; HTTP/1.1 connections close as soon as they have no request in
 * flight; whatever is still open when the grace period ends is destroyed.
 */
import type http from 'node:http';
import type http2 from 'node:http2';
import type net from 'node:net';

export interface ConnectionTracker {
  /** Every accepted TCP socket, before it is known to be HTTP/1 or HTTP/2. */
  trackSocket(socket: net.Socket): void;
  /** Marks a tracked socket as carrying HTTP/2 (its session drains it, not us). */
  markHttp2(socket: net.Socket): void;
  trackSession(session: http2.ServerHttp2Session): void;
  /** Call for each HTTP/1.1 request as it starts. */
  trackHttp1Request(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Open TCP connections. */
  readonly size: number;
  /** True once `drain` was called. */
  readonly draining: boolean;
  /**
   * Starts closing every connection gracefully and resolves once all are closed, or once
   * `graceMs` has passed; then `onGraceExpired` runs and, after `forceAfterMs` more, every
   * remaining socket is destroyed. Resolves to true when every connection closed by itself.
   */
  drain(options: { graceMs: number; forceAfterMs?: number; onGraceExpired?: () => void }): Promise<boolean>;
  /** Resolves when no connection is open (at once when there are none). */
  idle(): Promise<void>;
}

export function createConnectionTracker(): ConnectionTracker {
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  /** HTTP/1.1 responses in flight per socket. */
  const inFlight = new Map<net.Socket, Set<http.ServerResponse>>();
  const http2Sockets = new WeakSet<net.Socket>();
  let idleWaiters: (() => void)[] = [];
  let draining = false;

  const notifyIfIdle = (): void => {
    if (sockets.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  };
  const idle = (): Promise<void> =>
    sockets.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));

  // An HTTP/1.1 socket with nothing in flight is closed once draining. end() flushes what was
  // written; the destroy after it keeps a peer that never answers our FIN from holding it open.
  const closeIfQuiet = (socket: net.Socket): void => {
    if (draining && (inFlight.get(socket)?.size ?? 0) === 0 && !socket.destroyed) {
      socket.end(() => socket.destroy());
    }
  };

  return {
    get size() {
      return sockets.size;
    },
    get draining() {
      return draining;
    },
    trackSocket(socket) {
      sockets.add(socket);
      socket.once('close', () => {
        sockets.delete(socket);
        inFlight.delete(socket);
        notifyIfIdle();
      });
      // A connection accepted during drain (before the listener closed) is not served.
      if (draining) socket.destroy();
    },
    markHttp2(socket) {
      http2Sockets.add(socket);
    },
    trackSession(session) {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
      if (draining) session.close();
    },
    trackHttp1Request(req, res) {
      const socket = req.socket;
      let responses = inFlight.get(socket);
      if (responses === undefined) inFlight.set(socket, (responses = new Set()));
      responses.add(res);
      if (draining) res.setHeader('connection', 'close');
      res.once('close', () => {
        responses.delete(res);
        closeIfQuiet(socket);
      });
    },
    idle,
    async drain({ graceMs, forceAfterMs = 1000, onGraceExpired }) {
      draining = true;
      for (const session of sessions) session.close();
      for (const socket of sockets) {
        if (http2Sockets.has(socket)) continue;
        const responses = inFlight.get(socket);
        // Never used for a request (or still being sniffed): nothing to lose.
        if (responses === undefined) socket.destroy();
        else {
          // Tell clients not to reuse the connection, where the answer has not started yet.
          for (const res of responses) if (!res.headersSent) res.setHeader('connection', 'close');
          closeIfQuiet(socket);
        }
      }
      const timer = (ms: number): { promise: Promise<'timeout'>; cancel: () => void } => {
        let handle: NodeJS.Timeout | undefined;
        const promise = new Promise<'timeout'>((resolve) => {
          handle = setTimeout(() => resolve('timeout'), ms);
        });
        return { promise, cancel: () => clearTimeout(handle) };
      };
      const grace = timer(graceMs);
      const first = await Promise.race([idle().then(() => 'idle' as const), grace.promise]);
      grace.cancel();
      if (first === 'idle') return true;
      onGraceExpired?.();
      const force = timer(forceAfterMs);
      const second = await Promise.race([idle().then(() => 'idle' as const), force.promise]);
      force.cancel();
      if (second === 'timeout') {
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
        await idle();
      }
      return false;
    },
  };
}
