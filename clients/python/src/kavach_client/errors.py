"""Typed errors, after the seed SDK's ``kavachos.errors``: every failed call made through a
client of this package raises a subclass of :class:`KavachError`, whichever transport (gRPC or
Connect) carried it, so callers catch ``NotFoundError`` rather than transport exceptions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError

__all__ = [
    "AlreadyExistsError",
    "AuthenticationError",
    "CancelledError",
    "DeadlineExceededError",
    "KavachError",
    "NetworkError",
    "NotFoundError",
    "OutOfRangeError",
    "PermissionError",
    "PreconditionError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
    "from_connect",
    "from_grpc",
]


class KavachError(Exception):
    """A failed Kavach call. ``code`` is the RPC status code in snake case (``"not_found"``)."""

    def __init__(self, code: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.retry_after = retry_after


class AuthenticationError(KavachError):
    """Missing, unknown, rotated, revoked or expired credential (Unauthenticated)."""


class PermissionError(KavachError):  # noqa: A001 - the seed SDK's name; also exported below
    """The credential may not do this (PermissionDenied)."""


PermissionDeniedError = PermissionError


class NotFoundError(KavachError):
    """No such record, or one the caller may not see (NotFound)."""


class RateLimitError(KavachError):
    """Throttled, or a quota is full (ResourceExhausted). ``retry_after`` is in seconds."""


class ValidationError(KavachError):
    """Malformed input; the message names the field (InvalidArgument)."""


class AlreadyExistsError(KavachError):
    """The record exists already, e.g. an email that is signed up (AlreadyExists)."""


class PreconditionError(KavachError):
    """Valid input that the current state forbids, e.g. a delegation cycle (FailedPrecondition)."""


class OutOfRangeError(KavachError):
    """E.g. a tail cursor older than the audit retention (OutOfRange)."""


class NetworkError(KavachError):
    """The server or its store is unavailable, or the network failed (Unavailable)."""


class DeadlineExceededError(KavachError):
    """The call's deadline passed (DeadlineExceeded)."""


class CancelledError(KavachError):
    """The call was cancelled (Cancelled)."""


class ServerError(KavachError):
    """A server fault: Internal, Unknown, Unimplemented, DataLoss..."""


_BY_CODE: dict[str, type[KavachError]] = {
    "unauthenticated": AuthenticationError,
    "permission_denied": PermissionError,
    "not_found": NotFoundError,
    "resource_exhausted": RateLimitError,
    "invalid_argument": ValidationError,
    "already_exists": AlreadyExistsError,
    "failed_precondition": PreconditionError,
    "out_of_range": OutOfRangeError,
    "unavailable": NetworkError,
    "deadline_exceeded": DeadlineExceededError,
    "canceled": CancelledError,
    "cancelled": CancelledError,
}


def error_for(code: str, message: str, retry_after: float | None = None) -> KavachError:
    """The typed error for a snake-case status code."""
    cls = _BY_CODE.get(code, ServerError)
    return cls(code, message, retry_after=retry_after if cls is RateLimitError else None)


def _retry_after(pairs: Iterable[tuple[str, str | bytes]]) -> float | None:
    for key, value in pairs:
        if key.lower() == "retry-after":
            text = value.decode() if isinstance(value, bytes) else value
            try:
                return float(int(text.strip()))
            except ValueError:
                continue
    return None


def from_grpc(err: grpc.RpcError) -> KavachError:
    """Converts a grpcio error (a ``grpc.Call`` or ``grpc.aio.AioRpcError``), reading
    retry-after from its metadata."""
    code_of = getattr(err, "code", None)
    code = code_of() if callable(code_of) else grpc.StatusCode.UNKNOWN
    details = getattr(err, "details", None)
    message = (details() if callable(details) else None) or str(err)
    pairs: list[tuple[str, str | bytes]] = []
    for name in ("trailing_metadata", "initial_metadata"):
        read = getattr(err, name, None)
        if callable(read):
            pairs += [(str(k), v) for k, v in (read() or ())]
    return error_for(code.name.lower(), message, _retry_after(pairs))


def from_connect(err: ConnectError, headers: Mapping[str, str] | None = None) -> KavachError:
    """Converts a connectrpc error; ``headers`` are the response headers and trailers."""
    code = err.code.value if isinstance(err.code, Code) else str(err.code)
    return error_for(code, err.message, _retry_after((headers or {}).items()))
