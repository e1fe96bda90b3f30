"""Fixtures for the Slack front door: the fake Slack, and the real adapter serving HTTP on
127.0.0.1 (port 0) with its Web API pointed at the fake; `door`, the same installed
through OAuth (tests/slack/oauth_harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from oauth_harness import Door, oauth_door
from slack_harness import BOT_TOKEN, SECRET, FakeSlack, Workspace, serving, set_up_coalition


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
    async with serving(bot, fake) as workspace:
        yield workspace


@pytest.fixture
async def coalition(workspace: Workspace) -> Workspace:
    """A coalition set up on Slack by Alice in the home channel; Bob represents Tenants
    United, Climate Now has no representative yet."""
    return await set_up_coalition(workspace)


@pytest.fixture
async def door(bot, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Door]:
    """The bot on Slack with `install = "oauth"` (no bot token of its own), the fake
    Slack refusing any token it did not issue to that workspace."""
    async with oauth_door(bot, fake, monkeypatch) as served:
        yield served
