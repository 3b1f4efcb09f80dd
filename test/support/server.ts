/**
 * The end-to-end ring (STYLE.md item 10): the real server, in process, on 127.0.0.1 port 0,
 * over a fresh `:memory:` embedded store whose admin token is generated at start. `close()`
 * resolves only when every connection and stream has closed and the store is closed.
 *
 * Logs are silent unless KAVACH_TEST_LOG names a level (e.g. KAVACH_TEST_LOG=debug).
 */
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { createServer, type KavachServer } from '../../src/server.js';

export interface RunningServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The admin token this start generated. */
  readonly adminToken: string;
  readonly server: KavachServer;
  close(): Promise<void>;
}

/** Starts a server; `env` adds or overrides KAVACH_* settings (host, port and store are fixed). */
export async function startServer(env: Record<string, string> = {}, now?: () => Date): Promise<RunningServer> {
  const config = loadConfig({
    KAVACH_SHUTDOWN_GRACE_MS: '5000',
    ...env,
    KAVACH_HOST: '127.0.0.1',
    KAVACH_PORT: '0',
    KAVACH_STORE: 'embedded',
    KAVACH_DATA_DIR: ':memory:',
    KAVACH_ADMIN_TOKEN: '',
  });
  const logger = pino({ level: process.env.KAVACH_TEST_LOG ?? 'silent' });
  const server = await createServer(config, { logger, now });
  const adminToken = server.app.generatedAdminToken;
  if (adminToken === undefined) {
    await server.close();
    throw new Error('a fresh :memory: store must generate an admin token');
  }
  try {
    const { port } = await server.listen();
    return { url: server.url(), port, adminToken, server, close: () => server.close() };
  } catch (err) {
    await server.close();
    throw err;
  }
}
