/**
 * `grpc-message` is percent-encoded as the gRPC spec says (issue 11 item 9): grpc-js decodes it
 * with `decodeURI`, so a message encoded with `encodeURIComponent` reached its users with `%3A`
 * for every `:` and `%2C` for every `,`. Every client must read the message exactly as the
 * server wrote it, punctuation and non-ASCII included.
 */
import http2 from 'node:http2';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentService, CreateAgentRequestSchema } from '../../gen/kavach/v1/agent_service_pb.js';
import { encodeGrpcMessage, respecGrpcMessage } from '../../src/server/grpc-message.js';
import { connectGrpcKit, connectJsonKit, failureOf, grpcJsKit } from '../support/clients.js';
import { aCreateAgentRequest, aPermission } from '../support/requests.js';
import { startServer, type RunningServer } from '../support/server.js';

const RESOURCE = 'mcp:café*';
const EXPECTED = `permissions[0].resource: partial-segment globs are not supported: "café*" in "${RESOURCE}"; "*" may only be a whole segment (e.g. "mcp:*"), and a request resource never contains "*"`;

describe('encodeGrpcMessage (the spec: only bytes outside 0x20–0x7E and "%")', () => {
  it.each([
    ['plain: punctuation, stays', 'a: b, c/d "e" (f) [g] {h} ?#&=+;@~', 'a: b, c/d "e" (f) [g] {h} ?#&=+;@~'],
    ['percent', '100% sure', '100%25 sure'],
    ['non-ASCII as UTF-8 bytes', 'café ✓', 'caf%C3%A9 %E2%9C%93'],
    ['control characters', 'a\nb\tc', 'a%0Ab%09c'],
  ])('%s', (_name, text, encoded) => {
    expect(encodeGrpcMessage(text)).toBe(encoded);
    expect(decodeURIComponent(encoded)).toBe(text);
    expect(respecGrpcMessage(encodeURIComponent(text))).toBe(encoded);
  });

  it('leaves a value that is not valid percent-encoding as it is', () => {
    expect(respecGrpcMessage('50% off')).toBe('50% off');
  });
});

describe('a validation message over the wire', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  it.each([
    ['grpc-js', grpcJsKit],
    ['connect-node gRPC', connectGrpcKit],
    ['connect-node Connect JSON', connectJsonKit],
  ])('reads exactly as written with %s', async (_name, makeKit) => {
    const kit = makeKit(srv.url);
    try {
      const failure = await failureOf(
        kit.client(AgentService).createAgent(aCreateAgentRequest({ permissions: [aPermission({ resource: RESOURCE })] }), srv.adminToken),
      );
      expect(failure.code).toBe(Code.InvalidArgument);
      expect(failure.message).toBe(EXPECTED);
    } finally {
      kit.close();
    }
  });

  it('sends the header spec-encoded on the wire', async () => {
    const session = http2.connect(srv.url);
    try {
      const req = session.request({
        ':method': 'POST',
        ':path': '/kavach.v1.AgentService/CreateAgent',
        'content-type': 'application/grpc',
        te: 'trailers',
        authorization: `Bearer ${srv.adminToken}`,
      });
      // One length-prefixed gRPC message: a well-formed request whose resource is refused.
      const body = toBinary(CreateAgentRequestSchema, create(CreateAgentRequestSchema, aCreateAgentRequest({ permissions: [aPermission({ resource: RESOURCE })] })));
      const frame = Buffer.alloc(5 + body.length);
      frame.writeUInt32BE(body.length, 1);
      Buffer.from(body).copy(frame, 5);
      const seen: Record<string, unknown> = {};
      req.on('response', (headers) => Object.assign(seen, headers));
      req.on('trailers', (trailers) => Object.assign(seen, trailers));
      req.end(frame);
      req.resume();
      await new Promise<void>((resolve, reject) => {
        req.on('close', resolve);
        req.on('error', reject);
      });
      expect(seen['grpc-status']).toBe(String(Code.InvalidArgument));
      expect(seen['grpc-message']).toBe(encodeGrpcMessage(EXPECTED));
      expect(seen['grpc-message']).toContain('permissions[0].resource: partial-segment');
      expect(seen['grpc-message']).toContain('caf%C3%A9*');
    } finally {
      session.close();
    }
  });
});
