"""Every method of the published kavachos 0.1.0 SDK against a real Kavach, sync and async."""
import asyncio
import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest

from kavachos import KavachClient, KavachSyncClient
from kavachos.permissions import execute, rate_limited, read, read_write, with_approval
from kavachos.types import (
    AgentFilters,
    AuditFilters,
    AuthorizeRequest,
    CreateAgentInput,
    DelegateInput,
    ExportOptions,
    Permission,
    PermissionConstraints,
    UpdateAgentInput,
)

PASSWORD = "correct horse battery staple 42"


def future(days: int = 30) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_agent(client, owner, name="reader", permissions=None):
    return client.agents.create(
        CreateAgentInput(owner_id=owner, name=name, type="autonomous", permissions=permissions or [read("mcp:github:*")])
    )


def test_auth_sign_up_sign_in_session_sign_out(base_url, email):
    with KavachSyncClient(base_url=base_url) as anon:
        up = anon.auth.sign_up(email=email, password=PASSWORD, name="Alice")
        assert up.user.email == email and up.user.name == "Alice"
        assert up.session.token.startswith("kvs_") and up.session.user_id == up.user.id
        inn = anon.auth.sign_in(email=email, password=PASSWORD)
        assert inn.user.id == up.user.id and inn.session.token not in ("", up.session.token)
        session = anon.auth.get_session(token=inn.session.token)
        assert session is not None and session.id == inn.session.id
        assert session.token == ""  # tokens are shown once
        anon.auth.sign_out(token=inn.session.token)
        assert anon.auth.get_session(token=inn.session.token) is None
        # The other session is untouched.
        assert anon.auth.get_session(token=up.session.token).id == up.session.id


def test_agents_crud_rotate_revoke(base_url, admin, owner):
    agent = make_agent(admin, owner, permissions=[read_write("mcp:github:*")])
    assert agent.token.startswith("kv_") and agent.status == "active" and agent.owner_id == owner
    assert agent.expires_at is None and agent.tenant_id == "default"
    got = admin.agents.get(agent.id)
    assert got.id == agent.id and got.token == "" and got.permissions[0].actions == ["read", "write"]
    listed = admin.agents.list(AgentFilters(user_id=owner, status="active", type="autonomous"))
    assert [a.id for a in listed] == [agent.id]
    assert admin.agents.list(AgentFilters(user_id=owner, status="revoked")) == []
    updated = admin.agents.update(agent.id, UpdateAgentInput(name="better-name", expires_at=future()))
    assert updated.name == "better-name" and updated.expires_at is not None
    rotated = admin.agents.rotate(agent.id)
    assert rotated.token.startswith("kv_") and rotated.token != agent.token
    # The old token is dead at once, the new one works.
    with KavachSyncClient(base_url=base_url) as anon:
        old = AuthorizeRequest(action="read", resource="mcp:github:repos")
        from kavachos.errors import AuthenticationError

        with pytest.raises(AuthenticationError):
            anon.auth.authorize_by_token(agent_token=agent.token, request=old)
        assert anon.auth.authorize_by_token(agent_token=rotated.token, request=old).allowed is True
    assert admin.agents.revoke(agent.id) is None
    assert admin.agents.get(agent.id).status == "revoked"
    assert [a.id for a in admin.agents.list(AgentFilters(user_id=owner, status="revoked"))] == [agent.id]


def test_agents_get_unknown_is_none(admin):
    assert admin.agents.get("agt_does_not_exist") is None


def test_authorize_allow_and_deny_are_200(admin, owner):
    agent = make_agent(admin, owner)
    allowed = admin.agents.authorize(agent.id, AuthorizeRequest(action="read", resource="mcp:github:repos"))
    assert allowed.allowed is True and allowed.audit_id.startswith("aud_")
    denied = admin.authorize(agent.id, AuthorizeRequest(action="write", resource="mcp:github:repos", arguments={"x": 1}))
    assert denied.allowed is False and denied.reason == "NO_MATCHING_PERMISSION" and denied.audit_id != allowed.audit_id


def test_authorize_by_token(base_url, admin, owner):
    agent = make_agent(admin, owner)
    with KavachSyncClient(base_url=base_url) as anon:
        result = anon.auth.authorize_by_token(
            agent_token=agent.token, request=AuthorizeRequest(action="read", resource="mcp:github:repos")
        )
    assert result.allowed is True


def test_delegation_create_list_permissions_revoke(admin, owner):
    parent = make_agent(admin, owner, "parent", [read_write("mcp:github:*")])
    child = make_agent(admin, owner, "child", [read("mcp:slack:*")])
    chain = admin.delegation.create(
        DelegateInput(
            from_agent=parent.id, to_agent=child.id, permissions=[read("mcp:github:repos")], expires_at=future(), max_depth=2
        )
    )
    assert chain.from_agent == parent.id and chain.to_agent == child.id and chain.depth == 1
    assert [c.id for c in admin.delegation.list_chains(parent.id)] == [chain.id]
    assert [c.id for c in admin.delegation.list_chains(child.id)] == [chain.id]
    perms = admin.delegation.get_effective_permissions(child.id)
    assert sorted(p.resource for p in perms) == ["mcp:github:repos", "mcp:slack:*"]
    assert sorted(p.resource for p in admin.agents.get_effective_permissions(child.id)) == ["mcp:github:repos", "mcp:slack:*"]
    assert admin.authorize(child.id, AuthorizeRequest(action="read", resource="mcp:github:repos")).allowed is True
    assert admin.delegation.revoke(chain.id) is None
    assert admin.delegation.list_chains(child.id) == []
    assert admin.authorize(child.id, AuthorizeRequest(action="read", resource="mcp:github:repos")).allowed is False


def test_audit_query_paginated_and_export(admin, owner):
    agent = make_agent(admin, owner)
    for i in range(5):
        admin.authorize(agent.id, AuthorizeRequest(action="read", resource=f"mcp:github:r{i}"))
    admin.authorize(agent.id, AuthorizeRequest(action="delete", resource="mcp:github:r0"))
    entries = admin.audit.query(AuditFilters(agent_id=agent.id, actions=["read", "delete"]))
    assert len(entries) == 6 and entries[0].action == "delete"  # newest first
    assert {e.user_id for e in entries} == {owner}
    allowed = admin.audit.query(AuditFilters(agent_id=agent.id, result="allowed", actions=["read"]))
    assert len(allowed) == 5 and all(e.result == "allowed" for e in allowed)
    page = admin.audit.query_paginated(AuditFilters(agent_id=agent.id, actions=["read"], limit=2, offset=1))
    assert page.total == 5 and [e.resource for e in page.entries] == ["mcp:github:r3", "mcp:github:r2"]
    exported = json.loads(admin.audit.export(ExportOptions(format="json")))
    mine = [e for e in exported if e["agentId"] == agent.id and e["action"] in ("read", "delete")]
    assert [e["resource"] for e in mine] == [f"mcp:github:r{i}" for i in range(5)] + ["mcp:github:r0"]  # oldest first
    rows = list(csv.DictReader(io.StringIO(admin.audit.export(ExportOptions(format="csv", since="2024-01-01T00:00:00Z")))))
    assert sum(1 for r in rows if r["agent_id"] == agent.id and r["action"] == "read") == 5
    assert admin.audit.export(ExportOptions(format="json", until="2000-01-01T00:00:00Z")) == "[]"


def test_constraints_round_trip_through_the_sdk(admin, owner):
    perm = Permission(
        resource="mcp:github:*",
        actions=["read", "write"],
        constraints=PermissionConstraints(
            max_calls_per_hour=200,
            ip_allowlist=["10.0.0.0/8"],
            time_window_start="09:00",
            time_window_end="17:00",
            allowed_arg_patterns=["*.md"],
            require_approval=False,
        ),
    )
    agent = make_agent(admin, owner, permissions=[perm, with_approval(execute("mcp:deploy:production"))])
    c = admin.agents.get(agent.id).permissions[0].constraints
    assert (c.max_calls_per_hour, c.ip_allowlist, c.time_window_start, c.time_window_end) == (200, ["10.0.0.0/8"], "09:00", "17:00")
    assert c.allowed_arg_patterns == ["*.md"]
    # A read-modify-write through the SDK's own types keeps every constraint the SDK knows.
    again = admin.agents.update(agent.id, UpdateAgentInput(permissions=admin.agents.get(agent.id).permissions))
    assert again.permissions == admin.agents.get(agent.id).permissions
    assert admin.agents.get(agent.id).permissions[1].constraints.require_approval is True
    updated = admin.agents.update(agent.id, UpdateAgentInput(permissions=[rate_limited(read("mcp:x:*"), max_calls_per_hour=5)]))
    assert [(p.resource, p.constraints.max_calls_per_hour) for p in updated.permissions] == [("mcp:x:*", 5)]


def test_async_client_covers_the_same_calls(base_url, admin_token, owner, email):
    async def main():
        async with KavachClient(base_url=base_url, token=admin_token) as client:
            agent = await client.agents.create(
                CreateAgentInput(owner_id=owner, name="async", type="service", permissions=[read("mcp:a:*")])
            )
            assert (await client.agents.get(agent.id)).type == "service"
            assert await client.agents.get("agt_missing") is None
            assert [a.id for a in await client.agents.list(AgentFilters(user_id=owner))] == [agent.id]
            await client.agents.update(agent.id, UpdateAgentInput(metadata={"team": "infra"}))
            rotated = await client.agents.rotate(agent.id)
            r = await client.authorize(agent.id, AuthorizeRequest(action="read", resource="mcp:a:b"))
            assert r.allowed is True
            assert (await client.agents.authorize(agent.id, AuthorizeRequest(action="read", resource="mcp:b:c"))).allowed is False
            by_token = await client.auth.authorize_by_token(rotated.token, AuthorizeRequest(action="read", resource="mcp:a:b"))
            assert by_token.allowed is True
            other = await client.agents.create(CreateAgentInput(owner_id=owner, name="other", type="delegated", permissions=[]))
            chain = await client.delegation.create(
                DelegateInput(from_agent=agent.id, to_agent=other.id, permissions=[read("mcp:a:b")], expires_at=future())
            )
            assert [c.id for c in await client.delegation.list_chains(other.id)] == [chain.id]
            assert [p.resource for p in await client.delegation.get_effective_permissions(other.id)] == ["mcp:a:b"]
            assert [p.resource for p in await client.agents.get_effective_permissions(other.id)] == ["mcp:a:b"]
            await client.delegation.revoke(chain.id)
            page = await client.audit.query_paginated(AuditFilters(agent_id=agent.id, actions=["read"]))
            assert page.total == 3
            assert len(await client.audit.query(AuditFilters(agent_id=agent.id, actions=["read"], limit=1))) == 1
            assert (await client.audit.export(ExportOptions(format="csv"))).startswith("id,tenant_id,time")
            await client.agents.revoke(agent.id)
        async with KavachClient(base_url=base_url) as anon:
            up = await anon.auth.sign_up(email=email, password=PASSWORD)
            inn = await anon.auth.sign_in(email=email, password=PASSWORD)
            assert (await anon.auth.get_session(token=inn.session.token)).user_id == up.user.id
            await anon.auth.sign_out(token=inn.session.token)
            assert await anon.auth.get_session(token=inn.session.token) is None

    asyncio.run(main())
