"""The error mapping and permission helpers on their own (no server): codes a healthy server
cannot be made to send on purpose (Internal, Unimplemented...) are checked here."""

from __future__ import annotations

import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError

from kavach_client import errors as e
from kavach_client import permissions as p


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (Code.UNAUTHENTICATED, e.AuthenticationError),
        (Code.PERMISSION_DENIED, e.PermissionError),
        (Code.NOT_FOUND, e.NotFoundError),
        (Code.RESOURCE_EXHAUSTED, e.RateLimitError),
        (Code.INVALID_ARGUMENT, e.ValidationError),
        (Code.ALREADY_EXISTS, e.AlreadyExistsError),
        (Code.FAILED_PRECONDITION, e.PreconditionError),
        (Code.OUT_OF_RANGE, e.OutOfRangeError),
        (Code.UNAVAILABLE, e.NetworkError),
        (Code.DEADLINE_EXCEEDED, e.DeadlineExceededError),
        (Code.CANCELED, e.CancelledError),
        (Code.INTERNAL, e.ServerError),
        (Code.UNKNOWN, e.ServerError),
        (Code.UNIMPLEMENTED, e.ServerError),
        (Code.DATA_LOSS, e.ServerError),
    ],
)
def test_every_connect_code_maps_to_its_class(code: Code, cls: type[e.KavachError]) -> None:
    err = e.from_connect(ConnectError(code, "boom"), {"retry-after": "7"})
    assert type(err) is cls and err.message == "boom" and err.code == code.value
    assert err.retry_after == (7.0 if cls is e.RateLimitError else None)
    assert isinstance(err, e.KavachError)


def test_permission_helpers_copy_and_add_constraints() -> None:
    base = p.execute("mcp:deploy:*")
    limited = p.rate_limited(p.with_approval(base), 100)
    assert base.constraints is None, "helpers must not change their argument"
    assert limited.constraints is not None
    assert limited.constraints.require_approval and limited.constraints.max_calls_per_hour == 100
    assert p.read_write("x").actions == ["read", "write"] and p.full_access("x").actions == ["*"]
    assert p.write("x").actions == ["write"] and p.read("x").actions == ["read"]
    ruled = p.with_range(p.with_allowed_values(p.with_argument_glob(p.read("fs:*"), "path", "/tmp/**"), "mode", "ro"), "size", 0, 10)
    assert ruled.constraints is not None
    assert [r.name for r in ruled.constraints.argument_rules] == ["path", "mode", "size"]
    assert p.with_ip_allowlist(p.read("x"), "10.0.0.0/8").constraints.ip_allowlist == ["10.0.0.0/8"]  # type: ignore[union-attr]
