/**
 * API-level builders: every call returns a new, valid request init (the plain-object shape the
 * generated clients accept) with random defaults; pass overrides for the fields a test cares
 * about. Nothing here is shared or mutable between tests. Store-level records live in
 * `builders.ts`.
 *
 *   const { agent, token } = await agents.createAgent(aCreateAgentRequest({ ownerId, permissions: [aPermission()] }));
 */
import { randomBytes } from 'node:crypto';
import type { DescMessage, JsonObject, Message, MessageInitShape } from '@bufbuild/protobuf';
import type { CreateAgentRequestSchema, UpdateAgentRequestSchema } from '../../gen/kavach/v1/agent_service_pb.js';
import type { SignUpRequestSchema } from '../../gen/kavach/v1/auth_service_pb.js';
import type { AuthorizeRequestSchema } from '../../gen/kavach/v1/authorize_service_pb.js';
import {
  AgentType,
  type ArgumentRuleSchema,
  type ConstraintsSchema,
  type PermissionSchema,
  type TimeWindowSchema,
} from '../../gen/kavach/v1/types_pb.js';

/** The plain-object form of a message init (not an already-built message), so it can be spread and overridden. */
type Init<S extends DescMessage> = Exclude<MessageInitShape<S>, Message>;

export type PermissionInit = Init<typeof PermissionSchema>;
export type ConstraintsInit = Init<typeof ConstraintsSchema>;
export type ArgumentRuleInit = Init<typeof ArgumentRuleSchema>;
export type TimeWindowInit = Init<typeof TimeWindowSchema>;
export type CreateAgentInit = Init<typeof CreateAgentRequestSchema>;
export type UpdateAgentInit = Init<typeof UpdateAgentRequestSchema>;
export type AuthorizeInit = Init<typeof AuthorizeRequestSchema>;
export type SignUpInit = Init<typeof SignUpRequestSchema>;

/** What an agent token looks like (docs/ARCHITECTURE.md#callers-and-credentials): `kv_` and 43 base64url characters. */
export const AGENT_TOKEN_SHAPE = /^kv_[A-Za-z0-9_-]{43}$/;

/** 8 random lower-case hex characters, for unique names and resources. */
export function aSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** A user id as an owner, `usr_` and 20 hex characters. */
export function anOwnerId(): string {
  return `usr_${randomBytes(10).toString('hex')}`;
}

/** A literal resource no other test uses: `mcp:<random>:repos`. */
export function aResource(): string {
  return `mcp:svc${aSuffix()}:repos`;
}

/**
 * A permission granting `read` on `mcp:<random>:*`, with no constraints. Override
 * `constraints` as a whole (use `constraints(...)` for the usual shape).
 */
export function aPermission(overrides: Partial<PermissionInit> = {}): PermissionInit {
  return {
    resource: `mcp:svc${aSuffix()}:*`,
    actions: ['read'],
    constraints: {},
    ...overrides,
  };
}

/** Constraints with nothing set, plus `overrides`. */
export function constraints(overrides: Partial<ConstraintsInit> = {}): ConstraintsInit {
  return { ipAllowlist: [], argumentRules: [], requireApproval: false, ...overrides };
}

/** An argument rule matching `name` against a glob. */
export function aGlobRule(name: string, glob: string): ArgumentRuleInit {
  return { name, rule: { case: 'glob', value: glob } };
}

/** An argument rule allowing only `values` for `name`. */
export function anAllowedValuesRule(name: string, values: string[]): ArgumentRuleInit {
  return { name, rule: { case: 'allowedValues', value: { values } } };
}

/** An admin-style CreateAgent request: random owner and name, autonomous, one permission. */
export function aCreateAgentRequest(overrides: Partial<CreateAgentInit> = {}): CreateAgentInit {
  return {
    ownerId: anOwnerId(),
    name: `agent-${aSuffix()}`,
    type: AgentType.AUTONOMOUS,
    permissions: [aPermission()],
    metadata: { team: `team-${aSuffix()}` },
    ...overrides,
  };
}

/** An Authorize request for `read` on a random literal resource, with no agent id. */
export function anAuthorizeRequest(overrides: Partial<AuthorizeInit> = {}): AuthorizeInit {
  return {
    agentId: '',
    action: 'read',
    resource: aResource(),
    arguments: {},
    clientIp: '',
    ...overrides,
  };
}

/** A SignUp request with a unique email and a strong, uncommon password. */
export function aSignUpRequest(overrides: Partial<SignUpInit> = {}): SignUpInit {
  const id = aSuffix();
  return {
    email: `user-${id}@example.com`,
    password: `Kv-${aSuffix()}-${aSuffix()}-horse`,
    name: `User ${id}`,
    ...overrides,
  };
}

/** Arguments whose JSON encoding is a little over `bytes` (default: just over 64 KiB). */
export function oversizeArguments(bytes = 64 * 1024 + 16): JsonObject {
  return { blob: 'x'.repeat(bytes) };
}
