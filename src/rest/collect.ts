/**
 * The SDK's list calls expect the whole list in one answer, while the use cases page. This
 * walks the pages up to a bound and refuses, rather than truncates, a list beyond it.
 */
import { failedPrecondition } from '../domain/errors.js';

/** Most items one REST list answer carries. */
export const MAX_LIST_ITEMS = 10_000;

export async function collectPages<T>(
  read: (pageToken: string) => Promise<{ items: readonly T[]; nextCursor: string | undefined }>,
  what: string,
): Promise<T[]> {
  const all: T[] = [];
  let token = '';
  for (;;) {
    const page = await read(token);
    all.push(...page.items);
    if (all.length > MAX_LIST_ITEMS) {
      throw failedPrecondition(`more than ${MAX_LIST_ITEMS} ${what} match: narrow the filter, or page with the RPC`);
    }
    if (page.nextCursor === undefined) return all;
    token = page.nextCursor;
  }
}
