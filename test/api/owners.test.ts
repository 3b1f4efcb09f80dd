/**
 * An agent's owner is a user of the agent's tenant (issue 11 item 8): the admin cannot create
 * an agent for an owner that does not exist or lives in another tenant, and the token of such
 * an agent (one stored before this check) never works. These clients turn the harness's owner
 * fixture off, so they see the server exactly as it is.
 */
import { Code } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { AgentService } from '../../gen/kavach/v1/agent_service_pb.js';
import { AuthorizeService } from '../../gen/kavach/v1/authorize_service_pb.js';
import { ReasonCode } from '../../gen/kavach/v1/types_pb.js';
import { AGENT_TOKEN_PREFIX, newToken, sha256Hex, tokenPrefixOf } from '../../src/app/auth/secrets.js';
import { NO_OWNER_FIXTURE, type InProcess } from '../support/app.js';
import { aCreateAgentRequest, aPermission, aResource } from '../support/requests.js';
import { codeOf, rejectionOf, signUp, useInProcess } from './given.js';

const asAdmin = (env: InProcess, tenant?: string) =>
  env.client(AgentService, env.adminToken, { [NO_OWNER_FIXTURE]: '1', ...(tenant === undefined ? {} : { 'kavach-tenant': tenant }) });

describe('the owner the admin names', () => {
  const env = useInProcess();

  it('must exist: an unknown owner is InvalidArgument naming owner_id, and nothing is created', async () => {
    const err = await rejectionOf(asAdmin(env()).createAgent(aCreateAgentRequest({ ownerId: 'usr_nobody_at_all' })));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^owner_id: names no user of tenant "default"/);
    expect((await asAdmin(env()).listAgents({})).agents).toHaveLength(0);
  });

  it('must live in the tenant the agent is created in', async () => {
    const acmeUser = await signUp(env(), 'acme');
    const err = await rejectionOf(asAdmin(env()).createAgent(aCreateAgentRequest({ ownerId: acmeUser.userId })));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^owner_id: names no user of tenant "default"/);
    const otherWay = await rejectionOf(asAdmin(env(), 'globex').createAgent(aCreateAgentRequest({ ownerId: acmeUser.userId })));
    expect(otherWay.code).toBe(Code.InvalidArgument);
    expect(otherWay.rawMessage).toMatch(/tenant "globex"/);

    // In the owner's own tenant it works, and the token works.
    const resource = aResource();
    const created = await asAdmin(env(), 'acme').createAgent(
      aCreateAgentRequest({ ownerId: acmeUser.userId, permissions: [aPermission({ resource })] }),
    );
    expect(created.agent?.tenantId).toBe('acme');
    const decision = await env().client(AuthorizeService, created.token).authorize({ action: 'read', resource });
    expect(decision.reason).toBe(ReasonCode.ALLOWED);
  });

  it('a user creating their own agent needs no owner_id, and cannot name another', async () => {
    const ann = await signUp(env());
    const bob = await signUp(env());
    const mine = await env().client(AgentService, ann.sessionToken).createAgent(aCreateAgentRequest({ ownerId: '' }));
    expect(mine.agent?.ownerId).toBe(ann.userId);
    expect(await codeOf(env().client(AgentService, ann.sessionToken).createAgent(aCreateAgentRequest({ ownerId: bob.userId })))).toBe(
      Code.PermissionDenied,
    );
  });
});

describe('an agent stored with an owner that is no user of its tenant', () => {
  const env = useInProcess();

  it('has a token that never works, and decides nothing when the admin asks by id', async () => {
    const resource = aResource();
    const token = newToken(AGENT_TOKEN_PREFIX);
    const at = env().clock.now();
    const id = 'agt_orphan_0000000000000';
    // As an earlier version let the admin create it: straight into the store.
    await env().store.agents.create(
      {
        id,
        tenantId: 'default',
        ownerId: 'usr_ghost',
        name: 'orphan',
        type: 'autonomous',
        status: 'active',
        permissions: [{ resource, actions: ['read'], constraints: { ipAllowlist: [], argumentRules: [], requireApproval: false } }],
        metadata: {},
        tokenHash: sha256Hex(token),
        tokenPrefix: tokenPrefixOf(token),
        createdAt: at,
        updatedAt: at,
      },
      100,
      at,
    );
    expect(await codeOf(env().client(AuthorizeService, token).authorize({ action: 'read', resource }))).toBe(Code.Unauthenticated);
    expect(await codeOf(env().client(AgentService, token).getAgent({ agentId: id }))).toBe(Code.Unauthenticated);
    const byAdmin = await env().client(AuthorizeService, env().adminToken).authorize({ agentId: id, action: 'read', resource });
    expect(byAdmin).toMatchObject({ allowed: false, reason: ReasonCode.AGENT_NOT_FOUND });
    // The admin still sees it, so it can be revoked.
    expect((await asAdmin(env()).getAgent({ agentId: id })).agent?.id).toBe(id);
    await asAdmin(env()).revokeAgent({ agentId: id });
  });
});
