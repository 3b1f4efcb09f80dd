"""The seed README's examples (kavachos-sdk-README.md), as written, against a real Kavach.

What differs from the page, and why:
- `base_url` is this server's, `token="kv_..."` is the admin token, and the placeholder ids
  ("agent-abc123", "agent-def456", "kv_agent_xyz") are agents and a token the test created first.
- The owner "user-123" is a user the test signed up first (`user_123`): Kavach refuses to create
  an agent for an owner that is no user of the tenant.
- The quick start uses `AuthorizeRequest` without importing it (a NameError on the page); the
  import is added.
- The delegation example's `expires_at="2025-12-31T00:00:00Z"` is in the past, which Kavach
  refuses (400); a date a year ahead is used.
- The authentication example ends with `sign_out()` on a client that holds no token, so the
  request carries no credential: Kavach answers 401 (AuthenticationError) rather than pretend a
  session ended. The test asserts that, then signs out the way the SDK documents
  (`sign_out(token=...)`).
"""
import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from kavachos import KavachClient, KavachSyncClient
from kavachos.errors import AuthenticationError as _AuthenticationError
from kavachos.permissions import read as _read
from kavachos.types import AuthorizeRequest, CreateAgentInput as _CreateAgentInput

NEXT_YEAR = (datetime.now(timezone.utc) + timedelta(days=365)).strftime("%Y-%m-%dT00:00:00Z")


@pytest.fixture()
def ids(base_url, admin_token, user_123):
    """Stand-ins for the README's placeholder agents."""
    with KavachSyncClient(base_url=base_url, token=admin_token) as c:
        abc = c.agents.create(_CreateAgentInput(owner_id=user_123, name="abc123", type="autonomous", permissions=[_read("mcp:github:*")]))
        defg = c.agents.create(_CreateAgentInput(owner_id=user_123, name="def456", type="delegated", permissions=[]))
    return {"agent-abc123": abc.id, "agent-def456": defg.id, "kv_agent_xyz": abc.token}


def test_quick_start_async(base_url, admin_token, user_123, capsys):
    from kavachos import KavachClient
    from kavachos.types import CreateAgentInput
    from kavachos.permissions import read, with_approval, execute

    async def main():
        async with KavachClient(
            base_url=base_url,
            token=admin_token,
        ) as client:
            # Create an agent
            agent = await client.agents.create(
                CreateAgentInput(
                    owner_id=user_123,
                    name="github-reader",
                    type="autonomous",
                    permissions=[
                        read("mcp:github:*"),
                        with_approval(execute("mcp:deploy:production")),
                    ],
                )
            )

            # Check authorization
            result = await client.authorize(
                agent.id,
                AuthorizeRequest(action="read", resource="mcp:github:repos"),
            )
            print(result.allowed)  # True

    asyncio.run(main())
    assert capsys.readouterr().out == "True\n"


def test_quick_start_sync(base_url, admin_token, user_123, capsys):
    from kavachos import KavachSyncClient
    from kavachos.types import CreateAgentInput
    from kavachos.permissions import read

    with KavachSyncClient(
        base_url=base_url,
        token=admin_token,
    ) as client:
        agent = client.agents.create(
            CreateAgentInput(
                owner_id=user_123,
                name="github-reader",
                type="autonomous",
                permissions=[read("mcp:github:*")],
            )
        )
        print(agent.id, agent.token)
    out = capsys.readouterr().out.split()
    assert out[0].startswith("agt_") and out[1].startswith("kv_")


def test_authentication(base_url, email):
    async def main():
        async with KavachClient(base_url=base_url) as client:
            # Sign up
            auth = await client.auth.sign_up(
                email=email,
                password="secure-password",
                name="Alice",
            )
            print(auth.user.id)
            print(auth.session.token)

            # Sign in later
            auth = await client.auth.sign_in(
                email=email,
                password="secure-password",
            )

            # Get current session
            session = await client.auth.get_session(token=auth.session.token)
            assert session is not None and session.user_id == auth.user.id

            # Sign out: the page's call carries no credential here (see the module docstring).
            with pytest.raises(_AuthenticationError):
                await client.auth.sign_out()
            await client.auth.sign_out(token=auth.session.token)
            assert await client.auth.get_session(token=auth.session.token) is None

    asyncio.run(main())


def test_agent_management_authorization_audit_delegation_errors(base_url, admin_token, ids, user_123, capsys):
    async def main():
        async with KavachClient(base_url=base_url, token=admin_token) as client:
            # --- Agent management ---
            from kavachos.types import AgentFilters, UpdateAgentInput

            # List agents for a user
            agents = await client.agents.list(AgentFilters(user_id=user_123, status="active"))
            assert ids["agent-abc123"] in [a.id for a in agents]

            # Get a single agent (returns None if not found)
            agent = await client.agents.get(ids["agent-abc123"])
            assert agent is not None

            # Update name or permissions
            agent = await client.agents.update(
                ids["agent-abc123"],
                UpdateAgentInput(name="better-name"),
            )
            assert agent.name == "better-name"

            # Rotate the token (old token is immediately invalidated)
            agent = await client.agents.rotate(ids["agent-abc123"])
            print(agent.token)  # kv_new_...
            new_token = agent.token

            # --- Authorization ---
            from kavachos.types import AuthorizeRequest

            # Authorize by agent ID (requires admin/service token on the client)
            result = await client.authorize(
                ids["agent-abc123"],
                AuthorizeRequest(
                    action="execute",
                    resource="mcp:deploy:production",
                    arguments={"version": "1.2.3"},
                ),
            )
            print(result.allowed)  # True / False
            print(result.audit_id)  # "aud_..."

            # Authorize using the agent's own bearer token (no admin token needed)
            result = await client.auth.authorize_by_token(
                agent_token=new_token,
                request=AuthorizeRequest(action="read", resource="mcp:github:repos"),
            )
            assert result.allowed is True

            # --- Audit log ---
            from kavachos.types import AuditFilters, ExportOptions

            # Query the audit log
            entries = await client.audit.query(
                AuditFilters(
                    agent_id=ids["agent-abc123"],
                    result="allowed",
                    limit=50,
                )
            )
            for entry in entries:
                print(entry.timestamp, entry.action, entry.resource, entry.result)
            assert any(e.action == "read" and e.result == "allowed" for e in entries)

            # Paginated response (includes total count)
            page = await client.audit.query_paginated(AuditFilters(limit=20, offset=0))
            print(f"{len(page.entries)} of {page.total}")
            assert page.total >= len(page.entries) > 0

            # Export as JSON or CSV
            csv_text = await client.audit.export(
                ExportOptions(
                    format="csv",
                    since="2024-01-01T00:00:00Z",
                )
            )
            assert csv_text.startswith("id,")

            # --- Delegation ---
            from kavachos.types import DelegateInput
            from kavachos.permissions import read

            # Create a delegation
            chain = await client.delegation.create(
                DelegateInput(
                    from_agent=ids["agent-abc123"],
                    to_agent=ids["agent-def456"],
                    permissions=[read("mcp:github:repos")],
                    expires_at=NEXT_YEAR,
                    max_depth=2,
                )
            )

            # List all chains for an agent
            chains = await client.delegation.list_chains(ids["agent-abc123"])
            assert [c.id for c in chains] == [chain.id]

            # Get the effective (merged) permissions for an agent
            perms = await client.delegation.get_effective_permissions(ids["agent-def456"])
            assert [p.resource for p in perms] == ["mcp:github:repos"]

            # Revoke a delegation
            await client.delegation.revoke(chain.id)

            # --- Error handling ---
            from kavachos.errors import (
                KavachError,
                AuthenticationError,  # 401
                PermissionError,  # 403
                NotFoundError,  # 404
                RateLimitError,  # 429 — has .retry_after
                ServerError,  # 5xx
                NetworkError,  # Transport failure
            )

            try:
                agent = await client.agents.get("agent-missing")
            except NotFoundError:
                print("Agent does not exist")
            except RateLimitError as e:
                print(f"Rate limited. Retry after {e.retry_after}s")
            except AuthenticationError:
                print("Check your token")
            except KavachError as e:
                print(f"[{e.code}] {e.message} (HTTP {e.status_code})")
            assert agent is None  # get() turns the 404 into None

            # Revoke (delete) an agent
            await client.agents.revoke(ids["agent-abc123"])

    asyncio.run(main())
    out = capsys.readouterr().out
    assert "kv_" in out and "aud_" in out and "False" in out  # execute needs an approval


def test_permission_helpers_and_configuration(base_url, admin_token, user_123):
    from kavachos.permissions import (
        read,
        write,
        execute,
        read_write,
        full_access,
        with_approval,
        rate_limited,
    )
    from kavachos.types import PermissionConstraints

    # Simple read permission
    perm = read("mcp:github:*")

    # Require human approval before execution
    perm = with_approval(execute("mcp:deploy:production"))

    # Limit to 100 calls per hour
    perm = rate_limited(read("mcp:github:*"), max_calls_per_hour=100)

    # Full manual construction
    from kavachos.types import Permission

    perm = Permission(
        resource="mcp:github:*",
        actions=["read", "write"],
        constraints=PermissionConstraints(
            max_calls_per_hour=200,
            ip_allowlist=["10.0.0.0/8"],
        ),
    )
    # Every helper's permission is accepted by Kavach and read back unchanged.
    perms = [perm, read_write("mcp:a:*"), full_access("mcp:b:*"), write("mcp:c:*"), with_approval(execute("mcp:d:*")), rate_limited(read("mcp:e:*"), max_calls_per_hour=100)]
    configured = KavachClient(
        base_url=base_url,  # required
        token=admin_token,  # optional bearer token
        headers={"X-Tenant": "acme"},  # extra headers on every request
        timeout=30.0,  # seconds (default 30)
    )

    async def use_it():
        async with configured:
            return await configured.agents.get("agent-missing")

    assert asyncio.run(use_it()) is None
    with KavachSyncClient(base_url=base_url, token=admin_token) as client:
        agent = client.agents.create(_CreateAgentInput(owner_id=user_123, name="helpers", type="service", permissions=perms))
        assert client.agents.get(agent.id).permissions == perms
