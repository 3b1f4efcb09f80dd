/**
 * The saved session: `kavach login` writes the server, credential and tenant to
 * $XDG_CONFIG_HOME/kavach/config.json (default ~/.config/kavach/config.json), readable by the
 * user only (file 0600, directory 0700). Flags beat environment variables, which beat the file.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { CliError, EXIT, UsageError } from './exit-codes.js';

export interface Session {
  readonly url: string;
  readonly token: string;
  readonly tenant?: string;
  /** Who signed in (for `kavach whoami` and messages); absent for a pasted token. */
  readonly email?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export function configPath(env: Env): string {
  const base = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : path.join(env.HOME ?? homedir(), '.config');
  return path.join(base, 'kavach', 'config.json');
}

export async function loadSession(env: Env): Promise<Session | undefined> {
  const file = configPath(env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.error);
  }
  try {
    const data = JSON.parse(text) as Partial<Session>;
    if (typeof data.url !== 'string' || typeof data.token !== 'string') throw new Error('url and token must be strings');
    return data as Session;
  } catch (err) {
    throw new CliError(`${file} is not a kavach session (${(err as Error).message}); run kavach logout and log in again`, EXIT.error);
  }
}

export async function saveSession(env: Env, session: Session): Promise<string> {
  const file = configPath(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written under a temporary name created 0600 and renamed: the token is never world-readable,
  // not even for a moment, and a crash never leaves half a file.
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, file);
  return file;
}

export async function removeSession(env: Env): Promise<boolean> {
  const file = configPath(env);
  try {
    await rm(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export interface ConnectionFlags {
  readonly url?: string;
  readonly token?: string;
  readonly tenant?: string;
}

export interface Connection {
  readonly url: string;
  readonly token: string;
  readonly tenant: string | undefined;
}

/** Where to connect and as whom: flags, then KAVACH_URL/KAVACH_TOKEN/KAVACH_TENANT, then the saved session. */
export async function resolveConnection(flags: ConnectionFlags, env: Env, requireToken = true): Promise<Connection> {
  const saved = await loadSession(env);
  const pick = (...values: (string | undefined)[]) => values.find((v) => v !== undefined && v !== '');
  const url = pick(flags.url, env.KAVACH_URL, saved?.url) ?? DEFAULT_URL;
  if (!/^https?:\/\/[^\s/]+\/?$/.test(url)) throw new UsageError(`--url must look like http://host:port, got "${url}"`);
  const token = pick(flags.token, env.KAVACH_TOKEN, saved?.token) ?? '';
  if (requireToken && token === '') {
    throw new CliError('not logged in: run kavach login, or pass --token or set KAVACH_TOKEN', EXIT.auth);
  }
  return { url: url.replace(/\/$/, ''), token, tenant: pick(flags.tenant, env.KAVACH_TENANT, saved?.tenant) };
}
