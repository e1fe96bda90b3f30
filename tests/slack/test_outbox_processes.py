"""The outbox across real processes: `coalition-bot run` on Slack (the fake) beside a
second `run` or a `coalition-bot console` on the same file, and stopped with SIGTERM
while Slack holds a post open. Each notice reaches Slack exactly once."""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from slack_harness import ALICE, BOB, HOME, FakeSlack, Workspace, run_config, run_env, text_of

EXE = Path(sys.executable).parent / "coalition-bot"
RESULT = "Poll #1 closed"


@dataclass
class Proc:
    """A running `coalition-bot` process; its stderr is collected as it comes."""

    proc: asyncio.subprocess.Process
    url: str = ""
    errors: str = ""

    async def collect(self) -> None:
        assert self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            self.errors += line.decode("utf-8", "replace")

    async def stop(self) -> int:
        """SIGTERM, then the exit code (within 30 s)."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), 30)


async def ready_url(proc: asyncio.subprocess.Process) -> str:
    """Read stdout until the Slack front door says where it listens."""
    assert proc.stdout is not None

    async def scan() -> str:
        while line := (await proc.stdout.readline()).decode():
            found = re.search(r"http://127\.0\.0\.1:\d+/slack/events", line)
            if found:
                return found[0]
        raise AssertionError("the process ended before it was ready")

    return await asyncio.wait_for(scan(), 30)


@asynccontextmanager
async def running(*argv: str, cwd: Path, env: dict[str, str],
                  stdin: bool = False) -> AsyncIterator[Proc]:
    proc = await asyncio.create_subprocess_exec(
        str(EXE), *argv, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.PIPE if stdin else None)
    handle = Proc(proc)
    collector = asyncio.create_task(handle.collect())
    try:
        if argv[0] == "run":
            handle.url = await ready_url(proc)
        yield handle
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await asyncio.wait_for(collector, 10)


def delivered(fake: FakeSlack, title: str) -> int:
    return sum(1 for c in fake.delivered if c.method == "chat.postMessage"
               and c.body.get("channel") == HOME and title in text_of(c.body))


def posted(fake: FakeSlack, title: str) -> int:
    return sum(1 for c in fake.calls if c.method == "chat.postMessage"
               and c.body.get("channel") == HOME and title in text_of(c.body))


def statuses(db: Path, kind: str) -> list[str]:
    with closing(sqlite3.connect(db, timeout=10)) as conn:
        return [r[0] for r in conn.execute("SELECT status FROM delivery WHERE kind = ?",
                                           (kind,))]


async def set_up_poll(slack: Workspace) -> None:
    await slack.ok(ALICE, "/coalition", 'setup "Eastside" America/New_York')
    await slack.ok(ALICE, "/coalition", 'org add "Tenants United"')
    await slack.ok(ALICE, "/coalition", f'rep add {BOB.mention} "Tenants United"')
    await slack.ok(ALICE, "/poll", "create Join the march?")
    await slack.ok(BOB, "/poll", "vote 1 agree")


async def close_while_slack_holds_the_post(slack: Workspace, fake: FakeSlack) -> None:
    """Set a poll up, then close it while Slack holds the result's post open for 2 s;
    returns once the post is on its way."""
    await set_up_poll(slack)
    fake.holds[("chat.postMessage", HOME)] = [2.0]
    await slack.ok(ALICE, "/poll", "close 1")
    await fake.wait_for(lambda: posted(fake, RESULT))


def assert_clean(errors: str) -> None:
    assert "Traceback" not in errors, errors
    assert " ERROR " not in errors, errors


async def test_sigterm_while_slack_holds_a_post_open_sends_it_once_and_exits_0(
        tmp_path: Path, fake: FakeSlack) -> None:
    config = run_config(tmp_path, fake)
    env = run_env()
    async with running("run", "--config", str(config), cwd=tmp_path, env=env) as bot, \
            aiohttp.ClientSession() as http:
        await close_while_slack_holds_the_post(Workspace(fake, bot.url, http, adapter=None),
                                               fake)
        assert await bot.stop() == 0
        assert delivered(fake, RESULT) == 1  # the stop waited for Slack's answer
    assert_clean(bot.errors)
    assert "stopping: finishing the sends in progress" in bot.errors
    assert statuses(tmp_path / "bot.db", "notice").count("sent") >= 1
    assert "sending" not in statuses(tmp_path / "bot.db", "notice")
    # the next start finds it sent, and does not send it again
    async with running("run", "--config", str(config), cwd=tmp_path, env=env) as again:
        await asyncio.sleep(1.5)
        assert await again.stop() == 0
    assert posted(fake, RESULT) == 1
    assert_clean(again.errors)


async def test_a_second_process_starting_while_the_first_one_sends_does_not_send_again(
        tmp_path: Path, fake: FakeSlack) -> None:
    config = run_config(tmp_path, fake)
    env = run_env()
    async with running("run", "--config", str(config), cwd=tmp_path, env=env) as first, \
            aiohttp.ClientSession() as http:
        await close_while_slack_holds_the_post(
            Workspace(fake, first.url, http, adapter=None), fake)
        async with running("run", "--config", str(config), cwd=tmp_path, env=env) as second:
            await fake.wait_for(lambda: delivered(fake, RESULT), within=10)
            await asyncio.sleep(1.5)  # the second process ticked meanwhile (it starts so)
            assert posted(fake, RESULT) == 1
            assert await second.stop() == 0
        assert await first.stop() == 0
    assert_clean(first.errors + second.errors)
    assert statuses(tmp_path / "bot.db", "notice") == ["sent"]


async def test_run_and_console_on_one_file_the_platform_gets_the_result_and_reminder_once(
        tmp_path: Path, fake: FakeSlack) -> None:
    """Both processes run while a poll's deadline and a meeting reminder pass; the Slack
    process is paused (SIGSTOP) across both due times, so the console's scheduler is the
    one that finds them: it must write rows for Slack, and never move past them."""
    speed = 30  # a fake minute every 2 real seconds
    epoch = time.time()
    env = run_env(COALITION_BOT_CLOCK=f"2026-11-23T15:00:00+00:00,{epoch},{speed}")

    def real(fake_minutes: float) -> float:
        return epoch + fake_minutes * 60 / speed

    config = run_config(tmp_path, fake)
    async with running("run", "--config", str(config), cwd=tmp_path, env=env) as bot, \
            running("console", "--db", str(tmp_path / "bot.db"), "--as", "Olive",
                    cwd=tmp_path, env=env, stdin=True) as console, \
            aiohttp.ClientSession() as http:
        slack = Workspace(fake, bot.url, http, adapter=None)
        await slack.ok(ALICE, "/coalition", 'setup "Eastside" America/New_York')
        await slack.ok(ALICE, "/poll", 'create "Join the march?" closes:"2026-11-23 10:06"')
        await slack.ok(ALICE, "/meeting", 'schedule "Strategy call" "2026-11-23 10:10" '
                                          'remind:2m')
        assert time.time() < real(5), "setting up took too long for the fake schedule"
        await asyncio.sleep(real(5) - time.time())
        bot.proc.send_signal(signal.SIGSTOP)  # 10:05 to 10:08:40: the console alone
        try:
            await asyncio.sleep(real(8.67) - time.time())
            with closing(sqlite3.connect(tmp_path / "bot.db", timeout=10)) as db:
                closed = db.execute("SELECT status FROM poll").fetchall()
            assert closed == [("closed",)], "the console's scheduler should have closed it"
        finally:
            bot.proc.send_signal(signal.SIGCONT)
        await fake.wait_for(lambda: delivered(fake, RESULT)
                            and delivered(fake, "Reminder: Strategy call"), within=10)
        await asyncio.sleep(2)
        assert delivered(fake, RESULT) == 1
        assert delivered(fake, "Reminder: Strategy call") == 1
        assert posted(fake, "(late) Reminder") == 0  # the result is late: Slack was paused
        assert await bot.stop() == 0
        assert console.proc.stdin is not None
        console.proc.stdin.close()
        assert await asyncio.wait_for(console.proc.wait(), 20) == 0
    assert_clean(bot.errors + console.errors)
