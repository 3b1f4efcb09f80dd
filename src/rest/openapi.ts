/**
 * The OpenAPI 3.1 document of the REST surface, served at `/api/kavach/openapi.json`. A test
 * keeps it true: every registered route is documented, every documented route exists, and the
 * answers the tests see validate against these schemas.
 */
import { ID, schemas } from './openapi-schemas.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const body = (name: string, required = true) => ({ required, ...json(ref(name)) });
const reply = (description: string, schema: unknown) => ({ description, ...json(schema) });
const NO_CONTENT = { '204': { description: 'Done; no body.' } };
/** Every failure: 400, 401, 403, 404, 409, 413, 415, 429 (with Retry-After), 503. */
const ERRORS = { default: reply('An error: {error: {code, message, details}}.', ref('Error')) };
const param = (name: string, where: 'path' | 'query', schema: unknown = { type: 'string' }, description?: string) => ({
  name,
  in: where,
  required: where === 'path',
  schema,
  ...(description === undefined ? {} : { description }),
});
const id = (name: string) => param(name, 'path', ID);
const timeQuery = (name: string) => param(name, 'query', { type: 'string', format: 'date-time' });
const auditFilters = [
  param('agentId', 'query'),
  param('userId', 'query', { type: 'string' }, 'The owner of the agents.'),
  timeQuery('since'),
  timeQuery('until'),
  param('actions', 'query', { type: 'string' }, 'Comma-separated actions.'),
  param('result', 'query', { type: 'string', enum: ['allowed', 'denied', 'rate_limited', 'pending_approval'] }),
];

/** Where a created object's id goes next (OpenAPI links; stateful fuzzers follow them). */
const linksTo = (param: string, ops: Record<string, string>) =>
  Object.fromEntries(Object.entries(ops).map(([name, operationId]) => [name, { operationId, parameters: { [param]: '$response.body#/id' } }]));

const op = (summary: string, rest: Record<string, unknown>, responses: Record<string, unknown>) => ({
  summary,
  ...rest,
  responses: { ...responses, ...ERRORS },
});

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Kavach REST (KavachOS SDK compatible)',
    version: '0.1.0',
    description: 'The contract of the kavachos 0.1.0 Python SDK, served beside the gRPC/Connect API on the same port.',
  },
  servers: [{ url: '/api/kavach' }],
  security: [{ bearer: [] }],
  paths: {
    '/sign-up/email': {
      post: op('Create a user and start a session', { security: [], requestBody: body('SignUp') }, { '201': reply('Signed up.', ref('AuthResponse')) }),
    },
    '/sign-in/email': {
      post: op('Start a session', { security: [], requestBody: body('SignIn') }, { '200': reply('Signed in.', ref('AuthResponse')) }),
    },
    '/sign-out': { post: op("End the caller's session", {}, NO_CONTENT) },
    '/session': { get: op("The caller's session (token empty)", {}, { '200': reply('The session.', ref('Session')) }) },
    '/authorize': {
      post: op('Authorize as the agent whose token is the bearer', { requestBody: body('AuthorizeRequest') }, {
        '200': reply('The decision.', ref('AuthorizeResult')),
      }),
    },
    '/agents': {
      post: op('Create an agent (token shown once)', { operationId: 'createAgent', requestBody: body('CreateAgent') }, {
        '201': {
          ...reply('Created.', ref('Agent')),
          links: linksTo('id', { GetAgent: 'getAgent', UpdateAgent: 'updateAgent', RevokeAgent: 'revokeAgent', RotateAgent: 'rotateAgent', AuthorizeAgent: 'authorizeAgent' }),
        },
      }),
      get: op(
        'List agents',
        {
          parameters: [
            param('userId', 'query', { type: 'string' }, 'The owner.'),
            param('status', 'query', { type: 'string', enum: ['active', 'revoked', 'expired'] }),
            param('type', 'query', { type: 'string', enum: ['autonomous', 'delegated', 'service'] }),
          ],
        },
        { '200': reply('The agents.', { type: 'array', items: ref('Agent') }) },
      ),
    },
    '/agents/{id}': {
      get: op('Get an agent', { operationId: 'getAgent', parameters: [id('id')] }, { '200': reply('The agent.', ref('Agent')) }),
      patch: op('Update an agent', { operationId: 'updateAgent', parameters: [id('id')], requestBody: body('UpdateAgent') }, { '200': reply('The agent.', ref('Agent')) }),
      delete: op('Revoke an agent', { operationId: 'revokeAgent', parameters: [id('id')] }, NO_CONTENT),
    },
    '/agents/{id}/rotate': {
      post: op("Rotate an agent's token (shown once)", { operationId: 'rotateAgent', parameters: [id('id')] }, { '200': reply('The agent with its new token.', ref('Agent')) }),
    },
    '/agents/{id}/authorize': {
      post: op('Authorize an agent', { operationId: 'authorizeAgent', parameters: [id('id')], requestBody: body('AuthorizeRequest') }, {
        '200': reply('The decision.', ref('AuthorizeResult')),
      }),
    },
    '/delegations': {
      post: op('Delegate permissions', { operationId: 'createDelegation', requestBody: body('CreateDelegation') }, {
        '201': { ...reply('Created.', ref('Delegation')), links: linksTo('agentId', { RevokeDelegation: 'revokeDelegation' }) },
      }),
    },
    '/delegations/{agentId}': {
      get: op("An agent's active delegations, given and received", { parameters: [id('agentId')] }, {
        '200': reply('The delegations.', { type: 'array', items: ref('Delegation') }),
      }),
      delete: op('Revoke a delegation (the path names its id) and everything below it', { operationId: 'revokeDelegation', parameters: [id('agentId')] }, NO_CONTENT),
    },
    '/delegations/{agentId}/permissions': {
      get: op("An agent's effective permissions, own and delegated", { parameters: [id('agentId')] }, {
        '200': reply('The permissions.', { type: 'array', items: ref('EffectivePermission') }),
      }),
    },
    '/audit': {
      get: op(
        'Query the audit log, newest first, with the exact total',
        {
          parameters: [
            ...auditFilters,
            param('limit', 'query', { type: 'integer', minimum: 1, maximum: 1000 }),
            param('offset', 'query', { type: 'integer', minimum: 0, maximum: 10000 }),
          ],
        },
        { '200': reply('One page.', ref('AuditPage')) },
      ),
    },
    '/audit/export': {
      get: op(
        'Export the audit log, oldest first, streamed',
        { parameters: [param('format', 'query', { type: 'string', enum: ['json', 'csv'] }), ...auditFilters] },
        {
          '200': {
            description: 'A JSON array of AuditEntry, or CSV with a header row.',
            content: {
              'application/json': { schema: { type: 'array', items: ref('AuditEntry') } },
              'text/csv': { schema: { type: 'string' } },
            },
          },
        },
      ),
    },
    '/openapi.json': {
      get: op('This document', { security: [] }, { '200': reply('OpenAPI 3.1.', { type: 'object' }) }),
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The admin token, a session token or an agent token. The admin names a tenant with the kavach-tenant header.' } },
    schemas,
  },
} as const;
