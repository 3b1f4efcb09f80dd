/**
 * Small edges of issue 11 item 9, through the real routes: a partial-segment resource pattern is
 * refused at write time, and a missing argument is told apart from a refused one.
 */
import { Code } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { ReasonCode } from '../../gen/kavach/v1/types_pb.js';
import { aCreateAgentRequest, aGlobRule, aPermission, aSuffix, constraints } from '../support/requests.js';
import { createAgent, rejectionOf, useInProcess } from './given.js';

describe('resource patterns (docs/ARCHITECTURE.md#resource-patterns: "*" only as a whole segment)', () => {
  const env = useInProcess();

  it.each(['mcp:git*', 'mcp:**', 'mcp:*hub:repos'])('refuses %j on CreateAgent and UpdateAgent, saying partial-segment globs are not supported', async (resource) => {
    const agents = env().client(AgentService, env().adminToken);
    const create = await rejectionOf(agents.createAgent(aCreateAgentRequest({ permissions: [aPermission({ resource })] })));
    expect(create.code).toBe(Code.InvalidArgument);
    expect(create.rawMessage).toMatch(/permissions\[0\]\.resource/);
    expect(create.rawMessage).toMatch(/partial-segment globs are not supported/);

    const { agent } = await createAgent(env());
    const update = await rejectionOf(
      agents.updateAgent({ agentId: agent.id, permissions: { permissions: [aPermission(), aPermission({ resource })] } }),
    );
    expect(update.code).toBe(Code.InvalidArgument);
    expect(update.rawMessage).toMatch(/partial-segment globs are not supported/);
  });

  it('still accepts whole-segment wildcards, and globs inside argument rules', async () => {
    const { agent } = await createAgent(env(), {
      permissions: [aPermission({ resource: 'mcp:*:repos', constraints: constraints({ argumentRules: [aGlobRule('path', 'src/**/*.ts')] }) })],
    });
    expect(agent.permissions[0]?.resource).toBe('mcp:*:repos');
  });
});

describe('argument rules', () => {
  const env = useInProcess();

  it('reports a missing argument as required, and a wrong value as not allowed', async () => {
    const resource = `mcp:svc${aSuffix()}:repos`;
    const { token } = await createAgent(env(), {
      permissions: [aPermission({ resource, constraints: constraints({ argumentRules: [aGlobRule('path', 'src/**')] }) })],
    });
    const authz = env().client(AuthorizeService, token);
    const missing = await authz.authorize({ action: 'read', resource, arguments: { other: 'x' } });
    const wrong = await authz.authorize({ action: 'read', resource, arguments: { path: '/etc/passwd' } });
    expect(missing).toMatchObject({ allowed: false, reason: ReasonCode.ARGUMENT_REJECTED });
    expect(wrong).toMatchObject({ allowed: false, reason: ReasonCode.ARGUMENT_REJECTED });
    expect(missing.message).toBe('argument "path" is required by the permission\'s glob rule on "path", and the request does not have it');
    expect(wrong.message).toBe('argument "path" is not allowed by the permission\'s rules');
    const audited = await env().store.audit.get('default', missing.auditId);
    expect(audited?.message).toMatch(/is required by/);
  });
});
