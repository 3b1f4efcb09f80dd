"""Fixtures for tests against a real Kavach: scripts/rings/python-client.ring.mjs starts one on
the embedded store and sets KAVACH_URL (and KAVACH_ADMIN_TOKEN)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import pytest

from kavach_client import permissions as p
from kavach_client.gen.kavach.v1.agent_service_pb import CreateAgentRequest
from kavach_client.gen.kavach.v1.auth_service_pb import SignUpRequest
from kavach_client.gen.kavach.v1.types_pb import AgentType

PASSWORD = "correct-Horse-battery-staple-42"


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("KAVACH_URL", "")
    if not url:
        pytest.skip("KAVACH_URL is not set: run through scripts/rings/python-client.ring.mjs (npm test)")
    return url


@pytest.fixture(scope="session")
def grpc_target(base_url: str) -> str:
    return urlparse(base_url).netloc


def unique(prefix: str) -> str:
    return prefix + secrets.token_hex(6)


PERMISSIONS = [
    p.read("mcp:github:*"),
    p.read("tail:*"),
    p.with_allowed_values(p.execute("mcp:deploy:*"), "env", "staging", "dev"),
    p.with_approval(p.execute("mcp:db:drop")),
]


@dataclass
class World:
    anon: Any
    user: Any
    agent: Any
    agent_id: str
    agent_token: str
    session_token: str
    email: str


def sign_up_request() -> SignUpRequest:
    return SignUpRequest(email=unique("py-ring-") + "@example.com", password=PASSWORD, name="Py Ring")


def agent_request(owner_id: str) -> CreateAgentRequest:
    return CreateAgentRequest(owner_id=owner_id, name=unique("agent-"), type=AgentType.AUTONOMOUS, permissions=PERMISSIONS)
