/**
 * @kavach/client for browsers (and any fetch runtime): Connect and gRPC-Web over fetch. Node
 * resolves `@kavach/client` to node.ts instead, which adds gRPC over HTTP/2.
 */
import { createClientWith, type KavachClient, type KavachClientOptions } from './client.js';
import { webTransports } from './transports-web.js';

export * from './exports.js';

export function createKavachClient(options: KavachClientOptions): KavachClient {
  return createClientWith(options, webTransports);
}
