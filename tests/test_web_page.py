"""The coalition's page through the real web server (aiohttp, on a real port), the real
bot and a real SQLite file: what it shows, what it never shows, and its safety."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Chat, MovableClock, field, refused_without_change, text_of
from web_support import served, slug_of

from coalition_bot.bot import Bot
from coalition_bot.replies import Message
from coalition_bot.services.people import console_user_id
from coalition_bot.web.server import NOT_FOUND

pytestmark = pytest.mark.both_backends


async def _with_history(c: Chat) -> None:
    """Goals, an open and a closed poll, a meeting: a coalition some weeks in."""
    await c.ok("Alice", "coalition goal add Stop the Elm Street evictions")
    await c.ok("Alice", 'coalition goal update 1 in-progress note:"Hearing set for May"')
    await c.ok("Alice", "poll create Join the May Day march?")
    await c.ok("Bob", "poll vote 1 agree Reason: our members asked for it")
    await c.ok("Alice", "poll close 1 confirm:yes")
    await c.ok("Alice", 'meeting schedule "Strategy call" "2026-12-01 18:00" every:weekly '
                        'where:"Union hall, 5 Elm St"')


async def test_the_page_shows_goals_decisions_and_meetings(coalition: Chat, bot: Bot) -> None:
    await _with_history(coalition)
    async with served(bot) as site:
        reply = await coalition.ok("Alice", "coalition page on")
        address = field(reply, "Address")
        assert address == f"{site.base}/c/eastside-tenants"
        status, html, headers = await site.get(address)
    assert status == 200
    assert "<h1>Eastside Tenants</h1>" in html
    for shown in ("Tenants United", "Climate Now", "Stop the Elm Street evictions",
                  "in-progress", "Hearing set for May", "Join the May Day march?", "passed",
                  "Tenants United: agree", "Strategy call", "Union hall, 5 Elm St",
                  "Tue 1 Dec 2026, 18:00 (America/New_York)", "every week"):
        assert shown in html, shown
    assert 'datetime="2026-12-01T23:00:00Z"' in html  # for the reader's own zone
    assert "<main" in html
    assert "<nav" in html
    assert "<header>" in html
    assert "topics" not in html.lower().split("<main", 1)[1]  # not chosen
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src 'sha256-" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "X-Robots-Tag" not in headers  # a public page may be found


async def test_a_page_turned_off_answers_404_at_once(coalition: Chat, bot: Bot) -> None:
    async with served(bot) as site:
        address = field(await coalition.ok("Alice", "coalition page on"), "Address")
        assert (await site.get(address))[0] == 200
        assert (await site.get(address + "/calendar.ics"))[0] == 200
        off = await coalition.ok("Alice", "coalition page off")
        assert off.title == "Coalition page off"
        for path in (address, address + "/calendar.ics"):
            status, body, _ = await site.get(path)
            assert (status, body) == (404, NOT_FOUND)
        assert (await coalition.ok("Alice", "coalition page off")).text == \
            "The coalition page is not on."
        await coalition.ok("Alice", "coalition page on")  # same address again
        assert (await site.get(address))[0] == 200


async def test_rotate_gives_a_new_address_and_the_old_one_404s(coalition: Chat,
                                                                  bot: Bot) -> None:
    async with served(bot) as site:
        old = field(await coalition.ok("Alice", "coalition page on"), "Address")
        new = field(await coalition.ok("Alice", "coalition page rotate"), "Address")
        assert new != old
        assert slug_of(new).startswith("eastside-tenants-")
        assert (await site.get(old))[:2] == (404, NOT_FOUND)
        assert (await site.get(old + "/calendar.ics"))[:2] == (404, NOT_FOUND)
        assert (await site.get(new))[0] == 200


async def test_a_link_page_is_unguessable_and_not_indexed(coalition: Chat, bot: Bot) -> None:
    async with served(bot) as site:
        public = field(await coalition.ok("Alice", "coalition page on"), "Address")
        link = field(await coalition.ok("Alice", "coalition page on link"), "Address")
        assert len(slug_of(link)) >= 24
        assert "eastside" not in link
        assert (await site.get(public))[0] == 404  # the public address is gone
        status, _, headers = await site.get(link)
        assert status == 200
        assert headers["X-Robots-Tag"] == "noindex, nofollow"


async def test_unknown_addresses_get_the_same_plain_404(coalition: Chat, bot: Bot) -> None:
    async with served(bot) as site:
        await coalition.ok("Alice", "coalition page on")
        await coalition.ok("Bob", "meeting feed")
        answers = [await site.get(path) for path in (
            "/c/no-such-coalition", "/c/no-such-coalition/calendar.ics",
            "/feed/not-a-token.ics", "/c/eastside-tenants%00", "/c/EASTSIDE-TENANTS")]
    assert {(status, body) for status, body, _ in answers} == {(404, NOT_FOUND)}
    assert all("Eastside" not in body for _, body, _ in answers)


async def test_requests_are_rate_limited_per_address(coalition: Chat, bot: Bot) -> None:
    async with served(bot, rate_limit=5, behind_proxy=True) as site:
        address = field(await coalition.ok("Alice", "coalition page on"), "Address")
        first = [(await site.get(address, **{"X-Forwarded-For": "203.0.113.7"}))[0]
                 for _ in range(5)]
        status, _, headers = await site.get(address, **{"X-Forwarded-For": "203.0.113.7"})
        other = await site.get(address, **{"X-Forwarded-For": "198.51.100.2"})
        unknown = await site.get("/c/nope", **{"X-Forwarded-For": "203.0.113.7"})
    assert first == [200] * 5
    assert status == 429
    assert int(headers["Retry-After"]) >= 1
    assert other[0] == 200  # another address is not held up
    assert unknown[0] == 429  # guessing addresses counts too


async def test_nothing_private_is_on_the_page(partners: Chat, bot: Bot,
                                               clock: MovableClock) -> None:
    c = partners
    await c.ok("Alice", "coalition goal add Win the rent freeze")
    await c.ok("Alice", 'coalition goal update 1 in-progress note:"Council vote in June"')
    await c.ok("Alice", "poll create Endorse the mayor? anonymous:yes")
    await c.ok("Bob", "poll vote 1 agree Reason: secret-ballot-reason confirm:yes")
    await c.ok("Dan", "poll vote 1 disagree confirm:yes")
    await c.ok("Alice", "poll close 1 confirm:yes")
    await c.ok("Alice", 'meeting schedule "Strategy call" "2026-11-24 18:00"')
    clock.advance(hours=34)  # the call has happened: its notes and actions
    await c.ok("Bob", "meeting note 1 action Call-the-landlord-lawyer owner:Dan")
    await c.ok("Bob", "meeting note 1 info Private-info-note")
    await c.ok("Bob", "meeting note 1 decision Internal-decision-note")
    await c.ok("Alice", 'topic add rent control reason:"partners differ"')
    nudge = await bot.on_message(Message("console", "local", "console", console_user_id("Eve"),
                                         "Eve", "what about rent control then?"))
    assert nudge is not None
    assert nudge.private
    await c.ok("Alice", 'meeting schedule "Open assembly" "2026-12-05 11:00"')
    await c.ok("Bob", "meeting rsvp 2 yes")
    feed_reply = await c.ok("Bob", "meeting feed")
    bob_feed = field(feed_reply, "Your calendar feed")
    private = await c.ok("Bob", "meeting actions mine")
    assert private.private
    async with served(bot) as site:
        address = field(await c.ok("Alice", "coalition page on"), "Address")
        await c.ok("Alice", "coalition page show goals,decisions,meetings,topics")
        _, html, _ = await site.get(address)
        _, feed, _ = await site.get(address + "/calendar.ics")
    assert "Endorse the mayor?" in html
    assert "anonymous vote" in html
    assert "agree: 1, abstain: 0, disagree: 1" in html  # counts only
    assert "rent control" in html  # chosen to be shown
    for secret in ("secret-ballot-reason", "Tenants United: agree", "Climate Now: disagree",
                   "Call-the-landlord-lawyer", "Private-info-note", "Internal-decision-note",
                   "partners differ", slug_of(bob_feed.replace("/feed/", "/c/")),
                   "Alice", "Bob", "Dan", "Eve"):
        assert secret not in html, secret
        assert secret not in feed, secret


async def test_member_names_only_when_the_coalition_allows(partners: Chat, bot: Bot) -> None:
    c = partners
    await c.ok("Alice", "coalition goal add Win the rent freeze")
    await c.ok("Alice", 'coalition goal update 1 done note:"Passed!"')
    await c.ok("Alice", "poll create Picnic on Sunday? electorate:members")
    await c.ok("Eve", "poll vote 1 agree")
    await c.ok("Alice", "poll close 1 confirm:yes")
    async with served(bot) as site:
        address = field(await c.ok("Alice", "coalition page on"), "Address")
        _, hidden, _ = await site.get(address)
        shown = await c.ok("Alice", "coalition page show goals decisions names")
        assert field(shown, "Shows") == "goals, decisions, names"
        _, named, _ = await site.get(address)
    assert "Picnic on Sunday?" in hidden
    assert "Eve" not in hidden
    assert "Alice" not in hidden
    assert "Eve: agree" in named
    assert "(Alice)" in named
    assert "Meetings" not in named  # no longer chosen


async def test_text_from_the_chat_is_escaped(coalition: Chat, bot: Bot) -> None:
    await coalition.ok("Alice", 'coalition goal add <script>alert("x")</script> & <b>more</b>')
    async with served(bot) as site:
        address = field(await coalition.ok("Alice", "coalition page on"), "Address")
        _, html, _ = await site.get(address)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;more&lt;/b&gt;" in html
    assert html.count("<script>") == 1  # ours, allowed by its hash


async def test_page_commands_are_for_coordinators_and_check_their_input(
        coalition: Chat, db_path: Path) -> None:
    message = await refused_without_change(coalition, db_path, "Bob", "coalition page on")
    assert "coordinators" in message
    await coalition.ok("Alice", "coalition page on")
    message = await refused_without_change(coalition, db_path, "Alice",
                                           "coalition page show goals,budgets")
    assert message.startswith("The page can show goals, decisions, meetings, topics, names "
                              "(or none), not budgets.")
    message = await refused_without_change(coalition, db_path, "Alice",
                                           "coalition page on secret")
    assert "public" in message
    assert "link" in message


async def test_without_a_web_server_the_reply_says_so(coalition: Chat) -> None:
    reply = await coalition.ok("Alice", "coalition page on")
    assert field(reply, "Address") == "/c/eastside-tenants"
    assert "[web]" in field(reply, "Served")
    feed = await coalition.ok("Bob", "meeting feed")
    assert field(feed, "Your calendar feed").startswith("/feed/")
    assert "[web]" in text_of(feed)
