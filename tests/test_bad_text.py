"""Text that is not text: bytes that are not UTF-8 on the console, lone surrogates in a
platform's JSON. Both are bad input: a private error saying so, nothing changed, no
traceback, and the bot goes on."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import Chat, query
from test_console_process import SCRIPT, TIMEOUT, clean_env

from coalition_bot.dispatch import APOLOGY
from coalition_bot.replies import Invocation


def refused_as_bad_text(reply_text: str) -> None:
    assert APOLOGY not in reply_text
    assert "not valid text" in reply_text, reply_text
    assert "nothing was changed" in reply_text, reply_text


@pytest.mark.parametrize("line", [
    "coalition goal add caf\udce9 au lait",  # how Python hands on a byte that is not UTF-8
    "coalition goal add half \ud83d of an emoji",  # a lone surrogate from JSON ("\\ud83d")
    'coalition org add "\udcff"',
])
async def test_a_line_with_broken_text_is_refused_as_bad_input(
        coalition: Chat, db_path: Path, line: str, caplog: pytest.LogCaptureFixture) -> None:
    before = query(db_path, "SELECT count(*) FROM goal"), query(db_path, "SELECT count(*) FROM org")
    reply = await coalition.say("Alice", line)
    assert reply.error
    assert reply.private
    refused_as_bad_text(reply.text)
    after = query(db_path, "SELECT count(*) FROM goal"), query(db_path, "SELECT count(*) FROM org")
    assert after == before
    assert "Traceback" not in caplog.text
    assert "command failed" not in caplog.text
    await coalition.ok("Alice", "coalition goal add café au lait")


async def test_typed_options_and_names_with_broken_text_are_refused(coalition: Chat) -> None:
    base = dict(platform="console", workspace_id="local", channel_id="console",
                command="coalition", path=("goal", "add"))
    bad_arg = Invocation(user_id="alice", user_name="Alice", args={"text": "x\ud800y"},
                         **base)
    refused_as_bad_text((await coalition.bot.handle(bad_arg)).text)
    bad_name = Invocation(user_id="alice", user_name="Al\udce9", args={"text": "fine"},
                          **base)
    reply = await coalition.bot.handle(bad_name)
    assert reply.error
    assert "not valid text" in reply.text
    assert APOLOGY not in reply.text


def test_the_console_refuses_bytes_that_are_not_utf8_and_goes_on(tmp_path: Path) -> None:
    script = (b"coalition setup Eastside\n"
              b"coalition goal add caf\xe9 \xff\xfe\n"
              b"/as B\xe9a\n"
              b"coalition info\n"
              b"/as Alice\n"
              b"coalition goal add fine\n")
    result = subprocess.run([str(SCRIPT), "console", "--as", "Alice", "--db",
                             str(tmp_path / "c.db")], input=script, capture_output=True,
                            cwd=tmp_path, env=clean_env(), timeout=TIMEOUT)
    out, err = result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8",
                                                                             "replace")
    assert result.returncode == 0, err
    assert "Traceback" not in err, err
    assert "command failed" not in err, err
    assert APOLOGY not in out
    assert out.count("not valid text") == 2, out
    assert "== Goal #1 added ==" in out
    assert query(tmp_path / "c.db", "SELECT text FROM goal") == [("fine",)]
