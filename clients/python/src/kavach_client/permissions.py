"""Permission helpers, after the seed SDK's ``kavachos.permissions``. Each returns a new
``Permission`` message; the wrappers copy their argument and add one constraint."""

from __future__ import annotations

from typing import Literal

from protobuf import Oneof

from .gen.kavach.v1.types_pb import (
    AllowedValues,
    ArgumentRule,
    Constraints,
    NumericRange,
    Permission,
)

__all__ = [
    "actions",
    "execute",
    "full_access",
    "rate_limited",
    "read",
    "read_write",
    "with_allowed_values",
    "with_approval",
    "with_argument_glob",
    "with_ip_allowlist",
    "with_range",
    "write",
]


def actions(resource: str, *names: str) -> Permission:
    """Allows the named actions on ``resource`` (a pattern such as ``"mcp:github:*"``)."""
    return Permission(resource=resource, actions=list(names))


def read(resource: str) -> Permission:
    return actions(resource, "read")


def write(resource: str) -> Permission:
    return actions(resource, "write")


def execute(resource: str) -> Permission:
    return actions(resource, "execute")


def read_write(resource: str) -> Permission:
    return actions(resource, "read", "write")


def full_access(resource: str) -> Permission:
    """Every action (``"*"``) on ``resource``."""
    return actions(resource, "*")


def _constrained(permission: Permission) -> tuple[Permission, Constraints]:
    copy = Permission.from_binary(permission.to_binary())
    if copy.constraints is None:
        copy.constraints = Constraints()
    return copy, copy.constraints


def with_approval(permission: Permission) -> Permission:
    """Requires a human approval before each use."""
    copy, c = _constrained(permission)
    c.require_approval = True
    return copy


def rate_limited(permission: Permission, max_calls_per_hour: int) -> Permission:
    """At most ``max_calls_per_hour`` allowed calls per sliding hour."""
    copy, c = _constrained(permission)
    c.max_calls_per_hour = max_calls_per_hour
    return copy


def with_ip_allowlist(permission: Permission, *cidrs: str) -> Permission:
    """Only from these IPs or CIDRs."""
    copy, c = _constrained(permission)
    c.ip_allowlist = [*c.ip_allowlist, *cidrs]
    return copy


def _with_rule(permission: Permission, rule: ArgumentRule) -> Permission:
    copy, c = _constrained(permission)
    c.argument_rules = [*c.argument_rules, rule]
    return copy


def with_argument_glob(permission: Permission, name: str, glob: str) -> Permission:
    """Argument ``name`` must match ``glob`` (``*`` stays within a ``/`` segment, ``**`` crosses)."""
    rule: Oneof[Literal["glob"], str] = Oneof("glob", glob)
    return _with_rule(permission, ArgumentRule(name=name, rule=rule))


def with_allowed_values(permission: Permission, name: str, *values: str) -> Permission:
    """Argument ``name`` must be one of ``values``."""
    rule: Oneof[Literal["allowed_values"], AllowedValues] = Oneof("allowed_values", AllowedValues(values=list(values)))
    return _with_rule(permission, ArgumentRule(name=name, rule=rule))


def with_range(permission: Permission, name: str, minimum: float, maximum: float) -> Permission:
    """Argument ``name`` must be a number in ``[minimum, maximum]``."""
    rule: Oneof[Literal["range"], NumericRange] = Oneof("range", NumericRange(min=minimum, max=maximum))
    return _with_rule(permission, ArgumentRule(name=name, rule=rule))
