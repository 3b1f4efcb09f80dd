"""The SDK's typed errors where it documents them, and constraints written through the SDK
enforced by Kavach's Authorize RPC (called over gRPC with the repository's Python client)."""
import pytest

from kavachos import KavachSyncClient
from kavachos.errors import (
    AuthenticationError,
    KavachError,
    NotFoundError,
    PermissionError,
    RateLimitError,
    ServerError,
)
from kavachos.permissions import read
from kavachos.types import AuthorizeRequest, CreateAgentInput, Permission, PermissionConstraints, UpdateAgentInput

PASSWORD = "correct horse battery staple 42"


def test_authentication_error_on_a_bad_token(base_url):
    with KavachSyncClient(base_url=base_url, token="kv_not_a_real_token") as client:
        with pytest.raises(AuthenticationError) as err:
            client.agents.list()
    assert err.value.status_code == 401 and err.value.code == "UNAUTHENTICATED"


def test_authentication_error_without_a_token(base_url):
    with KavachSyncClient(base_url=base_url) as client:
        with pytest.raises(AuthenticationError):
            client.agents.create(CreateAgentInput(owner_id="u", name="n", type="service", permissions=[]))


def test_permission_error_when_a_user_creates_for_someone_else(base_url, email):
    with KavachSyncClient(base_url=base_url) as anon:
        session = anon.auth.sign_up(email=email, password=PASSWORD).session
    with KavachSyncClient(base_url=base_url, token=session.token) as user:
        with pytest.raises(PermissionError) as err:
            user.agents.create(CreateAgentInput(owner_id="someone-else", name="n", type="service", permissions=[]))
        assert err.value.status_code == 403 and err.value.code == "PERMISSION_DENIED"
        # Their own agent works, and the admin's agents stay invisible to them.
        mine = user.agents.create(CreateAgentInput(owner_id=session.user_id, name="mine", type="service", permissions=[]))
        assert [a.id for a in user.agents.list()] == [mine.id]


def test_not_found_error_on_unknown_ids(admin):
    with pytest.raises(NotFoundError) as err:
        admin.agents.update("agt_missing", UpdateAgentInput(name="x"))
    assert err.value.status_code == 404 and err.value.code == "NOT_FOUND"
    with pytest.raises(NotFoundError):
        admin.agents.revoke("agt_missing")
    with pytest.raises(NotFoundError):
        admin.delegation.revoke("dlg_missing")


def test_rate_limit_error_has_retry_after(base_url, email):
    with KavachSyncClient(base_url=base_url) as anon:
        anon.auth.sign_up(email=email, password=PASSWORD)
        failures = 0
        with pytest.raises(RateLimitError) as err:
            for _ in range(20):
                try:
                    anon.auth.sign_in(email=email, password="wrong password 123456")
                except AuthenticationError:
                    failures += 1
    assert failures >= 5
    assert isinstance(err.value.retry_after, int) and err.value.retry_after >= 1
    assert err.value.code == "RESOURCE_EXHAUSTED"


def test_bad_input_is_a_400_kavach_error_naming_the_field_never_a_server_error(admin, owner):
    bad = Permission(resource="mcp:x:*", actions=["read"], constraints=PermissionConstraints(time_window_start="09:00"))
    with pytest.raises(KavachError) as err:
        admin.agents.create(CreateAgentInput(owner_id=owner, name="n", type="service", permissions=[bad]))
    assert not isinstance(err.value, ServerError)
    assert err.value.status_code == 400 and "timeWindow.end" in err.value.message
    assert err.value.details["field"] == "permissions[0].constraints.timeWindow.end"


def test_constraints_written_through_the_sdk_are_enforced_by_the_authorize_rpc(admin, owner, grpc_authorize):
    perm = Permission(
        resource="mcp:github:*",
        actions=["read"],
        constraints=PermissionConstraints(max_calls_per_hour=2, ip_allowlist=["10.0.0.0/8"]),
    )
    agent = admin.agents.create(CreateAgentInput(owner_id=owner, name="limited", type="autonomous", permissions=[perm]))
    outside = grpc_authorize(agent.id, "read", "mcp:github:repos", client_ip="192.168.1.7")
    assert outside.get("allowed", False) is False and outside["reason"] == "REASON_CODE_IP_NOT_ALLOWED"
    first = grpc_authorize(agent.id, "read", "mcp:github:repos", client_ip="10.1.2.3")
    second = grpc_authorize(agent.id, "read", "mcp:github:repos", client_ip="10.1.2.3")
    third = grpc_authorize(agent.id, "read", "mcp:github:repos", client_ip="10.1.2.3")
    assert first["allowed"] is True and second["allowed"] is True
    assert third.get("allowed", False) is False and third["reason"] == "REASON_CODE_RATE_LIMITED"
    # Argument patterns written through the SDK: Kavach globs, checked on every string argument.
    admin.agents.update(
        agent.id,
        UpdateAgentInput(permissions=[Permission(resource="mcp:fs:*", actions=["read"], constraints=PermissionConstraints(allowed_arg_patterns=["*.md", "docs/**"]))]),
    )
    fine = grpc_authorize(agent.id, "read", "mcp:fs:x", arguments={"path": "docs/guide/intro", "n": 1})
    outside_patterns = grpc_authorize(agent.id, "read", "mcp:fs:x", arguments={"path": "/etc/passwd"})
    assert fine["allowed"] is True
    assert outside_patterns.get("allowed", False) is False and outside_patterns["reason"] == "REASON_CODE_ARGUMENT_REJECTED"
    # Approval written through the SDK: the RPC asks for a human.
    admin.agents.update(
        agent.id,
        UpdateAgentInput(permissions=[Permission(resource="mcp:deploy:*", actions=["execute"], constraints=PermissionConstraints(require_approval=True))]),
    )
    pending = grpc_authorize(agent.id, "execute", "mcp:deploy:prod")
    assert pending.get("allowed", False) is False and pending["reason"] == "REASON_CODE_APPROVAL_REQUIRED"
    assert pending["approvalId"] != ""
    # And the SDK's own view of the same decision is a 200 with allowed False.
    sdk = admin.authorize(agent.id, AuthorizeRequest(action="execute", resource="mcp:deploy:prod"))
    assert sdk.allowed is False and sdk.reason in ("APPROVAL_REQUIRED",)


def test_kavach_richer_constraints_survive_a_raw_read_modify_write(admin, base_url, admin_token, owner):
    import httpx

    headers = {"authorization": f"Bearer {admin_token}"}
    agent = admin.agents.create(CreateAgentInput(owner_id=owner, name="rich", type="service", permissions=[read("mcp:x:*")]))
    rich = {
        "resource": "mcp:x:*",
        "actions": ["read"],
        "constraints": {
            "timeWindow": {"start": "22:00", "end": "06:00", "timeZone": "Asia/Kolkata", "days": ["fri"]},
            "argumentRules": [{"name": "repo", "glob": "kavach/*"}, {"name": "n", "range": {"min": 1, "max": 5}}],
        },
    }
    r = httpx.patch(f"{base_url}/agents/{agent.id}", json={"permissions": [rich]}, headers=headers)
    assert r.status_code == 200, r.text
    read_back = httpx.get(f"{base_url}/agents/{agent.id}", headers=headers).json()["permissions"]
    r = httpx.patch(f"{base_url}/agents/{agent.id}", json={"permissions": read_back}, headers=headers)
    assert r.status_code == 200 and r.json()["permissions"] == read_back == [rich]
    # The SDK parses the same answer; its keys are there beside Kavach's.
    c = admin.agents.get(agent.id).permissions[0].constraints
    assert (c.time_window_start, c.time_window_end) == ("22:00", "06:00")


def test_a_read_modify_write_through_the_sdk_types_keeps_kavach_only_constraints(admin, base_url, admin_token, owner):
    """The SDK's dataclasses drop timeZone, days and argumentRules when they parse an agent; the
    update they send back must not drop those constraints (that would widen the agent's access)."""
    import httpx

    headers = {"authorization": f"Bearer {admin_token}"}
    agent = admin.agents.create(CreateAgentInput(owner_id=owner, name="rmw", type="service", permissions=[read("mcp:x:*")]))
    rich = {
        "resource": "mcp:x:*",
        "actions": ["read"],
        "constraints": {
            "maxCallsPerHour": 50,
            "timeWindow": {"start": "09:00", "end": "17:00", "timeZone": "Asia/Kolkata", "days": ["mon", "tue"]},
            "argumentRules": [{"name": "repo", "glob": "kavach/*"}],
        },
    }
    assert httpx.patch(f"{base_url}/agents/{agent.id}", json={"permissions": [rich]}, headers=headers).status_code == 200

    # The SDK's round trip: parse with its types, change what it knows, write everything back.
    permissions = admin.agents.get(agent.id).permissions
    permissions[0].constraints.max_calls_per_hour = 10
    admin.agents.update(agent.id, UpdateAgentInput(permissions=permissions))

    stored = httpx.get(f"{base_url}/agents/{agent.id}", headers=headers).json()["permissions"][0]["constraints"]
    assert stored["maxCallsPerHour"] == 10
    assert stored["timeWindow"] == rich["constraints"]["timeWindow"]
    assert stored["argumentRules"] == rich["constraints"]["argumentRules"]
