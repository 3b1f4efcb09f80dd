/**
 * The one way use cases write the audit log: fills ids and times, redacts secret-named
 * arguments and URL passwords, and resolves only when the entry is durable (through the group-commit writer).
 */
import { redactUrlPasswords, type Redactor } from '../../domain/redaction.js';
import type { AuditRecord } from '../../domain/records.js';
import { auditRecord, type AuditFields } from './audit-entry.js';
import type { AuditWriter } from './audit-writer.js';
import type { IdGenerator } from '../ids.js';

export interface AuditLog {
  /** Writes one entry and resolves with its id once it is durable. */
  record(fields: AuditFields, time?: Date): Promise<string>;
  /** Builds the entry without writing it (for callers that need the id first). */
  build(fields: AuditFields, time?: Date): AuditRecord;
  write(entry: AuditRecord): Promise<void>;
}

export function createAuditLog(deps: {
  writer: AuditWriter;
  newId: IdGenerator;
  now: () => Date;
  /** The process's one redactor (the same that redacts approvals' arguments). */
  redact: Redactor;
}): AuditLog {
  const { redact } = deps;
  function build(fields: AuditFields, time?: Date): AuditRecord {
    // A URL with a password may be the resource or be quoted in a message, not only an argument.
    const redacted: AuditFields = {
      ...fields,
      ...(fields.message === undefined ? {} : { message: redactUrlPasswords(fields.message) }),
      ...(fields.resource === undefined ? {} : { resource: redactUrlPasswords(fields.resource) }),
      ...(fields.arguments === undefined ? {} : { arguments: redact(fields.arguments) }),
    };
    return auditRecord(deps.newId('aud'), time ?? deps.now(), redacted);
  }
  return {
    build,
    write: (entry) => deps.writer.write(entry),
    async record(fields, time) {
      const entry = build(fields, time);
      await deps.writer.write(entry);
      return entry.id;
    },
  };
}
