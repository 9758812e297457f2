"""A server process's one identity (moves/world.py `ServerProcess`): the node peers route by, and a lease per start."""

from __future__ import annotations

from game_backend.moves.world import ServerProcess
from game_backend.transport.engineio.session_ids import new_session_id, node_of


def test_a_restart_under_the_same_node_id_is_a_new_lease_of_the_same_node() -> None:
    first, restarted = ServerProcess.start("web1"), ServerProcess.start("web1")
    assert first.node == restarted.node == "web1"
    assert first.lease != restarted.lease  # its predecessor's players are recovered, never taken for its own
    assert first.lease.startswith("web1.") and restarted.lease.startswith("web1.")


def test_without_a_node_id_each_process_draws_its_own_node() -> None:
    one, other = ServerProcess.start(None), ServerProcess.start(None)
    assert one.node != other.node and one.node.isalnum()


def test_the_node_is_what_a_session_id_names() -> None:
    process = ServerProcess.start("web2")
    assert node_of(new_session_id(process.node)) == "web2"
