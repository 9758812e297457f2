"""Browser fixtures: Debian's Chromium driven by Playwright, one browser context per player.

`make test` installs Chromium and a Korean font with apt-get where they are missing (and Playwright
with the dev extras). Outside CI a missing Chromium skips these tests with the
reason; under CI=true it fails them, so a green CI run always ran the page.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright

from .pages import ARTIFACTS, PagePlayer

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests may not be skipped)", pytrace=False)
    pytest.skip(reason)


def _has_korean_font() -> bool:
    """Korean (which Motion Beat's players write) renders as glyphs in the screenshots, not as boxes."""
    try:
        listed = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True, timeout=30)
    except OSError:
        return False
    return bool(listed.stdout.strip())


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).is_file():
        _missing(f"{CHROMIUM} is missing: apt-get install chromium (make test does)")
    if not _has_korean_font():
        _missing("no font has Korean glyphs: apt-get install fonts-noto-cjk (make test does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def open_page(browser: Any) -> AsyncIterator[Callable[..., Awaitable[PagePlayer]]]:
    """`await open_page(base_url, width=375)`: a new player in its own browser context (own storage)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opened: list[PagePlayer] = []

    async def open_one(base_url: str, *, width: int = 1280, height: int = 800, path: str = "/") -> PagePlayer:
        player = await PagePlayer.open(browser, base_url, width=width, height=height, path=path)
        opened.append(player)
        return player

    yield open_one
    for player in opened:
        await player.close()
