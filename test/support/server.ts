/**
 * The end-to-end ring (docs/ARCHITECTURE.md#tests): the real server, in process, on 127.0.0.1 port 0,
 * over a fresh embedded store (`:memory:` unless `options.dataDir` names a directory) whose
 * admin token is generated at start. `close()` resolves only when every connection and stream
 * has closed and the store is closed.
 *
 * Logs are silent unless KAVACH_TEST_LOG names a level (e.g. KAVACH_TEST_LOG=debug), or the
 * test passes its own logger (to inspect what the server logs).
 */
import { pino, type Logger } from 'pino';
import { loadConfig } from '../../src/config.js';
import { createServer, type KavachServer } from '../../src/server/server.js';
import type { AuditRecord } from '../../src/domain/records.js';

export interface StartOptions {
  /** The server's logger; by default a silent one (see KAVACH_TEST_LOG). */
  readonly logger?: Logger;
  /** A directory for the embedded store's file, so a test can open the store after `close()`. */
  readonly dataDir?: string;
  /** Listen on this port instead of a free one (a restart on the same address). */
  readonly port?: number;
  /** Use this admin token (>= 32 characters) instead of generating one (a restart on an existing store). */
  readonly adminToken?: string;
}

export interface RunningServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The admin token this start generated. */
  readonly adminToken: string;
  readonly server: KavachServer;
  /**
   * Every audit entry committed to the store since the start, in commit order, exactly as it was
   * handed to the store (so already redacted). An entry is here before its `audit_id` is returned.
   */
  committedAudit(): readonly AuditRecord[];
  close(): Promise<void>;
}

/**
 * Starts a server; `env` adds or overrides KAVACH_* settings (host, port and store are fixed),
 * `now` replaces the app's clock (pass a fake clock to test time-based rules without sleeping).
 */
export async function startServer(
  env: Record<string, string> = {},
  now?: () => Date,
  options: StartOptions = {},
): Promise<RunningServer> {
  const config = loadConfig({
    KAVACH_SHUTDOWN_GRACE_MS: '5000',
    ...env,
    KAVACH_HOST: '127.0.0.1',
    KAVACH_PORT: String(options.port ?? 0),
    KAVACH_STORE: 'embedded',
    KAVACH_DATA_DIR: options.dataDir ?? ':memory:',
    KAVACH_ADMIN_TOKEN: options.adminToken ?? '',
  });
  const logger = options.logger ?? pino({ level: process.env.KAVACH_TEST_LOG ?? 'silent' });
  const server = await createServer(config, { logger, now });
  const committed: AuditRecord[] = [];
  const unsubscribe = server.app.onAuditCommit((records) => committed.push(...records));
  const close = async (): Promise<void> => {
    await server.close();
    unsubscribe();
  };
  const adminToken = options.adminToken ?? server.app.generatedAdminToken;
  if (adminToken === undefined) {
    await close();
    throw new Error('a fresh store must generate an admin token');
  }
  try {
    const { port } = await server.listen();
    return { url: server.url(), port, adminToken, server, committedAudit: () => committed, close };
  } catch (err) {
    await close();
    throw err;
  }
}
