"""Quickstart: a backend that received an agent's token authorizes the agent's tool call, while
the agent's owner follows the audit log and sees the decision arrive.

    KAVACH_URL=http://127.0.0.1:8080 KAVACH_AGENT_TOKEN=kv_... KAVACH_TOKEN=kvs_... python quickstart.py
"""

import os

from protobuf.wkt.google.protobuf.struct_pb import Struct

from kavach_client import KavachConnect, KavachGrpc, tail_audit
from kavach_client.gen.kavach.v1.authorize_service_pb import AuthorizeRequest


def main() -> None:
    url = os.environ["KAVACH_URL"]
    agent = KavachConnect(url, token=os.environ["KAVACH_AGENT_TOKEN"])  # Connect over HTTP/1.1
    owner = KavachGrpc(url.removeprefix("http://"), token=os.environ["KAVACH_TOKEN"])  # gRPC over h2c
    decided: list[bool] = []

    def authorize_once(cursor: str) -> None:
        """Called on each heartbeat; the first one means the owner's tail is live."""
        if decided:
            return
        decided.append(True)
        res = agent.authorize.authorize(
            AuthorizeRequest(
                action="read",
                resource="mcp:github:repos",
                arguments=Struct.from_python({"repo": "kavach", "branch": "main"}),
            )
        )  # raises kavach_client.AuthenticationError, ValidationError... on failure
        print(f"decision: allowed={res.allowed} reason={res.reason.name} audit_id={res.audit_id}")

    with agent, owner:
        for entry, cursor in tail_audit(owner, on_heartbeat=authorize_once):
            print(f"audit: {entry.agent_id} {entry.action} {entry.resource} -> {entry.result.name} (cursor {cursor})")
            break  # one entry is enough for a demo; resume later with tail_audit(owner, cursor=cursor)


if __name__ == "__main__":
    main()
