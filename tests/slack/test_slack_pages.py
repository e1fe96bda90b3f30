"""With Slack over HTTP, the coalition pages are served by the same aiohttp server as
Slack's events (through `Bot.http_routes`, like /healthz), not by a second one."""

from __future__ import annotations

from slack_harness import ALICE, FakeSlack, serving, set_up_coalition

from coalition_bot.config import WebConfig
from coalition_bot.web import WebServer


async def test_pages_share_slacks_http_server(bot, fake: FakeSlack, slack_env) -> None:
    pages = WebServer(bot, WebConfig(enabled=True, base_url="https://bot.example.org"))
    bot.http_routes.extend(pages.routes)
    async with serving(bot, fake) as workspace:
        await set_up_coalition(workspace)
        await workspace.ok(ALICE, "/coalition", "page on")
        base = workspace.url.rsplit("/slack/events", 1)[0]
        async with workspace.http.get(f"{base}/c/eastside-tenants") as answer:
            assert answer.status == 200
            assert "<h1>Eastside Tenants</h1>" in await answer.text()
        async with workspace.http.get(f"{base}/c/eastside-tenants/calendar.ics") as answer:
            assert answer.status == 200
            assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert pages._site is None  # no server of its own
