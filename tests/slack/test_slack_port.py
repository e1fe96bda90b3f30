"""Slack over HTTP on a port another program holds: one sentence naming the address and
the cause, with the setting to change, and no traceback."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest
from slack_harness import FakeSlack, http_config

from coalition_bot.config import ConfigError


async def test_slack_on_a_taken_port_says_so(bot, fake: FakeSlack, slack_env) -> None:
    from coalition_bot.adapters.slack import build

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        adapter = build(bot, replace(http_config(fake), port=port))
        with pytest.raises(ConfigError) as refused:
            await adapter.start()
    text = refused.value.message  # the sentence; the hint follows on its own line
    assert text.startswith(f"Cannot listen on 127.0.0.1:{port}: ")
    assert "in use" in text.lower()
    assert "\n" not in text
    assert refused.value.__suppress_context__
    assert refused.value.hint == "Pick another [slack] host or port."
    assert not adapter.connected
    await adapter.stop()
