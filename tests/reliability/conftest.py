"""Fixtures for the reliability tests that drive the real Slack adapter.

The fake Slack and its signed-request driver live in tests/slack/slack_harness.py; that
folder is put on the path here so these tests use the same harness as tests/slack/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "slack"))

from slack_harness import (
    BOT_TOKEN,
    SECRET,
    FakeSlack,
    Workspace,
    serving,
    set_up_coalition,
)


@pytest.fixture
async def fake_slack():
    slack = await FakeSlack().start()
    yield slack
    await slack.stop()


@pytest.fixture
async def slack(bot, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch):
    """The bot on Slack over HTTP (the real adapter on 127.0.0.1), and a workspace."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    async with serving(bot, fake_slack) as workspace:
        yield workspace


@pytest.fixture
async def slack_coalition(slack: Workspace) -> Workspace:
    """A coalition set up on Slack by Alice; Bob represents Tenants United."""
    return await set_up_coalition(slack)
