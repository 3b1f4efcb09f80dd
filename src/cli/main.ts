/**
 * Process entry of the `kavach` command (bin/kavach.js). Ctrl-C stops it cleanly (exit 0); a
 * second Ctrl-C exits at once. Colours only on a terminal, and never with NO_COLOR set.
 */
import { runCli } from './run.js';

const controller = new AbortController();
let interrupted = false;
const stop = (): void => {
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// A closed pipe (`kavach audit tail | head`) is the reader leaving: stop quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') controller.abort();
});

const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  color: process.stdout.isTTY === true && !noColor,
  env: process.env,
  signal: controller.signal,
});
// Open HTTP/2 sessions would keep the process alive; everything was written already.
process.exit(code);
