"""Fixtures for the Python SDK ring: a real Kavach started by scripts/rings/python-sdk.ring.mjs.

KAVACH_URL is the server's root (http://127.0.0.1:PORT); the SDK's base URL is KAVACH_URL +
/api/kavach. KAVACH_ADMIN_TOKEN is the admin token the ring started the server with.
"""
import os
import uuid

import pytest

from kavachos import KavachSyncClient


@pytest.fixture(scope="session")
def root_url() -> str:
    return os.environ["KAVACH_URL"]


@pytest.fixture(scope="session")
def base_url(root_url: str) -> str:
    return f"{root_url}/api/kavach"


@pytest.fixture(scope="session")
def admin_token() -> str:
    return os.environ["KAVACH_ADMIN_TOKEN"]


@pytest.fixture()
def admin(base_url: str, admin_token: str):
    with KavachSyncClient(base_url=base_url, token=admin_token) as client:
        yield client


OWNER_PASSWORD = "Kv-owner-password-horse-battery"


def sign_up_user(base_url: str) -> str:
    """Signs a fresh user up and returns its id: an agent's owner must be a user of the tenant."""
    with KavachSyncClient(base_url=base_url) as anon:
        return anon.auth.sign_up(email=f"o{uuid.uuid4().hex[:12]}@example.com", password=OWNER_PASSWORD).user.id


@pytest.fixture()
def owner(base_url: str) -> str:
    """A fresh owner per test, so tests never see each other's agents."""
    return sign_up_user(base_url)


@pytest.fixture(scope="session")
def user_123(base_url: str) -> str:
    """The seed README's "user-123": a real user, since Kavach refuses an owner that is no user."""
    return sign_up_user(base_url)


@pytest.fixture()
def email() -> str:
    return f"u{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture(scope="session")
def grpc_authorize(root_url: str, admin_token: str):
    """Kavach's Authorize RPC over gRPC (h2c), through the repository's own Python client
    (clients/python): the path a backend guarding tool calls takes, not the REST surface."""
    from protobuf.wkt.google.protobuf.struct_pb import Struct

    from kavach_client import KavachGrpc
    from kavach_client.gen.kavach.v1.authorize_service_pb import AuthorizeRequest

    client = KavachGrpc(root_url.removeprefix("http://"), token=admin_token)

    def call(agent_id: str, action: str, resource: str, arguments=None, client_ip: str = "") -> dict:
        extra = {} if arguments is None else {"arguments": Struct.from_python(arguments)}
        res = client.authorize.authorize(
            AuthorizeRequest(agent_id=agent_id, action=action, resource=resource, client_ip=client_ip, **extra)
        )
        reason = res.reason.name
        return {
            "allowed": res.allowed,
            "reason": reason if reason.startswith("REASON_CODE_") else f"REASON_CODE_{reason}",
            "approvalId": res.approval_id,
        }

    yield call
    client.close()
