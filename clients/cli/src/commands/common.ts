/** Small pieces every command module uses. */
import type { Command } from 'commander';
import { Context, type Io } from '../context.js';

/** Collects a repeatable option's values. */
export const repeat = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * The action wrapper: builds the context from the command's (and its parents') options. The
 * handler's return value, if a number, becomes the exit code.
 */
export function action<A extends unknown[]>(
  io: Io,
  handler: (ctx: Context, options: Record<string, unknown>, ...args: A) => Promise<number | void>,
): (...params: unknown[]) => Promise<void> {
  return async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const options = params[params.length - 2] as Record<string, unknown>;
    const args = params.slice(0, -2) as A;
    const code = await handler(Context.of(io, command), options, ...args);
    if (typeof code === 'number') io.status.code = code;
  };
}

/** Follows next_page_token until the last page (or `limit` items). */
export async function allPages<T>(fetch: (pageToken: string) => Promise<{ items: T[]; next: string }>, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  let token = '';
  do {
    const page = await fetch(token);
    out.push(...page.items);
    token = page.next;
  } while (token !== '' && out.length < limit);
  return out.slice(0, limit);
}
