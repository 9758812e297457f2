"""Connection loss: the page says so, reconnects by itself when the server is back, and takes up where it was."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from playwright.async_api import expect

from game_backend.app import create_app
from game_backend.config import Settings
from game_backend.storage.database import connect
from game_backend.testing import guest_token, rest

from .pages import PagePlayer


class RestartableServer:
    """The real app, stopped and started again on the same port, as after a crash or a deploy."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.replace(host="127.0.0.1")
        self.port = 0
        self.runner: web.AppRunner | None = None

    async def start(self) -> str:
        self.runner = web.AppRunner(create_app(self.settings), access_log=None, shutdown_timeout=1.0)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        self.port = self.runner.addresses[0][1]
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


@asynccontextmanager
async def restartable(mongodb_uri: str, database_name: str) -> AsyncIterator[RestartableServer]:
    server = RestartableServer(Settings(mongodb_uri=mongodb_uri, database_name=database_name))
    try:
        yield server
    finally:
        await server.stop()


async def test_page_shows_the_lost_connection_and_comes_back(mongodb_uri: str, database_name: str, open_page) -> None:
    async with restartable(mongodb_uri, database_name) as server:
        base_url = await server.start()
        page: PagePlayer = await open_page(base_url, width=375, height=740)
        await page.sign_in_as_guest("juno")
        await page.on_screen("lobby")
        code = await page.create_room()
        # A second player seated through REST (no socket) keeps the room open while juno is away.
        status, _ = await rest(base_url, "PATCH", f"/api/rooms/join/{code}", await guest_token(base_url, "kai"))
        assert status == 200
        await page.say("before the outage")

        await server.stop()
        await expect(page.locator("#connection")).to_be_visible()
        await expect(page.locator("#connection")).to_contain_text("Reconnecting")
        await page.shot("connection-lost")

        await server.start()
        await expect(page.locator("#connection")).to_be_hidden()
        await page.on_screen("room")
        await expect(page.locator("#room-code")).to_have_text(code)
        await expect(page.seat("juno")).to_be_visible()
        await expect(page.seat("kai")).to_be_visible()
        await page.say("after the outage")
        await expect(page.locator("#chat-log li")).to_have_count(2)
        await expect(page.locator("#chat-log li").first).to_contain_text("before the outage")
        page.assert_no_console_errors()


async def test_a_room_that_closed_during_the_outage_is_explained(
    mongodb_uri: str, database_name: str, open_page
) -> None:
    async with restartable(mongodb_uri, database_name) as server:
        base_url = await server.start()
        page: PagePlayer = await open_page(base_url)
        await page.sign_in_as_guest("lena")
        await page.on_screen("lobby")
        code = await page.create_room()

        await server.stop()
        await expect(page.locator("#connection")).to_be_visible()
        database = connect(mongodb_uri, database_name)
        try:
            await database.rooms.delete_many({"code": code})
        finally:
            await database.close()

        await server.start()
        await expect(page.locator("#connection")).to_be_hidden()
        await page.sees_notice(f"Room {code} closed while you were away.")
        await page.on_screen("lobby")
        page.assert_no_console_errors()


async def test_a_reload_keeps_you_signed_in_and_in_your_room(server: str, open_page) -> None:
    page: PagePlayer = await open_page(server)
    await page.sign_in_as_guest("mia")
    await page.on_screen("lobby")
    code = await page.create_room()
    status, _ = await rest(server, "PATCH", f"/api/rooms/join/{code}", await guest_token(server, "noa"))
    assert status == 200
    await page.say("still here?")

    await page.page.reload()
    await page.on_screen("room")
    await expect(page.locator("#me-name")).to_have_text("mia")
    await expect(page.locator("#room-code")).to_have_text(code)
    await expect(page.seat("noa")).to_be_visible()
    await expect(page.locator("#chat-log li")).to_contain_text(["still here?"])
    page.assert_no_console_errors()


async def test_a_round_goes_on_after_an_outage(mongodb_uri: str, database_name: str, open_page) -> None:
    async with restartable(mongodb_uri, database_name) as server:
        base_url = await server.start()
        page: PagePlayer = await open_page(base_url, path="/?beats=8")
        await page.sign_in_as_guest("ruth")
        await page.on_screen("lobby")
        await page.create_room()
        await page.locator("#song").select_option("1")
        await expect(page.locator("#start")).to_be_enabled()
        await page.locator("#start").click()
        await page.on_screen("round")
        await expect(page.locator("#countdown")).to_have_text(re.compile(r"^[1-9]$"))

        await server.stop()
        await expect(page.locator("#connection")).to_be_visible()
        await server.start()
        await expect(page.locator("#connection")).to_be_hidden()

        assert await page.play("f", max_presses=16) > 0
        await expect(page.locator('#results-table tr[data-nickname="ruth"]')).to_be_visible()
        score = await page.number("#my-score")
        await expect(page.locator('#results-table tr[data-nickname="ruth"] .score')).to_have_text(str(score))
        page.assert_no_console_errors()
