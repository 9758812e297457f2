"""Three server processes behind nginx running deploy/nginx.conf, played by the real socket.io-client.

Each player's handshake goes to a process round robin; its session id names that
process, and nginx sends every later request of the session (long-polling, the
WebSocket upgrade) to it. The players of one room therefore sit on three
processes, which share the room through Redis.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from .js_players import JsPlayer, JsPlayers
from .nginx import Nginx, nginx_binary
from .players import rest
from .redis_servers import REDIS_URL, require_redis
from .servers import ServerProcess
from .test_scale_out import cluster_env, prefix, processes  # noqa: F401 (prefix is a fixture)

NODES = ["web1", "web2", "web3"]
DEFAULT: dict[str, Any] = {"client": "v4"}  # long-polling first, then the upgrade to WebSocket
WEBSOCKET: dict[str, Any] = {"client": "v4", "transports": ["websocket"]}
POLLING: dict[str, Any] = {"client": "v3", "transports": ["polling"]}


class Balanced:
    def __init__(self, servers: list[ServerProcess], nginx: Nginx) -> None:
        self.servers = servers
        self.nginx = nginx
        self.js = JsPlayers(nginx.url)


@pytest.fixture
async def balanced(mongodb_uri: str, database_name: str, prefix: str, tmp_path: Path) -> AsyncIterator[Balanced]:  # noqa: F811
    require_redis()
    nginx_binary()
    env = {**cluster_env(mongodb_uri, database_name, REDIS_URL, prefix), "TRUSTED_PROXIES": "127.0.0.1"}
    async with processes(env, NODES, logs=tmp_path) as servers:
        nginx = Nginx(tmp_path, [server.port for server in servers]).start()
        balanced = Balanced(servers, nginx)
        try:
            yield balanced
        finally:
            await balanced.js.close()
            nginx.stop()


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
        assert await player.call("playerLoaded", {"nickname": player.nickname, "code": code}) == {"ok": True}
    start_times = [(await player.wait_for(f"allPlayersLoaded{code}"))[0] for player in players]
    assert len(set(start_times)) == 1, f"the players were given different start times: {start_times}"

    hit = {"code": code, "nickname": "드러머", "currentScore": 1200, "combo": 7, "instrument": "drum",
           "motionType": "shake"}
    assert await drummer.call("hit", hit) == {"ok": True}
    for player in (host, guitar):
        assert await player.wait_for("liveScore드러머") == [1200, 7, "drum", "shake"]
    assert drummer.events("liveScore드러머") == []

    assert [await player.transport() for player in players] == ["websocket", "websocket", "polling"]


async def test_new_players_go_to_the_processes_that_are_up(balanced: Balanced) -> None:
    balanced.servers[1].stop()
    players = [await balanced.js.join(f"p{n}", **WEBSOCKET if n % 2 else DEFAULT) for n in range(4)]
    nodes = {node_of(await player.connected()) for player in players}
    assert nodes == {"web1", "web3"}
    status, body = await rest(balanced.nginx.url, "GET", "/readyz")
    assert (status, body) == (200, {"ok": True})
