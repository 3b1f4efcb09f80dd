/**
 * The native gRPC path's edges: metadata to Headers and back, thrown values to gRPC statuses,
 * and the KAVACH_GRPC_PORT setting.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { headersOf, metadataOf, statusOf } from '../../../src/server/grpc-js/status.js';

describe('headersOf', () => {
  it('carries text and binary metadata (base64, as connect-node does) and labels the protocol', () => {
    const md = new grpc.Metadata();
    md.set('authorization', 'Bearer x');
    md.add('x-forwarded-for', '10.0.0.1');
    md.add('x-forwarded-for', '10.0.0.2');
    md.set('trace-bin', Buffer.from([1, 2, 3]));
    const h = headersOf(md);
    expect(h.get('authorization')).toBe('Bearer x');
    expect(h.get('x-forwarded-for')).toBe('10.0.0.1, 10.0.0.2');
    expect(h.get('trace-bin')).toBe(Buffer.from([1, 2, 3]).toString('base64'));
    expect(h.get('content-type')).toBe('application/grpc');
  });
});

describe('metadataOf', () => {
  it('is undefined for no headers, drops the ones gRPC sets itself, decodes -bin values', () => {
    expect(metadataOf(new Headers())).toBeUndefined();
    const md = metadataOf(new Headers({ 'retry-after': '3', 'grpc-status': '0', 'content-type': 'text/plain', 'x-bin': 'AQID' }));
    expect(md?.get('retry-after')).toEqual(['3']);
    expect(md?.get('grpc-status')).toEqual([]);
    expect(md?.get('content-type')).toEqual([]);
    expect(md?.get('x-bin')).toEqual([Buffer.from([1, 2, 3])]);
  });
});

describe('statusOf', () => {
  it('keeps a ConnectError code, raw message and metadata, plus the call trailers', () => {
    const err = new ConnectError('agent "a b" not found', Code.NotFound, new Headers({ 'retry-after': '7' }));
    const s = statusOf(err, new Headers({ 'x-trailer': 't' }));
    expect(s.code).toBe(grpc.status.NOT_FOUND);
    expect(s.details).toBe('agent "a b" not found');
    expect(s.metadata.get('retry-after')).toEqual(['7']);
    expect(s.metadata.get('x-trailer')).toEqual(['t']);
  });

  it('turns anything else into Internal without its message', () => {
    const s = statusOf(new Error('secret database path /var/x'), undefined);
    expect(s.code).toBe(grpc.status.INTERNAL);
    expect(s.details).toBe('internal error');
  });
});

describe('KAVACH_GRPC_PORT', () => {
  it('is off unless set; 0 and real ports are accepted; anything else names the variable', () => {
    expect(loadConfig({}).grpcPort).toBeUndefined();
    expect(loadConfig({ KAVACH_GRPC_PORT: '' }).grpcPort).toBeUndefined();
    expect(loadConfig({ KAVACH_GRPC_PORT: '0' }).grpcPort).toBe(0);
    expect(loadConfig({ KAVACH_GRPC_PORT: '50051' }).grpcPort).toBe(50051);
    expect(() => loadConfig({ KAVACH_GRPC_PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ KAVACH_GRPC_PORT: '70000' })).toThrow(/KAVACH_GRPC_PORT/);
  });
});
