"""Kavach client for Python: generated messages and stubs for gRPC (grpcio) and the Connect
protocol (connectrpc), sync and asyncio, with typed errors, permission helpers and a
``tail_audit()`` generator that resumes by cursor.

Generated code lives in ``kavach_client.gen`` (``kavach_client.gen.kavach.v1.*_pb`` for
messages, ``*_pb_grpc`` for gRPC stubs, ``*_connect`` for Connect stubs)."""

from __future__ import annotations

from .audit import tail_audit, tail_audit_async
from .client import KavachConnect, KavachConnectAsync, KavachGrpc, KavachGrpcAsync
from .errors import (
    AlreadyExistsError,
    AuthenticationError,
    KavachError,
    NetworkError,
    NotFoundError,
    PermissionError,  # noqa: A004 - the seed SDK's name
    PreconditionError,
    RateLimitError,
    ServerError,
    ValidationError,
)

__all__ = [
    "AlreadyExistsError",
    "AuthenticationError",
    "KavachConnect",
    "KavachConnectAsync",
    "KavachError",
    "KavachGrpc",
    "KavachGrpcAsync",
    "NetworkError",
    "NotFoundError",
    "PermissionError",
    "PreconditionError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
    "tail_audit",
    "tail_audit_async",
]
