"""Fixtures for the Slack front door: the fake Slack, and the real adapter serving HTTP on
127.0.0.1 (port 0) with its Web API pointed at the fake."""

from __future__ import annotations

import re

import aiohttp
import pytest
from slack_harness import ALICE, BOB, BOT_TOKEN, SECRET, FakeSlack, Workspace, http_config

from coalition_bot.adapters.slack import build


@pytest.fixture
async def fake():
    slack = await FakeSlack().start()
    yield slack
    await slack.stop()


@pytest.fixture
def slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)


@pytest.fixture
async def workspace(bot, fake: FakeSlack, slack_env):
    """The bot on Slack over HTTP, and a workspace to drive it."""
    adapter = build(bot, http_config(fake))
    where = await adapter.start()
    url = re.search(r"http://\S+/slack/events", where)
    assert url, where
    async with aiohttp.ClientSession() as http:
        yield Workspace(fake, url[0], http, adapter)
    await adapter.stop()


@pytest.fixture
async def coalition(workspace: Workspace) -> Workspace:
    """A coalition set up on Slack by Alice in the home channel; Bob represents Tenants
    United, Climate Now has no representative yet."""
    await workspace.ok(ALICE, "/coalition", 'setup "Eastside Tenants" America/New_York')
    await workspace.ok(ALICE, "/coalition", 'org add "Tenants United"')
    await workspace.ok(ALICE, "/coalition", 'org add "Climate Now"')
    await workspace.ok(ALICE, "/coalition", f'rep add {BOB.mention} "Tenants United"')
    return workspace
