/** `kavach signup`, `login`, `logout` and `whoami`: the saved session. */
import { toJson } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { AuthenticationError, UserSchema } from '../client.js';
import type { Context, Io } from '../context.js';
import { action } from './common.js';
import { UsageError } from '../exit-codes.js';
import { readPassword } from '../input.js';
import { configPath, removeSession, saveSession } from '../session.js';
import { time } from './format.js';

function store(_ctx: Context, io: Io, url: string, token: string, tenant: string | undefined, email: string | undefined): Promise<string> {
  return saveSession(io.env, { url, token, ...(tenant === undefined ? {} : { tenant }), ...(email === undefined ? {} : { email }) });
}

export function sessionCommands(program: Command, io: Io): void {
  program
    .command('signup')
    .description('create a user account and log in as it')
    .requiredOption('--email <email>', 'the account’s email')
    .option('--name <name>', 'display name')
    .option('--password-stdin', 'read the password from the first line of stdin (else $KAVACH_PASSWORD, else a prompt)')
    .action(
      action(io, async (ctx, o) => {
      const password = await readPassword(io, o.passwordStdin === true);
      const { url, tenant } = await ctx.connection(false);
      const res = await ctx.clientFor(url, '', tenant).auth.signUp({ email: o.email as string, password, name: (o.name as string | undefined) ?? '' });
      const file = await store(ctx, io, url, res.sessionToken, tenant, res.user?.email);
      ctx.record({ user: res.user === undefined ? null : toJson(UserSchema, res.user), config: file }, { user: res.user?.id ?? '', email: res.user?.email ?? '', config: file });
      }),
    );

  program
    .command('login')
    .description('sign in (or save a token) and keep the session in the config directory, readable only by you')
    .option('--email <email>', 'sign in as this user')
    .option('--password-stdin', 'read the password from the first line of stdin (else $KAVACH_PASSWORD, else a prompt)')
    .addHelpText('after', `\nWithout --email, the credential from --token or $KAVACH_TOKEN (e.g. the admin token) is checked and saved.\nThe session file is ${configPath(io.env)} (mode 0600).`)
    .action(
      action(io, async (ctx, o) => {
      if (o.email !== undefined) {
        const password = await readPassword(io, o.passwordStdin === true);
        const { url, tenant } = await ctx.connection(false);
        const res = await ctx.clientFor(url, '', tenant).auth.signIn({ email: o.email as string, password });
        const file = await store(ctx, io, url, res.sessionToken, tenant, res.user?.email);
        ctx.record({ user: res.user === undefined ? null : toJson(UserSchema, res.user), config: file }, { user: res.user?.id ?? '', email: res.user?.email ?? '', config: file });
        return;
      }
      const { url, token, tenant } = await ctx.connection(false);
      if (token === '') throw new UsageError('login needs --email, or a credential in --token or KAVACH_TOKEN');
      // Check the credential before saving it: an agent may read itself, users and the admin may list agents.
      const client = ctx.clientFor(url, token, tenant);
      await client.agents.listAgents({ pageSize: 1 }).catch(async (err: unknown) => {
        if (err instanceof AuthenticationError) throw err;
        // An agent token may not list agents; the credential itself was accepted.
      });
      const file = await store(ctx, io, url, token, tenant, undefined);
      ctx.record({ config: file, url }, { url, config: file });
      }),
    );

  program
    .command('logout')
    .description('end the saved session on the server (for a user session) and delete it')
    .action(
      action(io, async (ctx) => {
      const { url, token, tenant } = await ctx.connection(false);
      let ended = 0;
      if (token.startsWith('kvs_')) {
        ended = (await ctx.clientFor(url, token, tenant).auth.signOut({}).catch((err: unknown) => {
          // An already expired session is as good as signed out.
          if (err instanceof AuthenticationError) return { endedSessions: 0 };
          throw err;
        })).endedSessions;
      }
      const removed = await removeSession(io.env);
      ctx.record({ removed, endedSessions: ended }, { removed: removed ? configPath(io.env) : 'no saved session', ended_sessions: String(ended) });
      }),
    );

  program
    .command('whoami')
    .description('the user behind the current credential and their session')
    .action(
      action(io, async (ctx) => {
      const res = await (await ctx.client()).auth.getSession({});
      ctx.record({ user: res.user === undefined ? null : toJson(UserSchema, res.user) }, {
        user: res.user?.id ?? '',
        email: res.user?.email ?? '',
        name: res.user?.name ?? '',
        session_expires: time(res.session?.expiresAt),
      });
      }),
    );
}
