// The outside gRPC clients against a real Kavach (src/main.ts) on both of its gRPC ports: the
// shared port (connect-node) and the native one (grpc-js, KAVACH_GRPC_PORT): grpc-health-probe
// and grpcurl, built at pinned versions by scripts/install-grpc-clients.sh.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import { missingTool, startKavach } from './support.mjs';

export const name = 'grpc-clients';

const bin = (tool) => path.join(homedir(), 'go', 'bin', tool);

function exec(file, args) {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

/** A port that was free a moment ago (the server binds it right after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const SERVICES = ['kavach.v1.AgentService', 'kavach.v1.AuditService', 'kavach.v1.AuthService', 'kavach.v1.AuthorizeService', 'kavach.v1.DelegationService', 'grpc.health.v1.Health'];

export async function run() {
  for (const tool of ['grpc-health-probe', 'grpcurl']) {
    if (!existsSync(bin(tool))) return missingTool(name, `${bin(tool)} is missing: run scripts/install-grpc-clients.sh`);
  }
  const grpcPort = await freePort();
  const kavach = await startKavach({ env: { KAVACH_GRPC_PORT: String(grpcPort) } });
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const check = (label, ok, detail) => {
    if (ok) counts.passed += 1;
    else {
      counts.failed += 1;
      console.error(`ring ${name}: FAILED ${label}\n${detail}`);
    }
  };
  try {
    const ports = [
      ['shared', new URL(kavach.url).host],
      ['native', `127.0.0.1:${grpcPort}`],
    ];
    for (const [port, addr] of ports) {
      const probe = await exec(bin('grpc-health-probe'), ['-addr', addr]);
      check(`${port}: grpc-health-probe says SERVING`, probe.code === 0 && /SERVING/.test(probe.stdout + probe.stderr), JSON.stringify(probe));
      const probeSvc = await exec(bin('grpc-health-probe'), ['-addr', addr, '-service', 'kavach.v1.AuthorizeService']);
      check(`${port}: grpc-health-probe -service kavach.v1.AuthorizeService`, probeSvc.code === 0, JSON.stringify(probeSvc));
      const probeUnknown = await exec(bin('grpc-health-probe'), ['-addr', addr, '-service', 'no.such.Service']);
      check(`${port}: grpc-health-probe of an unknown service fails`, probeUnknown.code !== 0, JSON.stringify(probeUnknown));

      const list = await exec(bin('grpcurl'), ['-plaintext', addr, 'list']);
      check(`${port}: grpcurl list (reflection)`, list.code === 0 && SERVICES.every((s) => list.stdout.includes(s)), JSON.stringify(list));
      const call = await exec(bin('grpcurl'), ['-plaintext', '-H', `authorization: Bearer ${kavach.adminToken}`, '-d', '{}', addr, 'kavach.v1.AgentService/ListAgents']);
      check(`${port}: grpcurl ListAgents with the admin token`, call.code === 0 && call.stdout.trim().startsWith('{'), JSON.stringify(call));
      const anon = await exec(bin('grpcurl'), ['-plaintext', '-d', '{}', addr, 'kavach.v1.AgentService/ListAgents']);
      check(`${port}: grpcurl ListAgents without a credential is Unauthenticated`, anon.code !== 0 && /Unauthenticated/.test(anon.stderr), JSON.stringify(anon));
    }
  } finally {
    await kavach.stop();
  }
  return counts;
}
