"""A player in the browser: one Playwright context and page on the lobby page, with the steps people take."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import expect

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WAIT_MS = 10_000

expect.set_options(timeout=WAIT_MS)

# In the page: wait until the lane's next note is due (or has just come), and say whether there is one.
WAIT_FOR_NOTE = """
async () => {
  const lane = document.querySelector("#lane");
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let tries = 0; tries < 400; tries++) {
    if (!document.querySelector("#results").hidden) return false;
    if (lane.dataset.nextNote) {
      const due = Number(lane.dataset.nextNote) - (performance.timeOrigin + performance.now());
      if (due >= -40) {
        await sleep(Math.max(0, due));
        return true;
      }
    }
    await sleep(20);
  }
  return false;
}
"""


class PagePlayer:
    def __init__(self, context: Any, page: Any, width: int) -> None:
        self.context = context
        self.page = page
        self.width = width
        self.console_errors: list[str] = []

    @classmethod
    async def open(cls, browser: Any, base_url: str, *, width: int, height: int, path: str) -> PagePlayer:
        context = await browser.new_context(viewport={"width": width, "height": height}, base_url=base_url)
        page = await context.new_page()
        player = cls(context, page, width)
        page.on("console", player._console)
        page.on("pageerror", lambda error: player.console_errors.append(f"uncaught: {error}"))
        await page.goto(path)
        return player

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    async def close(self) -> None:
        await self.context.close()

    # --- what a person sees -------------------------------------------------------------------

    def locator(self, selector: str) -> Any:
        return self.page.locator(selector)

    async def on_screen(self, name: str) -> None:
        await expect(self.locator(f"#screen-{name}")).to_be_visible()

    async def sees_notice(self, text: str | re.Pattern[str]) -> None:
        await expect(self.locator("#notice-text")).to_contain_text(text)

    async def shot(self, name: str) -> None:
        """A screenshot for people to review, after checking the page fits the viewport's width."""
        overflow = await self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than {self.width}px"
        await self.page.screenshot(path=ARTIFACTS / f"{name}-{self.width}.png", full_page=True)

    def assert_no_console_errors(self, *allowed: str) -> None:
        unexpected = [text for text in self.console_errors if not any(text.startswith(a) for a in allowed)]
        assert unexpected == [], unexpected

    # --- steps ------------------------------------------------------------------------------------

    async def sign_in_as_guest(self, nickname: str) -> None:
        await self.on_screen("signin")
        await self.locator("#guest-nickname").fill(nickname)
        await self.locator("#guest-form button[type=submit]").click()

    async def create_room(self) -> str:
        await self.locator("#create-room").click()
        await self.on_screen("room")
        code = self.locator("#room-code")
        await expect(code).to_have_text(re.compile(r"^[A-Z0-9]{6}$"))
        return await code.inner_text()

    async def join_by_code(self, code: str) -> None:
        await self.locator("#join-code").fill(code)
        await self.locator("#join-form button").click()

    async def say(self, text: str) -> None:
        await self.locator("#chat-text").fill(text)
        await self.locator("#chat-text").press("Enter")
        await expect(self.locator("#chat-text")).to_have_value("")

    def seat(self, nickname: str) -> Any:
        return self.locator(f'#seats li[data-nickname="{nickname}"]')

    async def play(self, key: str, max_presses: int) -> int:
        """Press `key` as each note reaches the line, until the round is over; returns the presses made."""
        presses = 0
        while presses < max_presses and await self.page.evaluate(WAIT_FOR_NOTE):
            await self.page.keyboard.press(key)
            presses += 1
        return presses

    async def number(self, selector: str) -> int:
        return int(await self.locator(selector).inner_text())
