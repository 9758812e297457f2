"""What a person sees when something fails or needs saying: readable sentences, never codes or console errors."""

from __future__ import annotations

from playwright.async_api import expect

from game_backend.testing import Player, guest_token, rest

from .pages import PagePlayer

LONG_LINE = "a line long enough to wrap on a phone, so that ten of them overflow the chat box"
# A failed REST call is also logged by Chromium itself ("Failed to load resource: ... 409"); that line,
# and only that one, is expected where a test makes a sign-in fail on purpose.
FAILED_RESOURCE = "Failed to load resource: the server responded with a status of {status}"


async def full_room(server: str) -> str:
    """A room whose four seats are taken by players signed in through REST."""
    tokens = [await guest_token(server, f"seat{n}") for n in range(4)]
    status, room = await rest(server, "POST", "/api/rooms/create", tokens[0], {"type": "codeGame"})
    assert status == 201, room
    for token in tokens[1:]:
        status, body = await rest(server, "PATCH", f"/api/rooms/join/{room['code']}", token)
        assert status == 200, body
    return room["code"]


async def test_failed_joins_are_explained(server: str, open_page) -> None:
    page: PagePlayer = await open_page(server, width=375, height=740)
    await page.sign_in_as_guest("carol")
    await page.on_screen("lobby")

    await page.join_by_code("ZZZ999")
    await page.sees_notice("There is no room with that code. Check it and try again.")
    await page.on_screen("lobby")
    await page.shot("error-no-such-room")

    await page.join_by_code("AB1")
    await page.sees_notice("A room code is 6 letters or digits.")

    code = await full_room(server)
    await page.join_by_code(code)
    await page.sees_notice("That room is full: four players are already in it.")
    await page.on_screen("lobby")

    page.assert_no_console_errors()


async def test_every_error_code_reads_as_a_sentence(server: str, open_page) -> None:
    page: PagePlayer = await open_page(server)
    readable = await page.page.evaluate(
        """async () => {
            const { readable } = await import("/static/js/messages.js");
            return {
                notHost: readable({ code: "NOT_HOST", message: "only the host changes the song" }),
                notAllReady: readable({ code: "NOT_ALL_READY", message: "x" }),
                playing: readable({ code: "GAME_IN_PROGRESS", message: "x" }),
                serverWords: readable({ code: "INVALID_PAYLOAD", message: "invalid body: pw: a password is at least 8 characters" }),
                noField: readable({ code: "INVALID_PAYLOAD", message: "invalid sendMessage payload: a message cannot be empty" }),
                unknown: readable({ code: "SOMETHING_NEW", message: "the moon is down" }),
                ownWords: readable({ code: "NOT_AUTHENTICATED", message: "wrong email or password" }, ["NOT_AUTHENTICATED"]),
            };
        }"""
    )
    assert readable == {
        "notHost": "Only the host can do that.",
        "notAllReady": "Everyone must be ready before the game can start.",
        "playing": "That room is playing a round right now. Try again when it is over.",
        "serverWords": "A password is at least 8 characters.",
        "noField": "A message cannot be empty.",
        "unknown": "The moon is down.",
        "ownWords": "Wrong email or password.",
    }
    page.assert_no_console_errors()


async def test_a_taken_nickname_is_explained(server: str, open_page) -> None:
    await guest_token(server, "dave")
    page: PagePlayer = await open_page(server)
    await page.sign_in_as_guest("dave")
    await page.sees_notice("That nickname is taken. Pick another one.")
    await page.on_screen("signin")
    page.assert_no_console_errors(FAILED_RESOURCE.format(status=409))


async def test_sign_up_sign_out_and_sign_in_with_a_password(server: str, open_page) -> None:
    page: PagePlayer = await open_page(server, width=375, height=740)
    await page.on_screen("signin")
    await page.locator("#account-switch").click()
    await expect(page.locator("#account-title")).to_have_text("Create an account")
    await page.locator("#account-email").fill("erin@example.com")
    await page.locator("#account-password").fill("short")
    await page.locator("#account-nickname").fill("erin")
    await page.locator("#account-submit").click()
    await page.sees_notice("A password is at least 8 characters.")
    await page.locator("#account-password").fill("correct horse battery")
    await page.shot("1-signup")
    await page.locator("#account-submit").click()
    await page.on_screen("lobby")
    await expect(page.locator("#me-name")).to_have_text("erin")

    await page.locator("#sign-out").click()
    await page.on_screen("signin")
    await expect(page.locator("#whoami")).to_be_hidden()

    await page.locator("#account-switch").click()  # back to "Sign in"
    await expect(page.locator("#account-title")).to_have_text("Sign in")
    await page.locator("#account-email").fill("erin@example.com")
    await page.locator("#account-password").fill("not the password")
    await page.locator("#account-submit").click()
    await page.sees_notice("Wrong email or password.")
    await page.on_screen("signin")

    await page.locator("#account-password").fill("correct horse battery")
    await page.locator("#account-submit").click()
    await page.on_screen("lobby")
    await expect(page.locator("#me-name")).to_have_text("erin")
    page.assert_no_console_errors(FAILED_RESOURCE.format(status=400), FAILED_RESOURCE.format(status=401))


async def test_quick_match_seats_two_players_together(server: str, open_page) -> None:
    first: PagePlayer = await open_page(server)
    second: PagePlayer = await open_page(server, width=375, height=740)
    for page, nickname in ((first, "fay"), (second, "gus")):
        await page.sign_in_as_guest(nickname)
        await page.on_screen("lobby")
        await page.locator("#quick-match").click()
        await page.on_screen("room")
    code = await first.locator("#room-code").inner_text()
    await expect(second.locator("#room-code")).to_have_text(code)
    await expect(first.seat("gus")).to_be_visible()
    first.assert_no_console_errors()
    second.assert_no_console_errors()


async def test_copy_button_and_chat_that_scrolls_to_the_newest(server: str, open_page) -> None:
    page: PagePlayer = await open_page(server, width=375, height=740)
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.sign_in_as_guest("hana")
    await page.on_screen("lobby")
    code = await page.create_room()

    await page.locator("#copy-code").click()
    await page.sees_notice(f"Room code {code} copied.")
    assert await page.page.evaluate("navigator.clipboard.readText()") == code

    ivan = Player("ivan", await guest_token(server, "ivan"))
    await ivan.connect(server, "websocket")
    try:
        assert (await ivan.call("joinRoom", {"nickname": "ivan", "code": code}))["ok"]
        for n in range(10):
            assert (await ivan.call("sendMessage", f"message number {n}: {LONG_LINE}"))["ok"]
    finally:
        await ivan.client.disconnect()
    await page.locator("#chat-form").scroll_into_view_if_needed()
    lines = page.locator("#chat-log li")
    await expect(lines.last).to_contain_text("message number 9")
    await expect(lines.last).to_be_in_viewport()
    await expect(lines.first).not_to_be_in_viewport()  # the log scrolled: it is longer than its box
    page.assert_no_console_errors()
