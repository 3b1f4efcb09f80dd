/**
 * @kavach/client as a user installs it: `npm pack`, then `npm install <tarball>` into a fresh
 * project outside the checkout. Its ESM entry points load in Node (the Node one and the
 * browser one), make real calls, and its type declarations typecheck a strict consumer.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedClientProject } from '../support/cli-install.js';
import { startServer, type RunningServer } from '../support/server.js';

const run = promisify(execFile);
const TSC = path.resolve(import.meta.dirname, '../../node_modules/typescript/bin/tsc');

let srv: RunningServer;
let project: string;
beforeAll(async () => {
  [project, srv] = await Promise.all([installedClientProject(), startServer()]);
}, 180_000);
afterAll(async () => {
  await srv?.close();
});

describe('@kavach/client from its packed tarball', () => {
  it('ships only the built ESM and declarations', async () => {
    const dir = path.join(project, 'node_modules', '@kavach', 'client');
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@bufbuild/protobuf', '@connectrpc/connect', '@connectrpc/connect-node', '@connectrpc/connect-web']);
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts', 'dist/gen/kavach/v1/types_pb.js']) expect(existsSync(path.join(dir, file)), file).toBe(true);
    expect(existsSync(path.join(dir, 'src'))).toBe(false);
  });

  it('makes real calls from the Node entry and the browser (fetch) entry', async () => {
    const script = path.join(project, 'journey.mjs');
    await writeFile(
      script,
      `import { createKavachClient, read, NotFoundError, AgentType } from '@kavach/client';
import * as browser from '@kavach/client/browser';
const [url, admin] = process.argv.slice(2);
const out = {};
for (const [name, make, transport] of [['node-grpc', createKavachClient, 'grpc'], ['browser-connect', browser.createKavachClient, 'connect'], ['browser-grpc-web', browser.createKavachClient, 'grpc-web']]) {
  const client = make({ baseUrl: url, token: admin, transport });
  // An agent's owner is a user of the tenant: sign one up first.
  const { user } = await client.auth.signUp({ email: name + '-' + Date.now() + '@example.com', password: 'Kv-pkg-' + Math.random().toString(36).slice(2) + '-horse', name });
  const created = await client.agents.createAgent({ ownerId: user.id, name: name, type: AgentType.AUTONOMOUS, permissions: [read('mcp:github:*')] });
  const decision = await client.guard(created.token, 'read', 'mcp:github:repos');
  const missing = await client.agents.getAgent({ agentId: 'agt_missing' }).catch((e) => e);
  out[name] = { allowed: decision.allowed, notFound: missing instanceof NotFoundError };
}
try { browser.createKavachClient({ baseUrl: url, transport: 'grpc' }); } catch (e) { out.browserGrpc = e.message; }
console.log(JSON.stringify(out));
`,
    );
    const { stdout } = await run(process.execPath, [script, srv.url, srv.adminToken], { cwd: project });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    for (const name of ['node-grpc', 'browser-connect', 'browser-grpc-web']) expect(out[name]).toEqual({ allowed: true, notFound: true });
    expect(out.browserGrpc).toMatch(/needs HTTP\/2 and works only in Node/);
  });

  it('typechecks a strict TypeScript consumer against its declarations', async () => {
    await writeFile(
      path.join(project, 'consumer.ts'),
      `import { createKavachClient, withApproval, execute, RateLimitError, type KavachClient, type AuthorizeResponse } from '@kavach/client';
const client: KavachClient = createKavachClient({ baseUrl: 'http://127.0.0.1:8080', token: 'kvs_x', transport: 'grpc' });
export async function check(agentToken: string): Promise<AuthorizeResponse | number> {
  try {
    return await client.guard(agentToken, 'execute', 'mcp:deploy:production', { version: '1.2.3' });
  } catch (e) {
    if (e instanceof RateLimitError) return e.retryAfterSeconds;
    throw e;
  }
}
export const p = withApproval(execute('mcp:deploy:production'));
// @ts-expect-error: the transport is one of three names
createKavachClient({ baseUrl: 'x', transport: 'smoke-signals' });
`,
    );
    await writeFile(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: false, types: [] }, files: ['consumer.ts'] }));
    const res = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project }).catch((e: { stdout: string }) => ({ stdout: e.stdout, failed: true }));
    expect(res.stdout).toBe('');
    expect('failed' in res).toBe(false);
  });
});
