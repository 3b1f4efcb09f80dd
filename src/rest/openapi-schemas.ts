/**
 * The JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the REST surface's bodies. Request
 * schemas refuse unknown keys, as the server does; response schemas allow Kavach to add keys.
 */
const str = { type: 'string' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const strList = { type: 'array', items: str } as const;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` }) as const;
/** `null` means absent (REST.md), so every optional request key also accepts it. */
const orNull = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** What the domain accepts (`src/domain/pattern.ts`, `src/app/validation.ts`), so generated requests reach the use cases. */
const action = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' } as const;
const actions = { type: 'array', minItems: 1, maxItems: 32, uniqueItems: true, items: { anyOf: [action, { const: '*' }] } } as const;
const resource = { type: 'string', minLength: 1, maxLength: 512 } as const;
const name = { type: 'string', minLength: 1, maxLength: 128, pattern: '\\S' } as const;
const ownerId = { type: 'string', pattern: '^[A-Za-z0-9_.:@-]{1,128}$' } as const;
export const ID = { type: 'string', pattern: '^[A-Za-z0-9_.:@-]{1,64}$' } as const;

export const schemas = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'details'],
        properties: { code: str, message: str, details: { type: 'object' } },
      },
    },
  },
  TimeWindow: {
    type: 'object',
    additionalProperties: false,
    required: ['start', 'end'],
    description: 'A daily window [start, end) in `timeZone` (UTC by default), on `days` (every day when empty).',
    properties: {
      start: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
      end: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
      timeZone: orNull(str),
      days: orNull({ type: 'array', items: { type: 'string', enum: DAYS } }),
    },
  },
  ArgumentRule: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    description: 'Kavach argument rule, in the RPC JSON shape: exactly one of glob, allowedValues, range.',
    properties: {
      name: str,
      glob: str,
      allowedValues: { type: 'object', additionalProperties: false, required: ['values'], properties: { values: strList } },
      range: { type: 'object', additionalProperties: false, properties: { min: { type: 'number' }, max: { type: 'number' } } },
    },
  },
  Constraints: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxCallsPerHour: orNull({ type: 'integer', minimum: 1, maximum: 10000 }),
      allowedArgPatterns: orNull({
        ...strList,
        description: 'Kavach globs (linear time, never a regular expression): every string-valued top-level argument must match one.',
      }),
      requireApproval: orNull({ type: 'boolean' }),
      timeWindow: orNull(ref('TimeWindow')),
      ipAllowlist: orNull(strList),
      argumentRules: orNull({ type: 'array', items: ref('ArgumentRule') }),
    },
  },
  Permission: {
    type: 'object',
    required: ['resource', 'actions'],
    properties: { resource: str, actions: strList, constraints: ref('Constraints') },
  },
  PermissionInput: {
    type: 'object',
    additionalProperties: false,
    required: ['resource', 'actions'],
    properties: { resource, actions, constraints: orNull(ref('Constraints')) },
  },
  EffectivePermission: {
    type: 'object',
    required: ['resource', 'actions', 'source', 'delegationIds', 'agentChain', 'expiresAt'],
    properties: {
      resource: str,
      actions: strList,
      constraints: ref('Constraints'),
      source: { type: 'string', enum: ['own', 'delegated'] },
      delegationIds: strList,
      agentChain: strList,
      expiresAt: nullableTime,
    },
  },
  Agent: {
    type: 'object',
    required: ['id', 'ownerId', 'name', 'type', 'token', 'permissions', 'status', 'expiresAt', 'createdAt', 'updatedAt', 'tenantId', 'metadata'],
    properties: {
      id: str,
      ownerId: str,
      name: str,
      type: { type: 'string', enum: ['autonomous', 'delegated', 'service'] },
      token: { type: 'string', description: 'The secret on create and rotate only; the empty string elsewhere.' },
      tokenPrefix: str,
      permissions: { type: 'array', items: ref('Permission') },
      status: { type: 'string', enum: ['active', 'revoked', 'expired'] },
      expiresAt: nullableTime,
      revokedAt: nullableTime,
      createdAt: time,
      updatedAt: time,
      tenantId: str,
      metadata: { type: 'object', additionalProperties: str },
    },
  },
  CreateAgent: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'type', 'permissions'],
    properties: {
      ownerId: orNull(ownerId),
      name,
      type: { type: 'string', enum: ['autonomous', 'delegated', 'service'] },
      permissions: { type: 'array', items: ref('PermissionInput') },
      expiresAt: orNull(time),
      metadata: orNull({ type: 'object', additionalProperties: str }),
    },
  },
  UpdateAgent: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: orNull(name),
      permissions: orNull({ type: 'array', items: ref('PermissionInput') }),
      expiresAt: orNull(time),
      metadata: orNull({ type: 'object', additionalProperties: str }),
    },
  },
  AuthorizeRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['action', 'resource'],
    properties: { action, resource, arguments: orNull({ type: 'object' }) },
  },
  AuthorizeResult: {
    type: 'object',
    required: ['allowed', 'auditId', 'reason'],
    description: 'A denial is 200 with allowed false; reason is the Kavach reason code.',
    properties: {
      allowed: { type: 'boolean' },
      auditId: str,
      reason: str,
      message: str,
      approvalId: str,
      retryAfterSeconds: { type: 'integer', minimum: 1 },
    },
  },
  Delegation: {
    type: 'object',
    required: ['id', 'fromAgent', 'toAgent', 'permissions', 'expiresAt', 'depth', 'createdAt'],
    properties: {
      id: str,
      fromAgent: str,
      toAgent: str,
      permissions: { type: 'array', items: ref('Permission') },
      expiresAt: nullableTime,
      depth: { type: 'integer', minimum: 1 },
      maxDepth: { type: 'integer', minimum: 1 },
      status: { type: 'string', enum: ['active', 'revoked', 'expired'] },
      ownerId: str,
      tenantId: str,
      createdAt: time,
      revokedAt: nullableTime,
    },
  },
  CreateDelegation: {
    type: 'object',
    additionalProperties: false,
    required: ['fromAgent', 'toAgent', 'permissions'],
    properties: {
      fromAgent: ID,
      toAgent: ID,
      permissions: { type: 'array', items: ref('PermissionInput') },
      expiresAt: orNull(time),
      maxDepth: orNull({ type: 'integer' }),
    },
  },
  AuditEntry: {
    type: 'object',
    required: ['id', 'agentId', 'userId', 'action', 'resource', 'parameters', 'result', 'durationMs', 'timestamp'],
    properties: {
      id: str,
      agentId: str,
      userId: str,
      action: str,
      resource: str,
      parameters: { type: 'object' },
      result: { type: 'string', enum: ['allowed', 'denied', 'rate_limited', 'pending_approval'] },
      durationMs: { type: 'integer', minimum: 0 },
      durationUs: { type: 'integer', minimum: 0 },
      timestamp: time,
      reason: str,
      message: str,
      actor: { type: 'object', required: ['kind', 'id'], properties: { kind: str, id: str } },
      clientIp: str,
      delegationChain: strList,
      approvalId: str,
      tenantId: str,
    },
  },
  AuditPage: {
    type: 'object',
    required: ['entries', 'total'],
    properties: { entries: { type: 'array', items: ref('AuditEntry') }, total: { type: 'integer', minimum: 0 } },
  },
  User: {
    type: 'object',
    required: ['id', 'email', 'createdAt'],
    properties: { id: str, email: str, createdAt: time, name: str, tenantId: str },
  },
  Session: {
    type: 'object',
    required: ['id', 'userId', 'token', 'expiresAt', 'createdAt'],
    properties: {
      id: str,
      userId: str,
      token: { type: 'string', description: 'Set on sign-up and sign-in only; the empty string elsewhere.' },
      expiresAt: time,
      createdAt: time,
      idleExpiresAt: time,
      lastUsedAt: time,
      tenantId: str,
    },
  },
  AuthResponse: {
    type: 'object',
    required: ['user', 'session'],
    properties: { user: ref('User'), session: ref('Session') },
  },
  SignUp: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password'],
    properties: { email: { type: 'string', format: 'email' }, password: { type: 'string', minLength: 8, maxLength: 128 }, name: orNull(name) },
  },
  SignIn: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password'],
    properties: { email: { type: 'string', format: 'email' }, password: { type: 'string', minLength: 8, maxLength: 128 } },
  },
} as const;
