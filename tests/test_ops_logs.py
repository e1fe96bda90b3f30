"""Logs people can use: `--version`, one line per command and per delivery outcome, and
`[bot] log_format = "json"`, with no message text at any level."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from helpers import Chat, MovableClock
from scheduler_support import Outbox

import coalition_bot
from coalition_bot.bot import Bot
from coalition_bot.cli import main
from coalition_bot.logs import configure

SECRET_TEXT = "Zebra-Quokka plan for the rent strike"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The root logger writing JSON lines into a buffer, at DEBUG, as `run` sets it up."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buffer = io.StringIO()
    root.handlers = [logging.StreamHandler(buffer)]
    configure("json", "DEBUG")
    try:
        yield buffer
    finally:
        root.handlers, root.level = saved[0], saved[1]


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["--version"])
    assert ended.value.code == 0
    out = capsys.readouterr().out
    assert out.strip() == f"coalition-bot {coalition_bot.__version__}"
    assert coalition_bot.__version__[0].isdigit()


async def test_one_json_line_per_command_with_name_outcome_and_no_text(
        coalition: Chat, json_log: io.StringIO) -> None:
    await coalition.ok("Alice", f'poll create "{SECRET_TEXT}?"')
    await coalition.say("Alice", "poll vote 99 agree")
    await coalition.say("Alice", f"poll frobnicate {SECRET_TEXT}")
    records = lines(json_log)  # every line parses
    commands = [r for r in records if r.get("event") == "command"]
    assert [(r["command"], r["outcome"], r["platform"]) for r in commands] == [
        ("poll create", "ok", "console"), ("poll vote", "refused", "console"),
        ("poll", "refused", "console")]
    assert all(isinstance(r["duration_ms"], float) and r["coalition"] == 1
               for r in commands[:2])
    assert SECRET_TEXT not in json_log.getvalue()
    assert "Zebra" not in json_log.getvalue()


async def test_one_line_per_delivery_outcome(
        coalition: Chat, outbox: Outbox, json_log: io.StringIO, bot: Bot,
        clock: MovableClock) -> None:
    await coalition.ok("Alice", f'poll create "{SECRET_TEXT}?"')
    outbox.fail_next = 1  # the poll's notice fails once: a retry line
    await coalition.ok("Alice", "poll close 1 confirm:yes")
    records = lines(json_log)
    deliveries = [r for r in records if r.get("event") == "delivery"]
    assert [(r["outcome"], r["platform"], r["coalition"]) for r in deliveries] == [
        ("retry", "console", 1)]
    assert deliveries[0]["level"] == "WARNING"
    assert "is not answering" in deliveries[0]["reason"]
    clock.advance(minutes=5)
    await bot.outbox.send_due()
    deliveries = [r for r in lines(json_log) if r.get("event") == "delivery"]
    assert [(r["outcome"], r["attempt"]) for r in deliveries] == [("retry", 1), ("sent", 2)]
    assert outbox.sent
    assert SECRET_TEXT in outbox.sent[0].notice.title + \
        outbox.sent[0].notice.text  # it went out, with the text, just not into the log
    assert SECRET_TEXT not in json_log.getvalue()


def test_scrub_hides_slack_tokens_and_oauth_secrets_but_not_error_codes() -> None:
    from coalition_bot.logs import scrub

    logged = ("body: {'ok': True, 'access_token': 'xoxb-1-abc', 'refresh_token': 'xoxe-1-x', "
              "'team': {'id': 'T1'}} data: {'code': '123.456.ab', 'client_secret': 's3'} "
              "request: {'code': ['99.88'], 'state': ['s']} and xapp-1-A-2-b")
    clean = scrub(logged)
    for secret in ("xoxb-1-abc", "xoxe-1-x", "123.456.ab", "s3", "99.88", "xapp-1-A-2-b"):
        assert secret not in clean
    assert "'access_token': '[secret]'," in clean
    assert "'team': {'id': 'T1'}" in clean
    assert scrub("403 Forbidden (error code: 50013): Missing Permissions") \
        == "403 Forbidden (error code: 50013): Missing Permissions"
