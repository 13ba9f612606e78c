"""The local stack refuses to start next to a stranger on its ports (no infrastructure)."""

from __future__ import annotations

import socket
import sys

import pytest

Stack = sys.modules["lodestone_stack"].Stack  # loaded by the root conftest


def test_a_taken_port_stops_the_stack_with_a_clear_error() -> None:
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        port = stranger.getsockname()[1]
        stack = Stack(name=f"porttest-{port}", kafka_port=port, mongo_port=port + 1)

        with pytest.raises(SystemExit, match=f"kafka port {port}"):
            stack.refuse_taken_ports({"kafka": port, "mongo": stack.mongo_port})

    # The stranger gone, the same ports are fine (nothing of the stack's own runs either).
    stack.refuse_taken_ports({"kafka": port})
