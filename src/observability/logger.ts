/**
 * The process logger: pino, JSON lines on stdout. Redaction is a safety net only: code never
 * passes headers, tokens or request bodies to the logger in the first place.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config.js';

const REDACT = [
  'authorization',
  'headers.authorization',
  '*.authorization',
  '*.headers.authorization',
  'cookie',
  '*.headers.cookie',
  'password',
  '*.password',
  'token',
  '*.token',
];

export function createLogger(level: LogLevel): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } });
}
