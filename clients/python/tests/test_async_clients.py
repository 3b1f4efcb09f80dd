"""The asyncio clients against a real Kavach, over gRPC (grpc.aio) and Connect (connectrpc)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from protobuf.wkt.google.protobuf.struct_pb import Struct

from kavach_client import (
    AuthenticationError,
    KavachConnectAsync,
    KavachGrpcAsync,
    NotFoundError,
    PermissionError,
    RateLimitError,
    ValidationError,
    tail_audit_async,
)
from kavach_client.gen.kavach.v1.agent_service_pb import GetAgentRequest
from kavach_client.gen.kavach.v1.auth_service_pb import SignInRequest
from kavach_client.gen.kavach.v1.authorize_service_pb import (
    ApproveRequestRequest,
    AuthorizeBatchRequest,
    AuthorizeRequest,
)
from kavach_client.gen.kavach.v1.types_pb import ApprovalStatus, AuditFilter, ReasonCode

from .conftest import PASSWORD, World, agent_request, sign_up_request, unique

opened: list[Any] = []


@pytest.fixture(params=["grpc-async", "connect-async"])
async def world(request: pytest.FixtureRequest, base_url: str, grpc_target: str) -> AsyncIterator[World]:
    make = (lambda token=None: KavachGrpcAsync(grpc_target, token=token)) if request.param == "grpc-async" else (
        lambda token=None: KavachConnectAsync(base_url, token=token)
    )
    anon = make()
    up_req = sign_up_request()
    up = await anon.auth.sign_up(up_req)
    user = make(up.session_token)
    created = await user.agents.create_agent(agent_request(up.user.id))
    agent = make(created.token)
    yield World(anon, user, agent, created.agent.id, created.token, up.session_token, up_req.email)
    for client in (anon, user, agent):
        await client.close()


async def test_authorize_batch_and_approval(world: World) -> None:
    ok = await world.agent.authorize.authorize(
        AuthorizeRequest(action="execute", resource="mcp:deploy:web", arguments=Struct.from_python({"env": "dev"}))
    )
    assert ok.allowed and ok.audit_id
    no = await world.agent.authorize.authorize(
        AuthorizeRequest(action="execute", resource="mcp:deploy:web", arguments=Struct.from_python({"env": "prod"}))
    )
    assert not no.allowed and no.reason == ReasonCode.ARGUMENT_REJECTED
    batch = await world.user.authorize.authorize_batch(
        AuthorizeBatchRequest(
            checks=[
                AuthorizeRequest(agent_id=world.agent_id, action="read", resource="mcp:github:x"),
                AuthorizeRequest(agent_id=world.agent_id, action="write", resource="mcp:github:x"),
            ]
        )
    )
    assert [d.reason for d in batch.decisions] == [ReasonCode.ALLOWED, ReasonCode.NO_MATCHING_PERMISSION]
    drop = AuthorizeRequest(action="execute", resource="mcp:db:drop")
    pending = await world.agent.authorize.authorize(drop)
    assert pending.reason == ReasonCode.APPROVAL_REQUIRED and pending.approval_id
    with pytest.raises(PermissionError):
        await world.agent.authorize.approve_request(ApproveRequestRequest(approval_id=pending.approval_id))
    approved = await world.user.authorize.approve_request(ApproveRequestRequest(approval_id=pending.approval_id))
    assert approved.approval is not None and approved.approval.status == ApprovalStatus.APPROVED
    assert (await world.agent.authorize.authorize(drop)).allowed


async def test_tail_audit_async_resumes_by_cursor(world: World) -> None:
    audit_filter = AuditFilter(agent_id=world.agent_id, resource_prefix="tail:")
    live = asyncio.Event()
    got: list[tuple[str, str]] = []

    async def follow() -> None:
        async for entry, cursor in tail_audit_async(world.user, filter=audit_filter, on_heartbeat=lambda _: live.set()):
            got.append((entry.resource, cursor))
            if len(got) == 2:
                return

    task = asyncio.create_task(follow())
    await asyncio.wait_for(live.wait(), 30)
    for r in ("tail:a", "tail:b", "tail:c"):
        assert (await world.agent.authorize.authorize(AuthorizeRequest(action="read", resource=r))).allowed
    await asyncio.wait_for(task, 30)
    assert [r for r, _ in got] == ["tail:a", "tail:b"]
    rest: list[str] = []
    async for entry, _ in tail_audit_async(world.user, filter=audit_filter, cursor=got[-1][1]):
        rest.append(entry.resource)
        break
    assert rest == ["tail:c"]


async def test_errors_are_typed(world: World) -> None:
    with pytest.raises(NotFoundError):
        await world.user.agents.get_agent(GetAgentRequest(agent_id="agt_" + unique("missing")))
    with pytest.raises(ValidationError):
        await world.agent.authorize.authorize(AuthorizeRequest(action="read", resource="*"))
    with pytest.raises(ValidationError):
        async for _ in tail_audit_async(world.user, cursor="not-a-cursor"):
            pass
    limited: RateLimitError | None = None
    for _ in range(10):
        try:
            await world.anon.auth.sign_in(SignInRequest(email=world.email, password="wrong-" + PASSWORD))
        except RateLimitError as err:
            limited = err
            break
        except AuthenticationError:
            continue
    assert limited is not None and limited.retry_after is not None and limited.retry_after >= 1
