/**
 * Process entry of the `kavach` command. Ctrl-C stops long-running commands cleanly (exit 0); a
 * second Ctrl-C exits at once. Colour only when stdout is a terminal and NO_COLOR is unset.
 */
import { runCli } from './program.js';

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
const columns = Number(process.env.COLUMNS);
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  color: process.stdout.isTTY === true && !noColor,
  width: process.stdout.isTTY === true ? process.stdout.columns : Number.isInteger(columns) && columns > 0 ? columns : undefined,
  stderrIsTty: process.stderr.isTTY === true,
  env: process.env,
  signal: controller.signal,
  status: { code: 0 },
});
// Open HTTP/2 sessions would keep the process alive; wait for stdout to drain, then leave.
process.stdout.write('', () => process.exit(code));
