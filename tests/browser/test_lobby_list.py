"""The lobby's room list follows the rooms as they fill and empty, with no reload."""

from __future__ import annotations

from playwright.async_api import expect

from game_backend.testing import guest_token, rest

from .pages import PagePlayer


async def test_room_list_follows_player_counts(server: str, open_page) -> None:
    page: PagePlayer = await open_page(server, width=375, height=740)
    await page.sign_in_as_guest("olga")
    await page.on_screen("lobby")
    await expect(page.locator("#room-list-empty")).to_be_visible()

    host, guest = await guest_token(server, "pia"), await guest_token(server, "quin")
    status, room = await rest(server, "POST", "/api/rooms/create", host, {"type": "codeGame"})
    assert status == 201
    listed = page.locator(f'#room-list li[data-code="{room["code"]}"]')
    await expect(listed).to_contain_text("pia")
    await expect(listed).to_contain_text("1/4")
    await expect(page.locator("#room-list-empty")).to_be_hidden()

    status, _ = await rest(server, "PATCH", f"/api/rooms/join/{room['code']}", guest)
    assert status == 200
    await expect(listed).to_contain_text("2/4")

    for token in (guest, host):
        status, _ = await rest(server, "PATCH", "/api/rooms/leave", token, {"code": room["code"]})
        assert status == 200
    await expect(listed).to_have_count(0)
    await expect(page.locator("#room-list-empty")).to_be_visible()
    page.assert_no_console_errors()
