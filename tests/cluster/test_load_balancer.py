"""Three server processes behind nginx running deploy/nginx.conf, played by the real socket.io-client.

Each player's handshake goes to a process round robin; its session id names that
process, and nginx sends every later request of the session (long-polling, the
WebSocket upgrade) to it. The players of one room therefore sit on three
processes, which share the room through Redis.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from game_backend.testing import rest

from ..clusters import cluster_env, processes
from ..js_players import JsPlayer, JsPlayers
from ..nginx import Nginx, nginx_binary
from ..redis_servers import REDIS_URL, require_redis
from ..servers import ServerProcess

NODES = ["web1", "web2", "web3"]
DEFAULT: dict[str, Any] = {"client": "v4"}  # long-polling first, then the upgrade to WebSocket
WEBSOCKET: dict[str, Any] = {"client": "v4", "transports": ["websocket"]}
POLLING: dict[str, Any] = {"client": "v3", "transports": ["polling"]}


class Balanced:
    def __init__(self, servers: list[ServerProcess], nginx: Nginx) -> None:
        self.servers = servers
        self.nginx = nginx
        self.js = JsPlayers(nginx.url)


@contextlib.asynccontextmanager
async def behind_nginx(mongodb_uri: str, database_name: str, prefix: str, directory: Path,
                       **settings: str) -> AsyncIterator[Balanced]:
    require_redis()
    nginx_binary()
    env = {**cluster_env(mongodb_uri, database_name, REDIS_URL, prefix), "TRUSTED_PROXIES": "127.0.0.1", **settings}
    async with processes(env, NODES, logs=directory) as servers:
        nginx = Nginx(directory, [server.port for server in servers]).start()
        balanced = Balanced(servers, nginx)
        try:
            yield balanced
        finally:
            await balanced.js.close()
            nginx.stop()


@pytest.fixture
async def balanced(mongodb_uri: str, database_name: str, prefix: str, tmp_path: Path) -> AsyncIterator[Balanced]:
    async with behind_nginx(mongodb_uri, database_name, prefix, tmp_path) as balanced:
        yield balanced


def node_of(connect: dict[str, Any]) -> str:
    return connect["id"].partition(".")[0]


async def seat(players: list[JsPlayer], code: str) -> None:
    for player in players:
        assert (await player.call("joinRoom", {"nickname": player.nickname, "code": code}))["ok"] is True
    await players[0].wait_for(f"players{code}", lambda a: len(a[0]) == len(players))


async def test_a_room_played_through_nginx_by_players_on_three_processes(balanced: Balanced) -> None:
    js = balanced.js
    players = [await js.join(nickname, **mode) for nickname, mode in
               (("host", DEFAULT), ("드러머", WEBSOCKET), ("guitar", POLLING))]
    nodes = [node_of(await player.connected()) for player in players]
    assert sorted(nodes) == NODES, f"the handshakes were not spread round robin: {nodes}"
    host, drummer, guitar = players

    status, room = await rest(js.base_url, "POST", "/api/rooms/create", host.token, {"type": "codeGame"})
    assert status == 201, room
    code = room["code"]
    await seat(players, code)

    assert (await guitar.call("sendMessage", "안녕 through nginx"))["ok"] is True
    for player in (host, drummer):
        assert (await player.wait_for("message"))[0]["chat"] == "안녕 through nginx"
    assert (await drummer.call("ready"))["allReady"] is False
    assert (await guitar.call("ready"))["allReady"] is True
    await host.wait_for("allReady", lambda a: a == [True])

    assert (await host.call("startGame", {"code": code}))["ok"] is True
    for player in players:
        await player.wait_for(f"gameStarted{code}")
        assert (await player.call("playerLoaded", {"nickname": player.nickname, "code": code}))["ok"] is True
    start_times = [(await player.wait_for(f"allPlayersLoaded{code}"))[0] for player in players]
    assert len(set(start_times)) == 1, f"the players were given different start times: {start_times}"

    hit = {"code": code, "nickname": "드러머", "currentScore": 0, "combo": 0, "instrument": "drum",
           "motionType": "shake"}
    assert await drummer.call("hit", hit) == {"ok": True}
    for player in (host, guitar):
        assert await player.wait_for("liveScore드러머") == [0, 0, "drum", "shake"]
    assert drummer.events("liveScore드러머") == []

    assert [await player.transport() for player in players] == ["websocket", "websocket", "polling"]


async def test_new_players_go_to_the_processes_that_are_up(balanced: Balanced) -> None:
    balanced.servers[1].stop()
    players = [await balanced.js.join(f"p{n}", **WEBSOCKET if n % 2 else DEFAULT) for n in range(4)]
    nodes = {node_of(await player.connected()) for player in players}
    assert nodes == {"web1", "web3"}
    status, body = await rest(balanced.nginx.url, "GET", "/readyz")
    assert (status, body) == (200, {"ok": True})


async def test_a_player_whose_process_dies_recovers_the_missed_events_on_another(
        mongodb_uri: str, database_name: str, prefix: str, tmp_path: Path) -> None:
    async with behind_nginx(mongodb_uri, database_name, prefix, tmp_path, CONNECTION_RECOVERY="1",
                            RECONNECT_GRACE_SECONDS="20") as balanced:
        js = balanced.js
        host = await js.join("host", **WEBSOCKET)
        away = await js.join("away", **WEBSOCKET)  # reconnection off: the test says when it comes back
        other = await js.join("other", **DEFAULT)
        status, room = await rest(js.base_url, "POST", "/api/rooms/create", host.token, {"type": "codeGame"})
        code = room["code"]
        await seat([host, away, other], code)
        await away.wait_for(f"players{code}", lambda a: len(a[0]) == 3)
        # The host's last events of the seating (the third seat, then allReady false) may come through Redis after
        # the others saw it: wait for them, so that only what follows the kill is counted as missed.
        await host.wait_for(f"players{code}", lambda a: len(a[0]) == 3)
        three = next(index for index, r in enumerate(host.records) if r["type"] == "event"
                     and r["event"] == f"players{code}" and len(r["args"][0]) == 3)
        await host.record(lambda _: any(r["type"] == "event" and r["event"] == "allReady"
                                        for r in host.records[three + 1:]))  # records are equal dicts: by position

        dead = NODES.index(node_of(await away.connected()))
        seen_by_host = len(host.records)
        balanced.servers[dead].kill()
        await away.record(lambda r: r["type"] == "disconnect")
        # A surviving process claims the dead one at once (its pid is gone from this machine) and records its
        # players as gone: the room hears that `away` went offline, and so will `away`, replayed.
        await host.record(lambda r: r["type"] == "event" and r["event"] == "userStatus"
                          and r["args"][0] == {"nickname": "away", "online": False})
        assert (await host.call("sendMessage", "while you were away"))["ok"] is True
        assert (await other.call("ready"))["ok"] is True
        # `other` may be on another process than the host: the ready's events reach the host through Redis,
        # with no promise to arrive before what the host does next. The test waits for them.
        await host.record(lambda r: r["type"] == "event" and r["event"] == "allReady"
                          and host.records.index(r) >= seen_by_host)
        assert (await host.call("sendMessage", "still away"))["ok"] is True
        await host.wait_for("message", lambda a: a[0]["chat"] == "still away")
        missed = [(r["event"], r["args"]) for r in host.records[seen_by_host:] if r["type"] == "event"]
        assert [event for event, _ in missed] == ["userStatus", "message", "readyStatus", "allReady", "message"]

        reconnected_at = len(away.records)
        await away.reconnect()
        back = await away.record(lambda r: r["type"] in ("connect", "connect_error") and
                                 away.records.index(r) >= reconnected_at)
        assert back["type"] == "connect" and back["recovered"] is True, back
        assert node_of(back) != NODES[dead]
        await away.wait_for("seatRestored")
        after = [(r["event"], r["args"]) for r in away.records[reconnected_at:] if r["type"] == "event"]
        assert after[:len(missed)] == missed, "the missed events, in order, each with the offset the others got"
        assert [event for event, _ in after[len(missed):]] == ["seatRestored"]

        assert (await away.call("sendMessage", "back, without joinRoom"))["ok"] is True
        await other.wait_for("message", lambda a: a[0]["chat"] == "back, without joinRoom")
