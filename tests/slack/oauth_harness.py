"""Slack installed into many workspaces through the OAuth flow: the environment, a
browser that goes through `/slack/install` and Slack's redirect back, and the real
adapter serving it all (the fake Slack answers `oauth.v2.access`). The `door` fixture
(tests/slack/conftest.py) gives the OAuth and Grid tests all of it, tokens checked."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from slack_harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    SECRET,
    Call,
    FakeSlack,
    Workspace,
    http_config,
    text_of,
)

from coalition_bot.tokens import new_key

TEAM_A, TEAM_B = "T0AAA", "T0BBB"
HOME_A, HOME_B = "C0HOMEA", "C0HOMEB"
STATE_SECRET = "test-state-secret"
TOKEN_KEY = new_key()
LINK_CODE = re.compile(r"`([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})`")  # in /coalition link
_codes = itertools.count(1)


def set_oauth_env(monkeypatch: pytest.MonkeyPatch, *, key: str = TOKEN_KEY) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("SLACK_STATE_SECRET", STATE_SECRET)
    monkeypatch.setenv("COALITION_BOT_TOKEN_KEY", key)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)


def posts(fake: FakeSlack, channel: str, title: str) -> list[Call]:
    """The messages posted to `channel` whose text holds `title`."""
    return [c for c in fake.delivered if c.method == "chat.postMessage"
            and c.body.get("channel") == channel and title in text_of(c.body)]


@dataclass
class Visit:
    """What one install attempt got: the redirect's status and page, and the state."""

    status: int
    page: str
    state: str
    cookie: str


class Door:
    """The bot's HTTP server as browsers and workspaces reach it."""

    def __init__(self, fake: FakeSlack, base: str, http: aiohttp.ClientSession,
                 adapter: Any) -> None:
        self.fake, self.base, self.http, self.adapter = fake, base, http, adapter

    async def start_install(self) -> tuple[str, str]:
        """Open the "Add to Slack" page: the state in its link, and the cookie set."""
        async with self.http.get(f"{self.base}/slack/install") as page:
            assert page.status == 200, page.status
            html = await page.text()
            cookie = page.headers["Set-Cookie"].split(";")[0]
        found = re.search(r"state=([^&\"']+)", html)
        assert found, html
        assert "slack.com/oauth/v2/authorize" in html
        return found[1], cookie

    async def come_back(self, *, code: str, state: str, cookie: str) -> tuple[int, str]:
        """Slack's redirect back to the bot, in the browser that started the install."""
        async with self.http.get(f"{self.base}/slack/oauth_redirect",
                                 params={"code": code, "state": state},
                                 headers={"Cookie": cookie} if cookie else {}) as answer:
            return answer.status, await answer.text()

    async def install(self, team: str, name: str) -> Workspace:
        """A person of `team` installs the app, state and cookie as a browser has them;
        the workspace, ready to send commands."""
        visit = await self.visit(team, name)
        assert visit.status == 200, visit.page
        return self.workspace(team)

    async def install_org(self, enterprise: str, name: str) -> None:
        """An org admin installs the app org-wide into the Enterprise Grid org."""
        visit = await self.visit("", name, enterprise=enterprise)
        assert visit.status == 200, visit.page

    async def visit(self, team: str, name: str, *, state: str | None = None,
                    cookie: str | None = None, enterprise: str = "") -> Visit:
        issued, set_cookie = await self.start_install()
        code = f"code-{next(_codes)}"
        if enterprise:
            self.fake.org_codes[code] = (enterprise, name)
        else:
            self.fake.codes[code] = (team, name)
        state = issued if state is None else state
        cookie = set_cookie if cookie is None else cookie
        status, page = await self.come_back(code=code, state=state, cookie=cookie)
        return Visit(status, page, state, cookie)

    def workspace(self, team: str, *, enterprise: str = "") -> Workspace:
        """A team's requests; with `enterprise`, a team of that org, served by its
        org-wide install."""
        return Workspace(self.fake, f"{self.base}/slack/events", self.http, self.adapter,
                         team=team, enterprise=enterprise)


@asynccontextmanager
async def serving_oauth(bot: Any, fake: FakeSlack) -> AsyncIterator[Door]:
    """The real Slack adapter with install = "oauth" on 127.0.0.1 (the environment must
    be set: `set_oauth_env`)."""
    from coalition_bot.adapters.slack import build

    adapter = build(bot, http_config(fake, install="oauth"))
    where = await adapter.start()
    url = re.search(r"(http://\S+)/slack/events", where)
    assert url, where
    try:
        async with aiohttp.ClientSession() as http:
            yield Door(fake, url[1], http, adapter)
    finally:
        await adapter.stop()


@asynccontextmanager
async def oauth_door(bot: Any, fake: FakeSlack,
                     monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Door]:
    """The OAuth set-up of the OAuth and Grid tests: the environment set, the fake Slack
    refusing any token it did not issue to that workspace, the adapter serving."""
    set_oauth_env(monkeypatch)
    fake.check_tokens = True
    async with serving_oauth(bot, fake) as door:
        yield door
