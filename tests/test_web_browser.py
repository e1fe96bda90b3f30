"""The coalition's page in a real browser: Debian's chromium, headless, driven by
Playwright for Python with the system browser as its executable (never `playwright
install`). The reader is in Berlin; the coalition meets in New York.

The screenshot is kept for the record (not compared) in tmp/screenshots/ of the
checkout, which git ignores. Skips, saying why, only where chromium cannot be had.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import Chat, field
from icalendar import Calendar
from web_support import served

from coalition_bot.bot import Bot

playwright_api = pytest.importorskip("playwright.async_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine "
                                "(Debian: apt-get install -y chromium)")
SHOTS = Path(__file__).resolve().parent.parent / "tmp" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


async def test_the_page_in_a_browser_in_the_readers_zone(coalition: Chat, bot: Bot) -> None:
    c = coalition
    await c.ok("Alice", "coalition goal add Stop the Elm Street evictions")
    await c.ok("Alice", 'coalition goal update 1 in-progress note:"Hearing set for May"')
    await c.ok("Alice", "poll create Join the May Day march?")
    await c.ok("Bob", "poll vote 1 agree")
    await c.ok("Alice", "poll close 1 confirm:yes")
    await c.ok("Alice", 'meeting schedule "Strategy call" "2026-12-01 18:00" every:weekly')
    async with served(bot), playwright_api.async_playwright() as p:
        address = field(await c.ok("Alice", "coalition page on"), "Address")
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = await browser.new_context(timezone_id="Europe/Berlin", locale="en-GB",
                                                viewport={"width": 390, "height": 844})
            tab = await context.new_page()
            answer = await tab.goto(address)
            assert answer is not None
            assert answer.status == 200
            assert await tab.locator("h1").inner_text() == "Eastside Tenants"
            assert await tab.get_by_role("heading", name="Goals").count() == 1
            assert await tab.get_by_role("main").count() == 1
            main = await tab.locator("main").inner_text()
            assert "Stop the Elm Street evictions" in main
            assert "Hearing set for May" in main
            assert "Join the May Day march?" in main
            assert "passed" in main
            # 18:00 in New York is midnight in Berlin, the next day, in the reader's zone
            first = await tab.locator("#meeting-1 time").first.inner_text()
            assert first == "Wed, 2 Dec 2026, 00:00", first
            assert await tab.locator("#zone").inner_text() == "Europe/Berlin"
            SHOTS.mkdir(parents=True, exist_ok=True)
            await tab.screenshot(path=str(SHOTS / "coalition-page.png"), full_page=True)
            feed = await tab.get_by_role("link", name="the .ics feed").get_attribute("href")
            assert feed is not None
            got = await context.request.get(feed)
            assert got.status == 200
            events = Calendar.from_ical(await got.body()).walk("VEVENT")
            assert [str(e["SUMMARY"]) for e in events] == ["Strategy call"]
            await c.ok("Alice", "coalition page off")
            gone = await tab.goto(address)
            assert gone is not None
            assert gone.status == 404
            assert "Eastside" not in await tab.content()
        finally:
            await browser.close()
    assert (SHOTS / "coalition-page.png").stat().st_size > 10_000
