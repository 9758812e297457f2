"""fanout.SocketIndex: the plain dicts the compiled hot path reads in place of python-socketio's rooms.

The packet reader takes an inline event's socket from `connected_sids`, and
announce.follows asks `joined` whether that socket follows the room it names.
Each must say what python-socketio's own rooms say (`sid_from_eio_sid` with
`is_connected`, and the room's members) at every step of a socket's life.
"""

from __future__ import annotations

import pytest

from game_backend.transport.socketio.fanout import FanoutManager
from game_backend.transport.socketio.server import SocketServer

NAMESPACES = ("/", "/custom")


def manager_of_a_server() -> FanoutManager:
    manager = FanoutManager()
    SocketServer(client_manager=manager)
    return manager


def agrees(manager: FanoutManager, eio_sid: str) -> None:
    for namespace in NAMESPACES:
        sid = manager.sid_from_eio_sid(eio_sid, namespace)
        expected = sid if sid is not None and manager.is_connected(sid, namespace) else None
        assert manager.connected_sids.get(namespace, {}).get(eio_sid) == expected, (namespace, eio_sid)
    for (namespace, sid), rooms in manager.joined.items():
        assert rooms == {room for room in manager.get_rooms(sid, namespace) if room != sid}
    assert manager.members == {
        namespace: {room: dict(members) for room, members in rooms.items()} for namespace, rooms in manager.rooms.items()
    }


async def test_a_session_counts_as_connected_from_its_connect_until_its_disconnect_begins() -> None:
    manager = manager_of_a_server()
    sid = await manager.pre_connect("session-1", "/")
    agrees(manager, "session-1")
    assert manager.connected_sids == {}  # its connect handler is still running
    await manager.connect(sid, "/")
    assert manager.connected_sids == {"/": {"session-1": sid}}
    agrees(manager, "session-1")
    manager.pre_disconnect(sid, "/")
    assert manager.connected_sids == {}  # its disconnect handler runs: its events are no longer handled
    agrees(manager, "session-1")
    await manager.disconnect(sid, "/")
    agrees(manager, "session-1")


async def test_each_namespace_of_a_session_has_its_own_socket() -> None:
    manager = manager_of_a_server()
    main = await manager.connect("session-1", "/")
    custom = await manager.connect("session-1", "/custom")
    other = await manager.connect("session-2", "/")
    assert manager.connected_sids == {"/": {"session-1": main, "session-2": other}, "/custom": {"session-1": custom}}
    await manager.disconnect(main, "/")  # leaving "/" keeps "/custom"
    assert manager.connected_sids == {"/": {"session-2": other}, "/custom": {"session-1": custom}}
    for session in ("session-1", "session-2"):
        agrees(manager, session)


async def test_a_refused_connect_never_counts_as_connected() -> None:
    manager = manager_of_a_server()
    sid = await manager.pre_connect("session-1", "/")
    await manager.disconnect(sid, "/", ignore_queue=True)
    assert manager.connected_sids == {}
    agrees(manager, "session-1")


@pytest.mark.parametrize("leave", ["leave_room", "close_room", "disconnect"])
async def test_joined_follows_the_rooms_a_socket_enters_and_leaves(leave: str) -> None:
    manager = manager_of_a_server()
    sid = await manager.connect("session-1", "/")
    await manager.enter_room(sid, "/", "ABC123")
    await manager.enter_room(sid, "/", "watch:bob")
    assert manager.joined == {("/", sid): {"ABC123", "watch:bob"}}
    if leave == "leave_room":
        await manager.leave_room(sid, "/", "ABC123")
        assert manager.joined == {("/", sid): {"watch:bob"}}
    elif leave == "close_room":
        await manager.close_room("ABC123", "/")
        assert manager.joined == {("/", sid): {"watch:bob"}}
    else:
        await manager.disconnect(sid, "/")
        assert manager.joined == {}
    agrees(manager, "session-1")
