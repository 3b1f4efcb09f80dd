import { describe, expect, it } from 'vitest';
import { CreateAgentRequestSchema, UpdateAgentRequestSchema } from '../../../gen/kavach/v1/agent_service_pb.js';
import { AuthorizeRequestSchema } from '../../../gen/kavach/v1/authorize_service_pb.js';
import { unknownJsonProblem } from '../../../src/api/strict-json.js';

describe('unknownJsonProblem', () => {
  it('accepts both spellings of a field, nulls, enum numbers and any keys inside a Struct', () => {
    const request = {
      owner_id: 'usr_x',
      type: 2,
      expiresAt: null,
      permissions: [{ resource: 'r', constraints: { ip_allowlist: [], timeWindow: { days: ['WEEKDAY_MONDAY', 3] } } }],
      metadata: { anything: 'goes' },
    };
    expect(unknownJsonProblem(CreateAgentRequestSchema, request)).toBeUndefined();
    expect(unknownJsonProblem(AuthorizeRequestSchema, { arguments: { any: { nested: ['key'] } } })).toBeUndefined();
  });

  it('names the path of an unknown key or enum name, in lists and maps alike', () => {
    expect(unknownJsonProblem(CreateAgentRequestSchema, { permissions: [{}, { constraints: { ipAllowList: [] } }] })).toBe(
      'permissions[1].constraints: unknown field "ipAllowList"',
    );
    expect(unknownJsonProblem(CreateAgentRequestSchema, { type: 'AGENT_TYPE_ROBOT' })).toBe('type: "AGENT_TYPE_ROBOT" is not a value of kavach.v1.AgentType');
    expect(unknownJsonProblem(UpdateAgentRequestSchema, { metadata: { entries: { a: 'b' }, extra: 1 } })).toBe('metadata: unknown field "extra"');
    expect(unknownJsonProblem(CreateAgentRequestSchema, { ownerID: 'x' })).toBe('kavach.v1.CreateAgentRequest: unknown field "ownerID"');
  });

  it('leaves type errors to the protobuf parser', () => {
    expect(unknownJsonProblem(CreateAgentRequestSchema, { permissions: 'not a list', name: 5 })).toBeUndefined();
  });
});
