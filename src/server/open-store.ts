/**
 * Opens the configured store engine. The only place that knows both engines exist.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { openEmbeddedStore } from '../store/embedded/open.js';
import type { Store } from '../store/store.js';

export async function openStore(config: Config, logger: Logger): Promise<Store> {
  switch (config.store) {
    case 'embedded': {
      const file = config.dataDir === ':memory:' ? ':memory:' : path.join(config.dataDir, 'kavach.db');
      logger.info({ engine: 'embedded', file }, 'opening store');
      return openEmbeddedStore({ path: file });
    }
    case 'mongo': {
      const { openMongoStore } = await import('../store/mongo/open.js');
      logger.info({ engine: 'mongo', database: config.mongoDatabase }, 'opening store');
      return openMongoStore({
        uri: config.mongoUri,
        database: config.mongoDatabase,
        logger,
        // Every call is also bounded above the driver (store/time-limit.ts); these make the driver
        // itself give up on an unreachable server and on a socket that stopped answering.
        serverSelectionTimeoutMS: config.storeTimeoutMs,
        connectTimeoutMS: config.storeTimeoutMs,
        socketTimeoutMS: Math.max(10_000, 4 * config.storeTimeoutMs),
        maxTimeMS: config.storeTimeoutMs,
      });
    }
  }
}
