/**
 * The REST surface logs one line per request (route, method, status, duration, request id) and
 * never a secret: the server logs at `trace` into memory while a flow over REST handles a
 * password, session, admin and agent tokens, and a secret-named argument.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aSignUpRequest, aSuffix } from '../support/requests.js';
import { startServer, type RunningServer } from '../support/server.js';
import { restClient } from './rest-client.js';

const lines: string[] = [];
let srv: RunningServer;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  srv = await startServer({}, undefined, { logger: pino({ level: 'trace' }, sink) });
});
afterAll(async () => {
  await srv.close();
});

describe('REST logs', () => {
  it('one line per request with its route pattern and status, and no secret anywhere', async () => {
    const rest = restClient(srv.url);
    const { email, password } = aSignUpRequest();
    const signedUp = (await rest('POST', '/sign-up/email', { json: { email, password } })).body;
    const session = signedUp.session.token as string;
    const agent = (await rest('POST', '/agents', { token: srv.adminToken, json: { ownerId: signedUp.user.id as string, name: 'a', type: 'service', permissions: [{ resource: 'mcp:x:*', actions: ['read'] }] } })).body;
    const secretArg = `hunter-${aSuffix()}`;
    await rest('POST', '/authorize', { token: agent.token, json: { action: 'read', resource: 'mcp:x:y', arguments: { password: secretArg } } });
    await rest('GET', '/session', { token: session });
    await rest('GET', `/agents/${agent.id}`, { token: 'kv_wrong-token-value-123' });
    const restLines = lines.filter((l) => l.includes('rest request'));
    expect(restLines.some((l) => l.includes('"route":"/agents/:id"') && l.includes('"status":401'))).toBe(true);
    expect(restLines.some((l) => l.includes('"route":"/sign-up/email"') && l.includes('"status":201'))).toBe(true);
    const all = lines.join('');
    for (const secret of [password, session, srv.adminToken, agent.token, secretArg, 'kv_wrong-token-value-123']) {
      expect(all.includes(secret), `a log line holds ${secret.slice(0, 6)}…`).toBe(false);
    }
  });
});
