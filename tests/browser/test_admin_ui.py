"""The Socket.IO Admin UI at /admin/, served by this server, signed in to in Chromium."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import socketio
from playwright.async_api import expect

from game_backend.testing import Players, running_server, seat_room

from .pages import ARTIFACTS, PagePlayer

USERNAME, PASSWORD = "operator", "a long admin password"


@pytest.fixture
async def admin_server(mongodb_uri: str, database_name: str) -> AsyncIterator[str]:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name, admin_username=USERNAME,
                              admin_password=PASSWORD) as base_url:
        yield base_url


async def test_an_operator_signs_in_and_sees_the_players_and_their_room(
        admin_server: str, open_page: Callable[..., Awaitable[PagePlayer]]) -> None:
    group = Players(admin_server)
    try:
        seated = await seat_room(group, "ann", "bob")
        # The instrumentation sends room changes to the UI every 2 s (server_stats_interval): let those of the
        # seating go out before the UI connects, or it would count them on top of its first snapshot.
        await asyncio.sleep(2.5)
        operator = await open_page(admin_server, path="/admin/")
        page = operator.page
        await page.get_by_label("Server URL").fill(admin_server)
        await page.get_by_label("Username").fill(USERNAME)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Connect").click()
        await expect(page.get_by_text(re.compile(r"^\s*connected\s*$", re.IGNORECASE)).first).to_be_visible()

        await page.get_by_text("Sockets", exact=True).first.click()
        for player in seated.players:
            await expect(page.get_by_text(player.client.get_sid(), exact=True)).to_be_visible()
        await page.screenshot(path=ARTIFACTS / "admin-ui-sockets.png")
        await page.get_by_text("Rooms", exact=True).first.click()
        room = page.locator("tr", has_text=seated.code)
        await expect(room).to_be_visible()
        await expect(room).to_contain_text("2")
        await page.screenshot(path=ARTIFACTS / "admin-ui-rooms.png")
    finally:
        await group.close()


@pytest.mark.parametrize("auth", [None, {"username": USERNAME, "password": "wrong"}, {"username": USERNAME}])
async def test_the_admin_namespace_refuses_anyone_else(admin_server: str, auth: Any) -> None:
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(admin_server, namespaces=["/admin"], auth=auth, transports=["websocket"],
                             wait_timeout=5)
    await client.disconnect()


async def test_without_credentials_there_is_no_admin(server: str) -> None:
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server, namespaces=["/admin"], transports=["websocket"], wait_timeout=5)
    await client.disconnect()
    from .test_serving import get

    assert (await get(f"{server}/admin/"))[0] == 404
