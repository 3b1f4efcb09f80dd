/**
 * The `kavach` command tree, free of process globals so it can be built and run with any
 * streams: arguments in, exit code out.
 */
import { Command, CommanderError, Option } from 'commander';
import { agentsCommand } from './commands/agents.js';
import { approvalsCommand } from './commands/approvals.js';
import { auditCommand } from './commands/audit.js';
import { authorizeCommand } from './commands/authorize.js';
import { delegationsCommand } from './commands/delegations.js';
import { sessionCommands } from './commands/session.js';
import { completionScript } from './completion.js';
import type { Io } from './context.js';
import { EXIT, EXIT_HELP, UsageError, describeError, exitCodeOf } from './exit-codes.js';

export const VERSION = '0.1.0';

const ENV_HELP = `
Connection: --url, --token and --tenant override KAVACH_URL, KAVACH_TOKEN and KAVACH_TENANT,
which override the session saved by \`kavach login\` (default server http://127.0.0.1:8080).

${EXIT_HELP}`;

export function buildProgram(io: Io): Command {
  const program = new Command('kavach')
    .description('Manage a Kavach server: agents, decisions, approvals, delegations and the audit log.')
    .version(VERSION)
    .option('--url <url>', 'the Kavach server (env KAVACH_URL)')
    .option('--token <token>', 'credential: admin token, session or agent token (env KAVACH_TOKEN)')
    .option('--tenant <tenant>', 'tenant, with the admin token (env KAVACH_TENANT)')
    .addOption(new Option('-o, --output <format>', 'table, json or yaml').default('table'))
    .option('--field <path>', 'print only this field of the JSON output, e.g. agent.id or approvals.0.id')
    .option('--no-color', 'never colour the output (colour is used only on a terminal anyway)')
    .addOption(new Option('--transport <kind>', 'connect, grpc or grpc-web').default('connect'))
    .addOption(new Option('--timeout <ms>', 'deadline of each call in ms (0 for none)').default('30000'))
    .addHelpText('after', ENV_HELP)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  sessionCommands(program, io);
  agentsCommand(program, io);
  authorizeCommand(program, io);
  approvalsCommand(program, io);
  delegationsCommand(program, io);
  auditCommand(program, io);
  program
    .command('completion')
    .description('print a shell completion script: source <(kavach completion bash)')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new UsageError(`completion: shell must be bash or zsh, got "${shell}"`);
      io.stdout.write(completionScript(program, shell));
    });

  // Every subcommand reports like the root: exit codes instead of process.exit, output to io.
  const configure = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) }).showHelpAfterError('(run with --help for usage)');
      configure(sub);
    }
  };
  configure(program);
  return program;
}

/** Runs `kavach` with `argv` (without node and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return io.status.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with "errors" whose exit code is 0.
      if (err.exitCode === 0) return EXIT.ok;
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      // A group without its subcommand (e.g. `kavach agents`) prints its help: a usage error.
      return EXIT.usage;
    }
    if (io.signal.aborted) return EXIT.ok;
    const code = exitCodeOf(err);
    io.stderr.write(`kavach: ${describeError(err)}\n`);
    if (code === EXIT.usage) io.stderr.write('(run with --help for usage)\n');
    return code;
  }
}
