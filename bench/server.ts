/**
 * The benchmark's server process: the real composition root on the embedded store, configured
 * from the environment like `npm start`, printing `READY <port>` once it listens.
 */
import { loadConfig } from '../src/config.js';
import { createServer } from '../src/server.js';

const server = await createServer(loadConfig());
const { port } = await server.listen();
process.stdout.write(`READY ${port}\n`);
const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
