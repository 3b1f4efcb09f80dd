"""``tail_audit()``: follow the audit log, resuming by cursor.

Each yielded item is ``(entry, cursor)``. Persist the cursor to resume after a restart of your
program (pass it back as ``cursor=``). When the stream breaks (the network, a restarting
server, or a reader that fell too far behind and was cut off with ``RateLimitError``), the
generator reopens it after the last cursor it saw, from an entry or a heartbeat, so every entry
is yielded exactly once. Errors a retry cannot fix (``AuthenticationError``, ``ValidationError``
for a malformed cursor, ``OutOfRangeError`` for one older than the retention) are raised.
Closing the generator (``break``) cancels the stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from .client import KavachConnect, KavachConnectAsync, KavachGrpc, KavachGrpcAsync
from .errors import NetworkError, RateLimitError
from .gen.kavach.v1.audit_service_pb import TailAuditRequest, TailAuditResponse
from .gen.kavach.v1.types_pb import AuditEntry, AuditFilter

__all__ = ["tail_audit", "tail_audit_async"]

_FIRST_BACKOFF = 0.1
_RESUMABLE = (NetworkError, RateLimitError)


def _entry(response: TailAuditResponse) -> AuditEntry | None:
    event = response.event
    if event is not None and event.field == "entry":
        return event.value
    return None


def _stop(stream: Any) -> None:
    for name in ("cancel", "close"):
        method = getattr(stream, name, None)
        if callable(method):
            method()
            return


def tail_audit(
    client: KavachGrpc | KavachConnect,
    *,
    filter: AuditFilter | None = None,  # noqa: A002 - the field's name in the API
    cursor: str = "",
    on_heartbeat: Callable[[str], None] | None = None,
    max_backoff: float = 5.0,
) -> Iterator[tuple[AuditEntry, str]]:
    """Yields ``(entry, cursor)`` for every matching audit entry after ``cursor`` (empty: from
    now on), forever. ``on_heartbeat(cursor)`` is called when the server signals that the tail is
    live (its first message without a cursor) and whenever the log is idle."""
    backoff = _FIRST_BACKOFF
    while True:
        stream = client.audit.tail_audit(TailAuditRequest(filter=filter, cursor=cursor))
        try:
            for response in stream:
                backoff = _FIRST_BACKOFF
                entry = _entry(response)
                if entry is not None:
                    yield entry, response.cursor
                elif on_heartbeat is not None:
                    on_heartbeat(response.cursor)
                if response.cursor:
                    cursor = response.cursor
        except _RESUMABLE:
            pass
        finally:
            _stop(stream)
        time.sleep(backoff)
        backoff = min(backoff * 2, max_backoff)


async def tail_audit_async(
    client: KavachGrpcAsync | KavachConnectAsync,
    *,
    filter: AuditFilter | None = None,  # noqa: A002
    cursor: str = "",
    on_heartbeat: Callable[[str], None] | None = None,
    max_backoff: float = 5.0,
) -> AsyncIterator[tuple[AuditEntry, str]]:
    """The asyncio form of :func:`tail_audit`."""
    backoff = _FIRST_BACKOFF
    while True:
        stream: Any = client.audit.tail_audit(TailAuditRequest(filter=filter, cursor=cursor))
        try:
            async for response in stream:
                backoff = _FIRST_BACKOFF
                entry = _entry(response)
                if entry is not None:
                    yield entry, response.cursor
                elif on_heartbeat is not None:
                    on_heartbeat(response.cursor)
                if response.cursor:
                    cursor = response.cursor
        except _RESUMABLE:
            pass
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
            else:
                _stop(stream)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, max_backoff)
