"""Kavach clients: the generated service clients, with the credential on every call and typed
errors, over gRPC (grpcio, HTTP/2) or the Connect protocol (connectrpc, HTTP/1.1), each
synchronous or asyncio. Each client has ``auth``, ``agents``, ``authorize``, ``audit`` and
``delegation`` attributes, typed as the generated clients, and ``with_token()`` to act as
another principal over the same connection."""

from __future__ import annotations

from typing import Self

import grpc
import pyqwest
from grpc import aio

from . import _connect, _grpc
from .gen.kavach.v1 import (
    agent_service_connect,
    agent_service_pb_grpc,
    audit_service_connect,
    audit_service_pb_grpc,
    auth_service_connect,
    auth_service_pb_grpc,
    authorize_service_connect,
    authorize_service_pb_grpc,
    delegation_service_connect,
    delegation_service_pb_grpc,
)

__all__ = ["KavachConnect", "KavachConnectAsync", "KavachGrpc", "KavachGrpcAsync"]


def _headers(token: str | None, tenant: str | None, extra: dict[str, str] | None) -> dict[str, str]:
    headers = {k.lower(): v for k, v in (extra or {}).items()}
    if token:
        headers["authorization"] = f"Bearer {token}"
    if tenant:
        headers["kavach-tenant"] = tenant
    return headers


class _Settings:
    def __init__(self, token: str | None, tenant: str | None, headers: dict[str, str] | None) -> None:
        self.token, self.tenant, self.extra = token, tenant, headers

    def with_token(self, token: str) -> _Settings:
        return _Settings(token, self.tenant, self.extra)

    @property
    def headers(self) -> dict[str, str]:
        return _headers(self.token, self.tenant, self.extra)


class KavachGrpc:
    """Synchronous gRPC client. ``target`` is ``"host:port"``; plaintext (h2c) unless
    ``credentials`` are given (``grpc.ssl_channel_credentials()``)."""

    def __init__(
        self,
        target: str,
        *,
        token: str | None = None,
        tenant: str | None = None,
        headers: dict[str, str] | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        _channel: grpc.Channel | None = None,
    ) -> None:
        self._settings = _Settings(token, tenant, headers)
        self._target, self._credentials = target, credentials
        self._channel = _channel or (
            grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)
        )
        channel = grpc.intercept_channel(self._channel, _grpc.SyncInterceptor(list(self._settings.headers.items())))
        self.auth = auth_service_pb_grpc.AuthServiceClientSync(channel)
        self.agents = agent_service_pb_grpc.AgentServiceClientSync(channel)
        self.authorize = authorize_service_pb_grpc.AuthorizeServiceClientSync(channel)
        self.audit = audit_service_pb_grpc.AuditServiceClientSync(channel)
        self.delegation = delegation_service_pb_grpc.DelegationServiceClientSync(channel)

    def with_token(self, token: str) -> KavachGrpc:
        """A client on the same channel that sends ``token`` as its bearer credential."""
        s = self._settings.with_token(token)
        return KavachGrpc(self._target, token=s.token, tenant=s.tenant, headers=s.extra, _channel=self._channel)

    def close(self) -> None:
        """Closes the channel shared by every client derived from this one."""
        self._channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class KavachGrpcAsync:
    """asyncio gRPC client (grpc.aio). Create it inside a running event loop."""

    def __init__(
        self,
        target: str,
        *,
        token: str | None = None,
        tenant: str | None = None,
        headers: dict[str, str] | None = None,
        credentials: grpc.ChannelCredentials | None = None,
    ) -> None:
        self._target, self._credentials = target, credentials
        self._settings = _Settings(token, tenant, headers)
        pairs = list(self._settings.headers.items())
        interceptors: list[aio.ClientInterceptor] = [
            _grpc.AsyncUnaryInterceptor(pairs),
            _grpc.AsyncStreamInterceptor(pairs),
        ]
        self._channel = (
            aio.secure_channel(target, credentials, interceptors=interceptors)
            if credentials
            else aio.insecure_channel(target, interceptors=interceptors)
        )
        self.auth = auth_service_pb_grpc.AuthServiceClient(self._channel)
        self.agents = agent_service_pb_grpc.AgentServiceClient(self._channel)
        self.authorize = authorize_service_pb_grpc.AuthorizeServiceClient(self._channel)
        self.audit = audit_service_pb_grpc.AuditServiceClient(self._channel)
        self.delegation = delegation_service_pb_grpc.DelegationServiceClient(self._channel)

    def with_token(self, token: str) -> KavachGrpcAsync:
        """A client that sends ``token`` as its bearer credential (grpc.aio binds interceptors
        to a channel, so this opens a new channel: close it too)."""
        s = self._settings.with_token(token)
        return KavachGrpcAsync(self._target, token=s.token, tenant=s.tenant, headers=s.extra, credentials=self._credentials)

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()


class KavachConnect:
    """Synchronous Connect-protocol client over HTTP/1.1. ``base_url`` is ``"http://host:port"``."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        tenant: str | None = None,
        headers: dict[str, str] | None = None,
        timeout_ms: int | None = None,
        http_client: pyqwest.SyncClient | None = None,
    ) -> None:
        self._base_url, self._timeout_ms = base_url.rstrip("/"), timeout_ms
        self._settings = _Settings(token, tenant, headers)
        self._http = http_client
        icpt = [_connect.SyncInterceptor(self._settings.headers)]
        url = self._base_url
        self.auth = auth_service_connect.AuthServiceClientSync(url, interceptors=icpt, http_client=http_client, timeout_ms=timeout_ms)
        self.agents = agent_service_connect.AgentServiceClientSync(url, interceptors=icpt, http_client=http_client, timeout_ms=timeout_ms)
        self.authorize = authorize_service_connect.AuthorizeServiceClientSync(
            url, interceptors=icpt, http_client=http_client, timeout_ms=timeout_ms
        )
        self.audit = audit_service_connect.AuditServiceClientSync(url, interceptors=icpt, http_client=http_client, timeout_ms=timeout_ms)
        self.delegation = delegation_service_connect.DelegationServiceClientSync(
            url, interceptors=icpt, http_client=http_client, timeout_ms=timeout_ms
        )

    def with_token(self, token: str) -> KavachConnect:
        """A client on the same HTTP client that sends ``token`` as its bearer credential."""
        s = self._settings.with_token(token)
        return KavachConnect(
            self._base_url, token=s.token, tenant=s.tenant, headers=s.extra, timeout_ms=self._timeout_ms, http_client=self._http
        )

    def close(self) -> None:
        for client in (self.auth, self.agents, self.authorize, self.audit, self.delegation):
            client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class KavachConnectAsync:
    """asyncio Connect-protocol client over HTTP/1.1."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        tenant: str | None = None,
        headers: dict[str, str] | None = None,
        timeout_ms: int | None = None,
        http_client: pyqwest.Client | None = None,
    ) -> None:
        self._base_url, self._timeout_ms = base_url.rstrip("/"), timeout_ms
        self._settings = _Settings(token, tenant, headers)
        self._http = http_client
        icpt = [_connect.AsyncInterceptor(self._settings.headers)]
        url = self._base_url
        self.auth = auth_service_connect.AuthServiceClient(url, interceptors=icpt, http_client=http_client, timeout_ms=timeout_ms)
        self.agents = agent_service_connect.AgentServiceClient(url, interceptors=icpt, http_client=http_client, timeout_ms=timeout_ms)
        self.authorize = authorize_service_connect.AuthorizeServiceClient(url, interceptors=icpt, http_client=http_client, timeout_ms=timeout_ms)
        self.audit = audit_service_connect.AuditServiceClient(url, interceptors=icpt, http_client=http_client, timeout_ms=timeout_ms)
        self.delegation = delegation_service_connect.DelegationServiceClient(url, interceptors=icpt, http_client=http_client, timeout_ms=timeout_ms)

    def with_token(self, token: str) -> KavachConnectAsync:
        s = self._settings.with_token(token)
        return KavachConnectAsync(
            self._base_url, token=s.token, tenant=s.tenant, headers=s.extra, timeout_ms=self._timeout_ms, http_client=self._http
        )

    async def close(self) -> None:
        for client in (self.auth, self.agents, self.authorize, self.audit, self.delegation):
            await client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()
