"""tail_audit()'s resume logic against scripted streams (no server): a broken stream is reopened
after the last cursor seen, from an entry or a heartbeat, and errors a retry cannot fix are
raised."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from protobuf import Oneof

from kavach_client import NetworkError, RateLimitError, ValidationError, tail_audit
from kavach_client.gen.kavach.v1.audit_service_pb import Heartbeat, TailAuditRequest, TailAuditResponse
from kavach_client.gen.kavach.v1.types_pb import AuditEntry


def entry(cursor: str, entry_id: str) -> TailAuditResponse:
    return TailAuditResponse(cursor=cursor, event=Oneof("entry", AuditEntry(id=entry_id)))


def heartbeat(cursor: str) -> TailAuditResponse:
    return TailAuditResponse(cursor=cursor, event=Oneof("heartbeat", Heartbeat()))


class Scripted:
    def __init__(self, streams: list[list[Any]]) -> None:
        self.streams, self.opened = streams, []  # type: list[list[Any]], list[str]
        self.audit = SimpleNamespace(tail_audit=self.tail_audit)

    def tail_audit(self, request: TailAuditRequest) -> Iterator[TailAuditResponse]:
        self.opened.append(request.cursor)
        items = self.streams[len(self.opened) - 1]

        def run() -> Iterator[TailAuditResponse]:
            for item in items:
                if isinstance(item, Exception):
                    raise item
                yield item

        return run()


def test_reopens_after_the_last_cursor() -> None:
    client = Scripted(
        [
            [heartbeat("c0"), entry("c1", "a"), NetworkError("unavailable", "connection reset")],
            [heartbeat("c2"), RateLimitError("resource_exhausted", "reader fell behind")],
            [entry("c3", "b")],  # ends cleanly: reopened too
            [entry("c4", "c")],
        ]
    )
    beats: list[str] = []
    got: list[str] = []
    for e, cursor in tail_audit(client, cursor="start", on_heartbeat=beats.append):  # type: ignore[arg-type]
        got.append(f"{e.id}@{cursor}")
        if len(got) == 3:
            break
    assert got == ["a@c1", "b@c3", "c@c4"]
    assert client.opened == ["start", "c1", "c2", "c3"]
    assert beats == ["c0", "c2"]


def test_raises_what_a_retry_cannot_fix() -> None:
    client = Scripted([[ValidationError("invalid_argument", "cursor is malformed")]])
    with pytest.raises(ValidationError):
        next(tail_audit(client, cursor="bad"))  # type: ignore[arg-type]
    assert client.opened == ["bad"]


class ScriptedAsync(Scripted):
    def tail_audit_async(self, request: TailAuditRequest) -> Any:
        sync = Scripted.tail_audit(self, request)

        async def run() -> Any:
            for item in sync:
                yield item

        return run()

    def __init__(self, streams: list[list[Any]]) -> None:
        super().__init__(streams)
        self.audit = SimpleNamespace(tail_audit=self.tail_audit_async)


async def test_async_reopens_after_the_last_cursor() -> None:
    from kavach_client import tail_audit_async

    client = ScriptedAsync(
        [
            [heartbeat("c0"), entry("c1", "a"), NetworkError("unavailable", "connection reset")],
            [entry("c2", "b")],
        ]
    )
    got: list[str] = []
    async for e, cursor in tail_audit_async(client, cursor="start"):  # type: ignore[arg-type]
        got.append(f"{e.id}@{cursor}")
        if len(got) == 2:
            break
    assert got == ["a@c1", "b@c2"]
    assert client.opened == ["start", "c1"]
