/**
 * One TCP port for HTTP/2 without TLS (h2c, what gRPC clients speak) and HTTP/1.1 (browsers,
 * gRPC-Web, Connect, /healthz, /metrics). Node's `allowHTTP1` needs TLS ALPN, so on a plaintext
 * port we look at the first bytes of each connection instead: the HTTP/2 client preface goes to
 * the http2 server, anything else to the http server.
 */
import net from 'node:net';

/** The fixed client connection preface of HTTP/2 (RFC 9113 §3.4). */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export type Protocol = 'h2c' | 'http1';

/**
 * Decides the protocol from the bytes received so far, or returns undefined when more bytes are
 * needed. Any byte that departs from the preface means HTTP/1.x, so an HTTP/1 request is decided
 * on its first byte and never waits for 24 bytes.
 */
export function sniffProtocol(head: Buffer): Protocol | undefined {
  const n = Math.min(head.length, HTTP2_PREFACE.length);
  if (head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) {
    return n === HTTP2_PREFACE.length ? 'h2c' : undefined;
  }
  return 'http1';
}

/** Where a sniffed connection goes. Each target usually is `server.emit('connection', socket)`. */
export interface DualTargets {
  readonly h2c: (socket: net.Socket) => void;
  readonly http1: (socket: net.Socket) => void;
}

export interface DualListenerOptions {
  /**
   * How long a new connection may stay silent before it is dropped, in milliseconds. Guards the
   * sniffing buffer against connections that open and never speak.
   */
  readonly sniffTimeoutMs?: number;
  /** Called for every accepted socket before sniffing, e.g. to track it for shutdown. */
  readonly onSocket?: (socket: net.Socket) => void;
}

/**
 * A net.Server that routes each accepted connection by its first bytes. The bytes read while
 * deciding are pushed back with `socket.unshift`, so the chosen server sees the whole stream.
 */
export function createDualListener(targets: DualTargets, options: DualListenerOptions = {}): net.Server {
  const sniffTimeoutMs = options.sniffTimeoutMs ?? 10_000;
  return net.createServer({ noDelay: true }, (socket) => {
    options.onSocket?.(socket);
    let head: Buffer = Buffer.alloc(0);
    const onTimeout = (): void => {
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const protocol = sniffProtocol(head);
      if (protocol === undefined) return;
      socket.removeListener('data', onData);
      socket.removeListener('error', onEarlyError);
      socket.removeListener('end', onEarlyEnd);
      socket.setTimeout(0);
      socket.removeListener('timeout', onTimeout);
      socket.pause();
      socket.unshift(head);
      if (protocol === 'h2c') {
        // The http2 session reads what is already buffered on the socket, then takes the handle.
        targets.h2c(socket);
      } else {
        targets.http1(socket);
        // The http server listens for 'data' but does not resume a socket we paused.
        socket.resume();
      }
    };
    // Before a server owns the socket, errors and half-closes are ours to handle (an unhandled
    // 'error' would crash the process).
    const onEarlyError = (): void => {
      socket.destroy();
    };
    const onEarlyEnd = (): void => {
      socket.destroy();
    };
    socket.on('data', onData);
    socket.on('error', onEarlyError);
    socket.on('end', onEarlyEnd);
    socket.setTimeout(sniffTimeoutMs);
    socket.on('timeout', onTimeout);
  });
}
