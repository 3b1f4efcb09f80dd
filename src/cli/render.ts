/**
 * How `kavach audit tail` prints an entry: one line for humans (coloured when the output is a
 * terminal), or the entry's proto3 JSON for machines.
 */
import { toJsonString } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { styleText } from 'node:util';
import { ActorKind, AuditEntrySchema, AuditResult, ReasonCode, type AuditEntry } from '../../gen/kavach/v1/types_pb.js';

type Format = Parameters<typeof styleText>[0];
type Style = Extract<Format, string>;

const RESULTS: Record<AuditResult, { label: string; style: Style }> = {
  [AuditResult.UNSPECIFIED]: { label: '?', style: 'gray' },
  [AuditResult.ALLOWED]: { label: 'allowed', style: 'green' },
  [AuditResult.DENIED]: { label: 'denied', style: 'red' },
  [AuditResult.RATE_LIMITED]: { label: 'rate_limited', style: 'yellow' },
  [AuditResult.PENDING_APPROVAL]: { label: 'pending', style: 'cyan' },
};

const ACTORS: Record<ActorKind, string> = {
  [ActorKind.UNSPECIFIED]: 'anonymous',
  [ActorKind.ADMIN]: 'admin',
  [ActorKind.USER]: 'user',
  [ActorKind.AGENT]: 'agent',
  [ActorKind.SYSTEM]: 'system',
};

// Control characters in stored text must not move the cursor or recolour the terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const clean = (text: string) => text.replace(CONTROL, '?');

export interface Renderer {
  entry(entry: AuditEntry): string;
}

export function createRenderer(options: { json: boolean; color: boolean }): Renderer {
  const paint = (style: Format, text: string) => (options.color ? styleText(style, text) : text);
  if (options.json) return { entry: (entry) => `${toJsonString(AuditEntrySchema, entry)}\n` };
  return {
    entry(e) {
      const result = RESULTS[e.result] ?? RESULTS[AuditResult.UNSPECIFIED];
      const time = e.time === undefined ? '-' : timestampDate(e.time).toISOString();
      const actor = e.actor === undefined ? 'anonymous' : `${ACTORS[e.actor.kind] ?? '?'}${e.actor.id === '' ? '' : `:${e.actor.id}`}`;
      const reason = e.reason === ReasonCode.UNSPECIFIED ? '' : ` ${ReasonCode[e.reason] ?? ''}`;
      const parts = [
        paint('dim', time),
        paint(['bold', result.style], result.label.padEnd(12)),
        paint('bold', clean(e.action)),
        clean(e.resource === '' ? '-' : e.resource),
        paint('dim', `by ${clean(actor)}`),
        e.agentId === '' || e.actor?.id === e.agentId ? '' : paint('dim', `agent ${clean(e.agentId)}`),
        paint(result.style, reason.trim()),
        e.message === '' ? '' : paint('gray', `"${clean(e.message)}"`),
      ];
      return `${parts.filter((p) => p !== '').join('  ')}\n`;
    },
  };
}
