/**
 * Record ids: a type prefix and 128 random bits. Injected into use cases (as `newId`) so tests
 * can make ids predictable.
 */
import { randomBytes } from 'node:crypto';

export type IdKind = 'agt' | 'usr' | 'ses' | 'apr' | 'aud' | 'dlg';

export type IdGenerator = (kind: IdKind) => string;

export const randomIds: IdGenerator = (kind) => `${kind}_${randomBytes(16).toString('base64url')}`;
