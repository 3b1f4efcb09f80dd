"""connectrpc interceptors: add the credential headers to every call and turn every
``ConnectError`` into the matching :mod:`kavach_client.errors` class (with retry-after read from
the response headers)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

from connectrpc.client import ResponseMetadata
from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext

from .errors import from_connect


def _add(ctx: RequestContext[Any, Any], headers: Mapping[str, str]) -> None:
    request_headers = ctx.request_headers
    for key, value in headers.items():
        request_headers[key] = value


def _response_headers(meta: ResponseMetadata) -> dict[str, str]:
    out = {k: v for k, v in meta.headers.items()}
    out.update({k: v for k, v in meta.trailers.items()})
    return out


class AsyncInterceptor:
    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    async def intercept_unary(
        self, call_next: Callable[[Any, RequestContext[Any, Any]], Awaitable[Any]], request: Any, ctx: RequestContext[Any, Any], /
    ) -> Any:
        _add(ctx, self._headers)
        with ResponseMetadata() as meta:
            try:
                return await call_next(request, ctx)
            except ConnectError as err:
                raise from_connect(err, _response_headers(meta)) from None

    async def intercept_server_stream(
        self, call_next: Callable[[Any, RequestContext[Any, Any]], AsyncIterator[Any]], request: Any, ctx: RequestContext[Any, Any], /
    ) -> AsyncIterator[Any]:
        _add(ctx, self._headers)
        try:
            async for message in call_next(request, ctx):
                yield message
        except ConnectError as err:
            raise from_connect(err) from None


class SyncInterceptor:
    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    def intercept_unary_sync(
        self, call_next: Callable[[Any, RequestContext[Any, Any]], Any], request: Any, ctx: RequestContext[Any, Any], /
    ) -> Any:
        _add(ctx, self._headers)
        with ResponseMetadata() as meta:
            try:
                return call_next(request, ctx)
            except ConnectError as err:
                raise from_connect(err, _response_headers(meta)) from None

    def intercept_server_stream_sync(
        self, call_next: Callable[[Any, RequestContext[Any, Any]], Iterator[Any]], request: Any, ctx: RequestContext[Any, Any], /
    ) -> Iterator[Any]:
        _add(ctx, self._headers)
        try:
            yield from call_next(request, ctx)
        except ConnectError as err:
            raise from_connect(err) from None
