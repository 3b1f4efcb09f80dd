import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HTTP2_PREFACE, createDualListener, sniffProtocol, type Protocol } from '../../../src/server/dual-listener.js';

describe('sniffProtocol', () => {
  it.each<[string, Buffer, Protocol | undefined]>([
    ['nothing yet', Buffer.alloc(0), undefined],
    ['the first preface byte', HTTP2_PREFACE.subarray(0, 1), undefined],
    ['23 preface bytes', HTTP2_PREFACE.subarray(0, 23), undefined],
    ['the whole preface', HTTP2_PREFACE, 'h2c'],
    ['the preface and a SETTINGS frame', Buffer.concat([HTTP2_PREFACE, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]), 'h2c'],
    ['GET', Buffer.from('G'), 'http1'],
    ['POST /x HTTP/1.1', Buffer.from('POST /x HTTP/1.1\r\n'), 'http1'],
    ['PRI with another version', Buffer.from('PRI * HTTP/1.1\r\n'), 'http1'],
    ['a TLS ClientHello', Buffer.from([0x16, 0x03, 0x01]), 'http1'],
  ])('%s', (_name, head, expected) => {
    expect(sniffProtocol(head)).toBe(expected);
  });
});

describe('createDualListener', () => {
  let server: net.Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  /** Starts a listener whose targets read everything they are handed; resolves per connection. */
  async function start(sniffTimeoutMs?: number) {
    const routed: { protocol: Protocol; bytes: Promise<Buffer> }[] = [];
    const take = (protocol: Protocol) => (socket: net.Socket) => {
      const chunks: Buffer[] = [];
      const bytes = new Promise<Buffer>((resolve) => {
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('end', () => {
          resolve(Buffer.concat(chunks));
          socket.end();
        });
      });
      socket.resume();
      routed.push({ protocol, bytes });
    };
    server = createDualListener({ h2c: take('h2c'), http1: take('http1') }, { sniffTimeoutMs });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    return { routed, port };
  }

  async function send(port: number, pieces: Buffer[]): Promise<void> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    for (const piece of pieces) {
      await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
      // A macrotask between pieces, so they tend to arrive as separate reads.
      await new Promise((resolve) => setImmediate(resolve));
    }
    socket.end();
    await new Promise((resolve) => socket.once('close', resolve));
  }

  it('routes a preface that arrives one byte at a time to h2c, with every byte intact', async () => {
    const { routed, port } = await start();
    const payload = Buffer.concat([HTTP2_PREFACE, Buffer.from('frames')]);
    await send(port, [...payload].map((b) => Buffer.from([b])));
    expect(routed.map((r) => r.protocol)).toEqual(['h2c']);
    expect(await routed[0]?.bytes).toEqual(payload);
  });

  it('routes an HTTP/1.1 request to http1 after its first bytes, with every byte intact', async () => {
    const { routed, port } = await start();
    const request = Buffer.from('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
    await send(port, [request.subarray(0, 2), request.subarray(2)]);
    expect(routed.map((r) => r.protocol)).toEqual(['http1']);
    expect(await routed[0]?.bytes).toEqual(request);
  });

  it('drops a connection that never speaks', async () => {
    const { routed, port } = await start(50);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('close', resolve));
    expect(routed).toEqual([]);
  });
});
