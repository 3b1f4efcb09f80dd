/**
 * Input checks shared by use cases. Each throws invalid_argument naming the field.
 */
import { invalidArgument } from '../domain/errors.js';

const ID_LIKE = /^[A-Za-z0-9_.:@-]+$/;
// Control characters make log lines and terminals lie about what was stored.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

export function validateName(name: string, field: string): void {
  if (name.trim() === '') throw invalidArgument(field, 'is required');
  if (name.length > 128) throw invalidArgument(field, 'must be at most 128 characters');
  if (CONTROL.test(name)) throw invalidArgument(field, 'must not contain control characters');
}

export function validateOwnerId(ownerId: string, field: string): void {
  if (ownerId.length > 128 || !ID_LIKE.test(ownerId)) {
    throw invalidArgument(field, 'must be 1 to 128 characters of letters, digits and _ . : @ -');
  }
}

export function validateId(id: string, field: string): void {
  if (id === '') throw invalidArgument(field, 'is required');
  if (id.length > 64 || !ID_LIKE.test(id)) throw invalidArgument(field, 'is not a valid id');
}

export function validateMetadata(metadata: Readonly<Record<string, string>>, field: string): void {
  const keys = Object.keys(metadata);
  if (keys.length > 32) throw invalidArgument(field, 'must have at most 32 keys');
  for (const key of keys) {
    if (key === '' || key.length > 64 || CONTROL.test(key)) {
      throw invalidArgument(`${field}.${key}`, 'keys must be 1 to 64 characters without control characters');
    }
    const value = metadata[key] ?? '';
    if (value.length > 512) throw invalidArgument(`${field}.${key}`, 'values must be at most 512 characters');
  }
}

/** 0 means the default; anything above `max` is refused rather than silently clamped. */
export function validatePageSize(pageSize: number, fallback: number, max: number): number {
  if (pageSize === 0) return fallback;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > max) {
    throw invalidArgument('page_size', `must be from 1 to ${max}`);
  }
  return pageSize;
}
