/**
 * Errors raised by store engines. Engines translate their driver's failures into these, so
 * nothing above the store knows which engine runs. They reuse the domain's typed error, so the
 * API edge maps them with the same table.
 */
import { KavachError } from '../domain/errors.js';

/** The store cannot be reached or failed transiently. Authorization fails closed on it. */
export function storeUnavailable(cause: unknown): KavachError {
  return new KavachError('unavailable', 'the store is unavailable; try again', undefined, undefined, { cause });
}

/** A uniqueness constraint was violated (duplicate email, id or token hash). */
export function storeConflict(what: string): KavachError {
  return new KavachError('already_exists', what);
}
