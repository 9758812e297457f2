"""Two people in two browser contexts: sign in, meet in a room, chat, get ready, play a round, see results.

The host plays at desktop width and the guest at 375 px, so every screen is
screenshotted (tests/artifacts/) and checked to fit at both widths.
"""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import expect

from game_backend.testing import rest

from .pages import PagePlayer

BEATS = 6  # notes of the part played in the test round: a short one
SONG = 6  # Thunder Garden, hard: its lead part (both players' instruments play it) has notes close together


async def test_two_players_meet_chat_and_play_a_round(server: str, open_page) -> None:
    alice: PagePlayer = await open_page(server, width=1280, path=f"/?beats={BEATS}")
    bob: PagePlayer = await open_page(server, width=375, height=740, path=f"/?beats={BEATS}")

    for player, nickname in ((alice, "alice"), (bob, "bob")):
        await player.on_screen("signin")
        await player.shot("1-signin")
        await player.sign_in_as_guest(nickname)
        await player.on_screen("lobby")
        await expect(player.locator("#me-name")).to_have_text(nickname)

    code = await alice.create_room()
    await expect(alice.seat("alice").locator(".crown")).to_be_visible()

    # Bob's lobby lists the new room with its player count, without a reload.
    listed = bob.locator(f'#room-list li[data-code="{code}"]')
    await expect(listed).to_contain_text("1/4")
    await bob.shot("2-lobby")

    await alice.say("anyone there?")  # before bob comes in: he gets it as history
    await bob.join_by_code(code)
    await bob.on_screen("room")
    await expect(bob.locator("#room-code")).to_have_text(code)
    for player in (alice, bob):
        await expect(player.locator("#seats li.seat:not(.empty)")).to_have_count(2)
        await expect(player.seat("bob")).to_contain_text("Not ready")
    await expect(bob.seat("alice").locator(".crown")).to_be_visible()
    await expect(bob.seat("bob").locator(".crown")).to_have_count(0)

    # Chat both ways after the history, in order, with Korean and emoji intact.
    await expect(bob.locator("#chat-log li")).to_have_count(1)
    await alice.say("hello bob")
    await bob.say("hi alice, 안녕 🎵")
    for player in (alice, bob):
        lines = player.locator("#chat-log li")
        await expect(lines).to_have_count(3)
        await expect(lines.nth(0)).to_contain_text("alice")
        await expect(lines.nth(0)).to_contain_text("anyone there?")
        await expect(lines.nth(1)).to_contain_text("hello bob")
        await expect(lines.nth(2)).to_contain_text("bob")
        await expect(lines.nth(2)).to_contain_text("hi alice, 안녕 🎵")

    # Instruments and the host's song; bob cannot pick the song.
    await alice.locator("#instrument").select_option("drum")
    await bob.locator("#instrument").select_option("guitar")
    await expect(alice.seat("bob")).to_contain_text("Guitar")
    await expect(bob.seat("alice")).to_contain_text("Drum")
    await expect(bob.locator("#song")).to_be_disabled()
    await alice.locator("#song").select_option(str(SONG))
    await expect(bob.locator("#song")).to_have_value(str(SONG))

    # The start button waits for everyone to be ready; only the host has one.
    await expect(alice.locator("#start")).to_be_disabled()
    await expect(bob.locator("#start")).to_be_hidden()
    await bob.locator("#ready").click()
    await expect(alice.seat("bob")).to_contain_text("Ready")
    await expect(alice.locator("#start")).to_be_enabled()
    for player in (alice, bob):
        await player.shot("3-room")

    # The round: both load, count down to the same start time, and play.
    async def sees_the_countdown(player: PagePlayer) -> None:
        await player.on_screen("round")
        await expect(player.locator("#round-song")).to_have_text("Thunder Garden")
        await expect(player.locator("#countdown")).to_have_text(re.compile(r"^[1-9]$"))
        await player.shot("4-countdown")

    await alice.locator("#start").click()
    await asyncio.gather(sees_the_countdown(alice), sees_the_countdown(bob))

    async def screenshot_mid_round(player: PagePlayer) -> None:
        await expect(player.locator("#my-score")).not_to_have_text("0")
        await player.shot("4-play")

    alice_presses, bob_presses, *_ = await asyncio.gather(
        alice.play(" ", max_presses=BEATS * 2),
        bob.play("j", max_presses=BEATS * 2),
        screenshot_mid_round(alice),
        screenshot_mid_round(bob),
    )
    assert alice_presses > 0 and bob_presses > 0

    # Each sees the other's last live score: the score and combo the other's own page shows.
    for me, other, name in ((alice, bob, "bob"), (bob, alice, "alice")):
        await expect(other.locator("#results")).to_be_visible()
        score, combo = await other.number("#my-score"), await other.number("#my-combo")
        await expect(me.locator(f'#live-scores li[data-nickname="{name}"] .score')).to_have_text(f"{score} · x{combo}")
    alice_score, bob_score = await alice.number("#my-score"), await bob.number("#my-score")
    assert alice_score > 0 and bob_score > 0, "pressing on the beat scores"

    for player in (alice, bob):
        await expect(player.locator("#results-table tbody tr")).to_have_count(2)
        await expect(player.locator('#results-table tr[data-nickname="alice"] .score')).to_have_text(str(alice_score))
        await expect(player.locator('#results-table tr[data-nickname="bob"] .score')).to_have_text(str(bob_score))
        await player.shot("5-results")
    # The pages settled on the server's judgement: the ranking it saved has the scores they show, judged.
    status, best = await rest(server, "GET", f"/api/rankings/{SONG}")
    assert status == 200 and best[0]["judged"] is True, best
    assert {p["nickname"]: p["score"] for p in best[0]["players"]} == {"alice": alice_score, "bob": bob_score}

    # Back in the room, a new round needs everyone ready again (the host stays ready).
    for player in (alice, bob):
        await player.locator("#back-to-room").click()
        await player.on_screen("room")
        await expect(player.seat("bob")).to_contain_text("Not ready")
        await expect(player.locator("#chat-log li")).to_have_count(3)
    await expect(alice.locator("#start")).to_be_disabled()

    # The song's rankings list the round just played.
    for player in (alice, bob):
        await player.locator("#leave-room").click()
        await player.on_screen("lobby")
        await player.locator("#open-rankings").click()
        await player.on_screen("rankings")
        await player.locator("#rankings-song").select_option(str(SONG))
        first = player.locator("#rankings-table tbody tr").first
        await expect(first).to_contain_text(str(alice_score + bob_score))
        await player.shot("6-rankings")
        await player.locator("#rankings-back").click()
        await player.on_screen("lobby")
    await alice.shot("2-lobby")

    alice.assert_no_console_errors()
    bob.assert_no_console_errors()
