/**
 * The identity of a request for approvals: the same agent, action, resource and arguments
 * (compared by value, key order ignored) give the same hash.
 */
import type { ArgValue, Arguments } from '../../domain/types.js';
import { sha256Hex } from '../auth/secrets.js';

function canonical(value: ArgValue): ArgValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(canonical);
  // fromEntries defines properties, so a key named __proto__ stays data and counts in the hash.
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key] as ArgValue)]));
}

export function requestHash(agentId: string, action: string, resource: string, args: Arguments): string {
  return sha256Hex(JSON.stringify([agentId, action, resource, canonical(args as ArgValue)]));
}
