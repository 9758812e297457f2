"""For tests that drive this server: a running server, signed-in players, a seated room.

    from game_backend.testing import Players, running_server, seat_room

    async with running_server() as base_url:           # the app on a free port, its own in-memory database
        group = Players(base_url)
        room = await seat_room(group, "ann", "bob")     # two guests seated in a new room; ann hosts
        await room.host.act("sendMessage", "hi")
        message = await room.players[1].expect("message")
        await group.close()

Installed with the package, a pytest plugin (pytest_plugin.py, found through
its `pytest11` entry point) gives the same as fixtures: `game_server`,
`players`, `room`.
"""

from .players import WAIT, Player, Players, SeatedRoom, guest_token, rest, seat_room
from .server import TEST_SETTINGS, running_server

__all__ = [
    "TEST_SETTINGS",
    "WAIT",
    "Player",
    "Players",
    "SeatedRoom",
    "guest_token",
    "rest",
    "running_server",
    "seat_room",
]
