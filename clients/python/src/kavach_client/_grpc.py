"""grpcio interceptors: add the credential headers to every call and turn every ``grpc.RpcError``
into the matching :mod:`kavach_client.errors` class (with retry-after read from the metadata)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import grpc
from grpc import aio

from .errors import from_grpc

Pairs = Sequence[tuple[str, str]]


class _Details(
    namedtuple("_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")),
    grpc.ClientCallDetails,
):
    pass


def _merged(existing: Any, extra: Pairs) -> list[tuple[str, str | bytes]]:
    return [*(tuple(p) for p in (existing or ())), *extra]


class _SyncStream:
    """A server stream whose iteration raises typed errors; other attributes (cancel...) pass."""

    def __init__(self, call: Any) -> None:
        self._call = call

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            return next(self._call)
        except grpc.RpcError as err:
            raise from_grpc(err) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


class SyncInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self, metadata: Pairs) -> None:
        self._metadata = metadata

    def _details(self, d: grpc.ClientCallDetails) -> _Details:
        return _Details(
            d.method,
            d.timeout,
            _merged(d.metadata, self._metadata),
            d.credentials,
            getattr(d, "wait_for_ready", None),
            getattr(d, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any) -> Any:
        call = continuation(self._details(details), request)
        err = call.exception()
        if isinstance(err, grpc.RpcError):
            raise from_grpc(err) from None
        return call

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any) -> Any:
        return _SyncStream(continuation(self._details(details), request))


class _AsyncBase:
    def __init__(self, metadata: Pairs) -> None:
        self._metadata = metadata

    def _details(self, d: aio.ClientCallDetails) -> aio.ClientCallDetails:
        return aio.ClientCallDetails(
            d.method, d.timeout, aio.Metadata(*_merged(d.metadata, self._metadata)), d.credentials, d.wait_for_ready
        )


class AsyncUnaryInterceptor(_AsyncBase, aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Callable[..., Any], details: aio.ClientCallDetails, request: Any) -> Any:
        call = await continuation(self._details(details), request)
        try:
            return await call
        except grpc.RpcError as err:
            raise from_grpc(err) from None


class AsyncStreamInterceptor(_AsyncBase, aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Callable[..., Any], details: aio.ClientCallDetails, request: Any) -> Any:
        call = await continuation(self._details(details), request)

        async def messages() -> AsyncIterator[Any]:
            try:
                async for message in call:
                    yield message
            except grpc.RpcError as err:
                raise from_grpc(err) from None
            finally:
                call.cancel()

        return messages()
