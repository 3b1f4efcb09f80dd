"""The synchronous clients against a real Kavach, over gRPC (grpcio, HTTP/2) and the Connect
protocol (connectrpc, HTTP/1.1): the same assertions for both."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from protobuf.wkt.google.protobuf.struct_pb import Struct

from kavach_client import (
    AlreadyExistsError,
    AuthenticationError,
    KavachConnect,
    KavachError,
    KavachGrpc,
    NetworkError,
    NotFoundError,
    PermissionError,
    PreconditionError,
    RateLimitError,
    ValidationError,
    tail_audit,
)
from kavach_client import permissions as p
from kavach_client.gen.kavach.v1.agent_service_pb import GetAgentRequest
from kavach_client.gen.kavach.v1.audit_service_pb import TailAuditRequest
from kavach_client.gen.kavach.v1.auth_service_pb import SignInRequest, SignUpRequest
from kavach_client.gen.kavach.v1.authorize_service_pb import (
    ApproveRequestRequest,
    AuthorizeBatchRequest,
    AuthorizeRequest,
    ListApprovalsRequest,
)
from kavach_client.gen.kavach.v1.delegation_service_pb import CreateDelegationRequest
from kavach_client.gen.kavach.v1.types_pb import ApprovalStatus, AuditFilter, ReasonCode

from .conftest import PASSWORD, World, agent_request, sign_up_request, unique


@pytest.fixture(params=["grpc", "connect"])
def anon(request: pytest.FixtureRequest, base_url: str, grpc_target: str) -> Iterator[Any]:
    client: Any = KavachGrpc(grpc_target) if request.param == "grpc" else KavachConnect(base_url)
    with client:
        yield client


@pytest.fixture
def world(anon: Any) -> World:
    up_req = sign_up_request()
    up = anon.auth.sign_up(up_req)
    user = anon.with_token(up.session_token)
    created = user.agents.create_agent(agent_request(up.user.id))
    assert created.token.startswith("kv_") and created.agent.id
    return World(anon, user, anon.with_token(created.token), created.agent.id, created.token, up.session_token, up_req.email)


def args(**kw: Any) -> Struct:
    return Struct.from_python(kw)


def test_authorize_allowed_and_denied_with_arguments(world: World) -> None:
    ok = world.agent.authorize.authorize(AuthorizeRequest(action="execute", resource="mcp:deploy:web", arguments=args(env="staging")))
    assert ok.allowed and ok.reason == ReasonCode.ALLOWED and ok.audit_id
    no = world.agent.authorize.authorize(AuthorizeRequest(action="execute", resource="mcp:deploy:web", arguments=args(env="production")))
    assert not no.allowed and no.reason == ReasonCode.ARGUMENT_REJECTED and no.audit_id
    none = world.user.authorize.authorize(AuthorizeRequest(agent_id=world.agent_id, action="write", resource="mcp:github:repos"))
    assert not none.allowed and none.reason == ReasonCode.NO_MATCHING_PERMISSION


def test_authorize_batch(world: World) -> None:
    res = world.user.authorize.authorize_batch(
        AuthorizeBatchRequest(
            checks=[
                AuthorizeRequest(agent_id=world.agent_id, action="read", resource="mcp:github:repos"),
                AuthorizeRequest(agent_id=world.agent_id, action="execute", resource="mcp:deploy:api", arguments=args(env="prod")),
                AuthorizeRequest(agent_id=world.agent_id, action="delete", resource="mcp:github:repos"),
                AuthorizeRequest(agent_id="agt_does_not_exist", action="read", resource="mcp:github:repos"),
            ]
        )
    )
    assert [(d.allowed, d.reason) for d in res.decisions] == [
        (True, ReasonCode.ALLOWED),
        (False, ReasonCode.ARGUMENT_REJECTED),
        (False, ReasonCode.NO_MATCHING_PERMISSION),
        (False, ReasonCode.AGENT_NOT_FOUND),
    ]


def test_approval_round_trip(world: World) -> None:
    drop = AuthorizeRequest(action="execute", resource="mcp:db:drop", arguments=args(table="users"))
    first = world.agent.authorize.authorize(drop)
    assert not first.allowed and first.reason == ReasonCode.APPROVAL_REQUIRED and first.approval_id
    assert world.agent.authorize.authorize(drop).approval_id == first.approval_id
    pending = world.user.authorize.list_approvals(ListApprovalsRequest(agent_id=world.agent_id, status=ApprovalStatus.PENDING))
    assert [a.id for a in pending.approvals] == [first.approval_id]
    with pytest.raises(PermissionError):
        world.agent.authorize.approve_request(ApproveRequestRequest(approval_id=first.approval_id))
    approved = world.user.authorize.approve_request(ApproveRequestRequest(approval_id=first.approval_id, reason="ticket OPS-1"))
    assert approved.approval is not None and approved.approval.status == ApprovalStatus.APPROVED
    assert world.agent.authorize.authorize(drop).allowed
    after = world.agent.authorize.authorize(drop)
    assert not after.allowed and after.reason == ReasonCode.APPROVAL_REQUIRED and after.approval_id != first.approval_id


def first_cursor(client: Any, audit_filter: AuditFilter) -> str:
    """A tail without a cursor starts at the present; its first message is a heartbeat."""
    stream = client.audit.tail_audit(TailAuditRequest(filter=audit_filter))
    try:
        first = next(iter(stream))
    finally:
        for name in ("cancel", "close"):
            if hasattr(stream, name):
                getattr(stream, name)()
                break
    assert first.cursor and first.event is not None and first.event.field == "heartbeat"
    return str(first.cursor)


def test_tail_audit_resumes_by_cursor(world: World) -> None:
    audit_filter = AuditFilter(agent_id=world.agent_id, resource_prefix="tail:")
    start = first_cursor(world.user, audit_filter)

    def decide(resource: str) -> None:
        assert world.agent.authorize.authorize(AuthorizeRequest(action="read", resource=resource)).allowed

    for r in ("tail:1", "tail:2", "tail:3"):
        decide(r)

    def read(cursor: str, n: int) -> tuple[list[str], str]:
        got: list[str] = []
        last = ""
        for entry, c in tail_audit(world.user, filter=audit_filter, cursor=cursor):
            got.append(entry.resource)
            last = c
            if len(got) == n:
                break
        return got, last

    got, cursor = read(start, 2)
    assert got == ["tail:1", "tail:2"]
    decide("tail:4")
    got, _ = read(cursor, 2)
    assert got == ["tail:3", "tail:4"], "a resumed tail gives every later entry exactly once"
    with pytest.raises(ValidationError):
        next(tail_audit(world.user, filter=audit_filter, cursor="not-a-cursor"))


def test_error_codes_arrive_as_typed_errors(world: World) -> None:
    with pytest.raises(AuthenticationError) as auth:
        world.anon.with_token("kv_" + unique("bogus")).agents.get_agent(GetAgentRequest(agent_id=world.agent_id))
    assert auth.value.code == "unauthenticated" and auth.value.message
    with pytest.raises(NotFoundError):
        world.user.agents.get_agent(GetAgentRequest(agent_id="agt_" + unique("missing")))
    with pytest.raises(ValidationError) as invalid:
        world.agent.authorize.authorize(AuthorizeRequest(action="read", resource="mcp:github:*"))
    assert "resource" in invalid.value.message
    with pytest.raises(AlreadyExistsError):
        world.anon.auth.sign_up(SignUpRequest(email=world.email, password=PASSWORD, name="again"))
    with pytest.raises(PreconditionError):
        world.agent.delegation.create_delegation(
            CreateDelegationRequest(
                from_agent_id=world.agent_id, to_agent_id=world.agent_id, permissions=[p.read("mcp:github:repos")], max_depth=1
            )
        )
    # Wrong passwords are Unauthenticated until the email is throttled: ResourceExhausted with
    # a retry-after hint, raised as RateLimitError.
    limited: RateLimitError | None = None
    for _ in range(10):
        try:
            world.anon.auth.sign_in(SignInRequest(email=world.email, password="wrong-" + PASSWORD))
        except RateLimitError as err:
            limited = err
            break
        except AuthenticationError:
            continue
    assert limited is not None and limited.retry_after is not None and limited.retry_after >= 1
    assert isinstance(limited, KavachError) and limited.code == "resource_exhausted"


@pytest.mark.parametrize("kind", ["grpc", "connect"])
def test_unreachable_server_is_a_network_error(kind: str, base_url: str) -> None:
    client: Any = KavachGrpc("127.0.0.1:1") if kind == "grpc" else KavachConnect("http://127.0.0.1:1")
    with client, pytest.raises(NetworkError):
        client.auth.sign_in(SignInRequest(email="a@example.com", password=PASSWORD), timeout=20) if kind == "grpc" else client.auth.sign_in(
            SignInRequest(email="a@example.com", password=PASSWORD)
        )
