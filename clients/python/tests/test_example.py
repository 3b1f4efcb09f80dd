"""The README's Python example, run as written (the ring checks that the README shows this file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kavach_client import KavachGrpc

from .conftest import agent_request, sign_up_request

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"


def test_quickstart_example(grpc_target: str, base_url: str) -> None:
    with KavachGrpc(grpc_target) as anon:
        up = anon.auth.sign_up(sign_up_request())
        created = anon.with_token(up.session_token).agents.create_agent(agent_request(up.user.id))
    env = {**os.environ, "KAVACH_URL": base_url, "KAVACH_AGENT_TOKEN": created.token, "KAVACH_TOKEN": up.session_token}
    run = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert "decision: allowed=True reason=ALLOWED audit_id=" in run.stdout
    assert f"audit: {created.agent.id} read mcp:github:repos -> ALLOWED (cursor " in run.stdout
