/**
 * Passwords (docs/ARCHITECTURE.md#callers-and-credentials): the policy a new one must meet, and argon2id hashing through
 * `@node-rs/argon2`, whose hash and verify run on libuv worker threads, so a sign-in never
 * blocks the event loop. Hashes are PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`): each
 * carries its own parameters, so raising them later only needs a re-hash at the user's next
 * sign-in (`needsRehash`).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { hash, parseOptions, verify } from '@node-rs/argon2';
import { invalidArgument } from '../../domain/errors.js';
import { createSemaphore } from '../semaphore.js';

export interface PasswordParams {
  /** Memory per hash, in KiB (`m=`). */
  readonly memoryCost: number;
  /** Passes over the memory (`t=`). */
  readonly timeCost: number;
  /** Lanes (`p=`). */
  readonly parallelism: number;
}

/**
 * Production parameters: 64 MiB, 3 passes, 1 lane, above the OWASP minimum for argon2id
 * (m=19456 KiB, t=2, p=1). Calibrated on the 2-core build machine with @node-rs/argon2 2.2.1:
 * one hash took 131 ms (median of 7; verify 133 ms), inside the 50 to 250 ms target; t=2 took
 * 92 ms and t=4 177 ms. At most `UV_THREADPOOL_SIZE` (default 4) hashes run at once, so
 * sign-in memory peaks near 256 MiB.
 */
export const DEFAULT_PASSWORD_PARAMS: PasswordParams = { memoryCost: 65_536, timeCost: 3, parallelism: 1 };

/** The argon2 enums are `const enum`s in the typings, which isolated modules cannot read. */
const ARGON2ID = 2;
const VERSION_0X13 = 1;
const OUTPUT_LENGTH = 32;

export interface PasswordHasher {
  /** A PHC string for `password` with a fresh random salt and the current parameters. */
  hash(password: string): Promise<string>;
  /**
   * True when `password` matches `stored`. A stored value that is not a valid argon2 hash
   * gives false (never throws), so a corrupt record reads as a wrong password.
   */
  verify(stored: string, password: string): Promise<boolean>;
  /**
   * Spends about the time of a real `verify` and returns false: used for unknown emails, so
   * that an unknown email and a wrong password cannot be told apart by timing.
   */
  verifyDummy(password: string): Promise<boolean>;
  /** True when `stored` was made with another algorithm or other parameters than the current ones. */
  needsRehash(stored: string): boolean;
}

/**
 * NIST SP 800-63B §5.1.1.2: normalise so that the same password typed on two keyboards (or
 * input methods that compose characters differently) hashes the same.
 */
function normalize(password: string): string {
  return password.normalize('NFKC');
}

/**
 * Hashes running at once. Each one keeps a core busy for ~130 ms; leaving one core free keeps
 * Authorize latency flat while people sign in (the server benchmark measures this).
 */
const DEFAULT_HASH_CONCURRENCY = Math.max(1, availableParallelism() - 1);
/** Sign-ins waiting for a hash slot beyond this are refused with ResourceExhausted. */
const MAX_HASH_QUEUE = 256;
/**
 * Under a burst of sign-ins, a hash slot works at most half the time. On a small machine a
 * slot that hashes back to back takes a whole core and, with the event loop and the OS on the
 * other, Authorize p99 more than doubles; resting the slot keeps authorization first.
 */
const HASH_DUTY_CYCLE = 0.5;

/** Builds a hasher. Tests pass tiny parameters (e.g. m=1024, t=1) to stay fast. */
export function createPasswordHasher(
  params: PasswordParams = DEFAULT_PASSWORD_PARAMS,
  concurrency: number = DEFAULT_HASH_CONCURRENCY,
): PasswordHasher {
  const slots = createSemaphore(concurrency, MAX_HASH_QUEUE, 'sign-ins', HASH_DUTY_CYCLE);
  const options = {
    algorithm: ARGON2ID,
    version: VERSION_0X13,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    outputLen: OUTPUT_LENGTH,
  };
  // Made once, on first need, with the current parameters, from a random password nobody knows.
  let dummy: Promise<string> | undefined;

  async function verifyHash(stored: string, password: string): Promise<boolean> {
    try {
      return await slots.run(() => verify(stored, normalize(password)));
    } catch {
      return false;
    }
  }

  return {
    hash: (password) => slots.run(() => hash(normalize(password), options)),
    verify: verifyHash,
    async verifyDummy(password) {
      dummy ??= hash(randomBytes(32).toString('base64url'), options);
      await verifyHash(await dummy, password);
      return false;
    },
    needsRehash(stored) {
      try {
        const used = parseOptions(stored);
        return (
          used.algorithm !== ARGON2ID ||
          used.version !== VERSION_0X13 ||
          used.memoryCost !== params.memoryCost ||
          used.timeCost !== params.timeCost ||
          used.parallelism !== params.parallelism ||
          used.outputLen !== OUTPUT_LENGTH
        );
      } catch {
        // Not an argon2 PHC string: whatever it is, the current policy replaces it.
        return true;
      }
    },
  };
}

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

/** Length in characters (code points), so an emoji or a CJK character counts once. */
export function passwordLength(password: string): number {
  let n = 0;
  for (const _ of password) n++;
  return n;
}

/**
 * The policy for a new password (NIST SP 800-63B §5.1.1.2): 8 to 128 characters, not a common
 * password (compared in lower case), and not the account's own email or its local part. No
 * composition rules: they make passwords harder to remember, not to guess. Throws
 * invalid_argument naming `password`; the message never repeats the password.
 */
export function checkNewPassword(password: string, email: string, common: ReadonlySet<string>): void {
  const length = passwordLength(password);
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw invalidArgument('password', `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
  const lower = normalize(password).toLowerCase();
  if (common.has(lower)) throw invalidArgument('password', 'is too common: choose one that is not on lists of leaked passwords');
  if (lower === email || lower === email.slice(0, email.indexOf('@'))) {
    throw invalidArgument('password', 'must not be the email address');
  }
}
