/**
 * The list of common passwords a new password may not be (NIST SP 800-63B §5.1.1.2: check
 * against "passwords obtained from previous breach corpuses"). The data is the `passwords`
 * dictionary of `@zxcvbn-ts/language-common` (MIT, maintained): 49,233 passwords ordered by
 * frequency, from the zxcvbn breach-corpus lists.
 */
import { createRequire } from 'node:module';

const PACKAGE = '@zxcvbn-ts/language-common';

/** The part of the package's exports read here. */
interface LanguageCommon {
  readonly dictionary: { readonly 'passwords-common': readonly string[] };
}

/**
 * Every listed password, lower-cased (callers compare `password.toLowerCase()`, so `PassWord`
 * counts as common too). Reads the package synchronously (about 150 ms cold, for 49k entries):
 * call it once and keep the set. Throws, naming the package, when it is not installed, so a build without the list
 * fails loudly instead of accepting every password.
 */
export function loadCommonPasswords(): Set<string> {
  let list: readonly string[] | undefined;
  try {
    // createRequire: the package ships CommonJS; loading it on first use keeps start-up and
    // the modules that merely import this file independent of it.
    const pkg = createRequire(import.meta.url)(PACKAGE) as LanguageCommon;
    list = pkg.dictionary['passwords-common'];
  } catch (err) {
    throw new Error(`the common-password list (${PACKAGE}) could not be loaded`, { cause: err });
  }
  if (!Array.isArray(list) || list.length < 10_000) {
    throw new Error(`the common-password list (${PACKAGE}) holds fewer than 10,000 passwords`);
  }
  return new Set(list.map((p) => p.toLowerCase()));
}
