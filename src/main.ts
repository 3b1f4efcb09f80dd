/**
 * Process entry: configuration, server, listen, and a graceful exit on SIGTERM/SIGINT.
 *
 * Logs go to stdout as JSON (pino). The one-time "what to do next" note, with the admin token
 * when this start created it, is written to stderr for the person at the terminal and never
 * enters the logs.
 */
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './observability/logger.js';
import { createServer } from './server/server.js';

function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      // The one place a plain stderr write is right: there is no logger without a config.
      process.stderr.write(`kavach: invalid configuration: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

function nextSteps(url: string, adminToken: string | undefined): string {
  const token = adminToken ?? '<admin token>';
  const lines = [
    '',
    `Kavach is listening on ${url} (gRPC, gRPC-Web and Connect; GET /healthz, GET /metrics).`,
  ];
  if (adminToken !== undefined) {
    lines.push(
      '',
      'A new admin token was created. It is shown only this once and only its hash is stored:',
      '',
      `  ${adminToken}`,
      '',
      'Keep it in a secret store, or set KAVACH_ADMIN_TOKEN to use your own.',
    );
  }
  lines.push(
    '',
    `Open the console in a browser: ${url}/ (sign up, or sign in with the admin token).`,
    `The KavachOS Python SDK works with base_url="${url}/api/kavach"; the kavach CLI and the clients`,
    'for TypeScript, Python and Go are in clients/ (README: "Quick start").',
    '',
    'Try it:',
    '',
    `  npx buf curl --protocol grpc --http2-prior-knowledge --reflect -H "authorization: Bearer ${token}" -d '{}' ${url}/kavach.v1.AgentService/ListAgents`,
    '',
    'List every service with reflection:',
    '',
    `  npx buf curl --protocol grpc --http2-prior-knowledge --reflect --list-methods ${url}`,
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  const server = await createServer(config, { logger });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal means "now": skip whatever is left of the grace period.
      logger.warn({ signal }, 'second signal during shutdown; exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    server.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  const { host, port } = await server.listen();
  const url = server.url();
  logger.info({ host, port, url, grpcUrl: server.grpcUrl(), store: config.store }, 'listening');
  process.stderr.write(`${nextSteps(url, server.app.generatedAdminToken)}\n`);
}

/** The one-line explanation of a listen failure the operator can fix (port taken, not allowed), if it is one. */
function listenProblem(err: unknown): string | undefined {
  const e = err as { code?: unknown; address?: unknown; port?: unknown; cause?: unknown } | undefined;
  if (e === undefined || e === null || typeof e !== 'object') return undefined;
  const where = typeof e.address === 'string' && typeof e.port === 'number' ? ` ${e.address}:${e.port}` : '';
  if (e.code === 'EADDRINUSE') {
    return `cannot listen on${where}: the address is already in use (another process holds the port; stop it, or set KAVACH_PORT/KAVACH_HOST to a free one)`;
  }
  if (e.code === 'EACCES') return `cannot listen on${where}: permission denied (ports below 1024 need privileges; set KAVACH_PORT)`;
  if (e.code === 'EADDRNOTAVAIL') return `cannot listen on${where}: the address is not available on this machine (check KAVACH_HOST)`;
  return listenProblem(e.cause);
}

main().catch((err: unknown) => {
  const problem = listenProblem(err);
  if (problem !== undefined) {
    // A configuration mistake, not a crash: one clear line for the operator, like a bad setting.
    process.stderr.write(`kavach: ${problem}\n`);
    process.exit(1);
  }
  // Start-up failed after the config was read (the store would not open…).
  const logger = createLogger('error');
  logger.fatal({ err }, 'kavach failed to start');
  process.exit(1);
});
