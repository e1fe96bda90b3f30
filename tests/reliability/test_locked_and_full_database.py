"""A database locked by another process, or with no room to grow: the command fails with a
private answer, nothing is half-written, and the bot serves again once the lock is gone or
there is space.

The lock is held by a separate process (`sqlite3` in another Python) with BEGIN
EXCLUSIVE. The bot waits for a lock up to its busy timeout (5 s), retrying BEGIN with
`asyncio.sleep` so the event loop keeps serving meanwhile; to keep the test fast that
timeout is lowered (`Database.busy_timeout_ms`). A full disk is a real one: a 4 MB tmpfs
mounted for the test and filled with a file (skipped where mounting is not allowed); and,
everywhere, SQLite's own `max_page_count` on the bot's connection, which makes the file
unable to grow and gives the same SQLITE_FULL.

The bot answers privately with the cause ("busy", or the disk is "full"), that nothing
was changed, and when to try again; it keeps serving once the lock or the space is back.
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
from helpers import Chat, MovableClock, RecordingOutlet, text_of
from reliability_support import WAIT, DbWatch

from coalition_bot.bot import Bot
from coalition_bot.dispatch import APOLOGY
from coalition_bot.replies import Reply

LOCKER = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
print("released", flush=True)
"""
SHORT_BUSY_MS = 300


@contextmanager
def locked(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holds the database's write lock (BEGIN EXCLUSIVE) until the block
    ends."""
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert locker.stdout is not None
    assert locker.stdin is not None
    try:
        assert locker.stdout.readline().strip() == "locked"
        yield locker
        locker.stdin.write("\n")
        locker.stdin.flush()
        assert locker.stdout.readline().strip() == "released"
        assert locker.wait(WAIT) == 0
    finally:
        if locker.poll() is None:
            locker.kill()
            locker.wait(WAIT)


def failed_cleanly(reply: Reply) -> None:
    """A private error that says nothing was changed and invites a retry."""
    assert reply.error, text_of(reply)
    assert reply.private, text_of(reply)
    assert "nothing was changed" in reply.text, reply.text
    assert "try again" in reply.text, reply.text


# --- locked by another process ----------------------------------------------------------


async def test_a_command_against_a_locked_database_fails_privately_and_changes_nothing(
        coalition: Chat, db_path: Path) -> None:
    coalition.bot.db.busy_timeout_ms = SHORT_BUSY_MS
    watch = DbWatch(db_path)
    try:
        with locked(db_path):
            before, version = watch.snapshot(), watch.version()
            for line in ("coalition goal add Survive the lock", "poll create Locked out?",
                         'coalition org add "Late Org"', "poll vote 1 agree"):
                failed_cleanly(await coalition.say("Alice", line))
            assert watch.version() == version
            assert watch.snapshot() == before
        # the lock is gone: the bot serves again, and the write it refused happens once
        await coalition.ok("Alice", "coalition goal add Survive the lock")
        goals = text_of(await coalition.ok("Bob", "coalition goals"))
        assert goals.count("Survive the lock") == 1
    finally:
        watch.close()


async def test_a_short_lock_is_waited_out(coalition: Chat, db_path: Path) -> None:
    """Within the busy timeout (the default 5 s) a command waits for the lock and runs."""
    with locked(db_path) as locker:
        pending = asyncio.create_task(coalition.say("Alice", "coalition goal add Patience"))
        done, _ = await asyncio.wait({pending}, timeout=0.5)
        assert not done, "the command ran while another process held the lock"
        assert locker.stdin is not None
    reply = await asyncio.wait_for(pending, WAIT)
    assert not reply.error, reply.text
    assert reply.title == "Goal #1 added"


async def test_waiting_for_another_process_lock_does_not_block_the_event_loop(
        coalition: Chat, db_path: Path) -> None:
    """SQLite's own busy wait would freeze every platform connection for up to 5 s."""
    beats = 0

    async def heartbeat() -> None:
        nonlocal beats
        while True:
            await asyncio.sleep(0.01)
            beats += 1

    beating = asyncio.create_task(heartbeat())
    try:
        with locked(db_path):
            pending = asyncio.create_task(coalition.say("Alice", "coalition goal add Wait"))
            await asyncio.sleep(0.5)
            assert not pending.done()
            during = beats
        assert during >= 20, f"the loop ran {during} times in 0.5 s while the command waited"
        assert not (await asyncio.wait_for(pending, WAIT)).error
    finally:
        beating.cancel()


async def test_a_command_against_a_locked_database_says_the_database_is_busy(
        coalition: Chat, db_path: Path) -> None:
    coalition.bot.db.busy_timeout_ms = SHORT_BUSY_MS
    with locked(db_path):
        reply = await coalition.say("Alice", "coalition goal add Survive the lock")
    if not reply.error:  # not the failure this test is about
        pytest.fail(f"the command ran despite the lock: {reply.text}")
    assert APOLOGY not in reply.text
    assert re.search(r"\b(busy|locked|in use)\b", reply.text, re.I), reply.text


# --- no room to grow ---------------------------------------------------------------------


@asynccontextmanager
async def bot_on(path: Path) -> AsyncIterator[Chat]:
    bot = await Bot.open(path, clock=MovableClock())
    outlet = RecordingOutlet("console")
    bot.add_outlet(outlet)
    try:
        yield Chat(bot, outlet)
    finally:
        await bot.close()


async def set_up(chat: Chat) -> None:
    await chat.ok("Alice", 'coalition setup "Eastside Tenants" America/New_York')
    await chat.ok("Alice", 'coalition org add "Tenants United"')
    await chat.ok("Alice", 'coalition rep add Bob "Tenants United"')
    await chat.ok("Alice", "poll create Join the May Day march?")
    await chat.ok("Bob", "poll vote 1 agree")


LONG = "x" * 290
# Commands that write several rows (and tables) each: what could be half-written.
WRITES = (
    ("Alice", f"poll create {LONG} choices:\"{'|'.join('abcdefghij')}\""),
    ("Alice", f'meeting schedule "{LONG[:100]}" "2026-12-01 18:00" every:weekly '
              f'where:"{LONG}"'),
    ("Alice", f"coalition goal add {LONG}"),
    ("Alice", f'coalition org add "{LONG[:60]} {{n}}"'),
    ("Alice", f"role create R{{n}} {LONG}"),
)


async def fill_until_full(chat: Chat, watch: DbWatch, *, failures: int = 4) -> list[str]:
    """Run writing commands until `failures` of them have failed for lack of room; each
    failure must be private and leave every row as it was. Their lines."""
    failed: list[str] = []
    for n in range(400):
        user, line = WRITES[n % len(WRITES)]
        line = line.replace("{n}", str(n))
        before, version = watch.snapshot(), watch.version()
        reply = await chat.say(user, line)
        if reply.error:
            failed_cleanly(reply)
            assert watch.version() == version, f"{line[:40]!r} failed but committed"
            assert watch.snapshot() == before, f"{line[:40]!r} failed but changed rows"
            failed.append(line)
            if len(failed) == failures:
                return failed
    raise AssertionError("the database never filled up")


async def still_serves(chat: Chat, failed: list[str]) -> None:
    """Reads answer; a write that failed for lack of room succeeds now, once."""
    assert not (await chat.say("Bob", "poll status 1")).error
    reply = await chat.say("Alice", failed[0])
    assert not reply.error, reply.text
    assert (await chat.say("Alice", "coalition info")).error is False


async def test_a_database_that_cannot_grow_fails_commands_cleanly_then_recovers(
        tmp_path: Path) -> None:
    """SQLITE_FULL from `max_page_count`: the file may not take one more page."""
    db = tmp_path / "coalition.db"
    async with bot_on(db) as chat:
        await set_up(chat)
        conn = chat.bot.db.conn
        (pages,) = await (await conn.execute("PRAGMA page_count")).fetchone()
        await conn.execute(f"PRAGMA max_page_count = {pages + 3}")
        watch = DbWatch(db)
        try:
            failed = await fill_until_full(chat, watch)
            # full, it still answers what needs no room
            assert "Join the May Day march?" in text_of(await chat.ok("Bob", "poll list"))
            await conn.execute("PRAGMA max_page_count = 1073741823")  # room again
            await still_serves(chat, failed)
            assert watch.rows("PRAGMA integrity_check") == [("ok",)]
        finally:
            watch.close()


@contextmanager
def tiny_disk(where: Path, size: str = "4m") -> Iterator[Path]:
    """A real, small file system (tmpfs) mounted at `where`; skips the test where mounting
    is not allowed (not root, or no mount namespace)."""
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(where)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        gc.collect()  # stray sqlite3 connections keep the mount busy
        if subprocess.run(["umount", str(where)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Take every free byte of `disk` with one file; the file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1 << 16, 1 << 12, 1):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError as error:
                assert error.errno == 28, error  # ENOSPC
    finally:
        os.close(fd)
    return filler


async def test_a_full_disk_fails_commands_cleanly_then_recovers_when_space_is_freed(
        tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk") as disk:
        db = disk / "coalition.db"
        async with bot_on(db) as chat:
            await set_up(chat)
            watch = DbWatch(db)
            try:
                filler = fill(disk)
                failed = await fill_until_full(chat, watch, failures=len(WRITES))
                assert "Join the May Day march?" in text_of(await chat.ok("Bob", "poll list"))
                filler.unlink()  # space again
                await still_serves(chat, failed)
                assert watch.rows("PRAGMA integrity_check") == [("ok",)]
            finally:
                watch.close()
        # and the file opens again, whole, after the bot closed
        async with bot_on(db) as chat:
            assert "Join the May Day march?" in text_of(await chat.ok("Bob", "poll list"))


async def test_a_write_on_a_full_database_says_the_disk_is_full(tmp_path: Path) -> None:
    async with bot_on(tmp_path / "coalition.db") as chat:
        await set_up(chat)
        conn = chat.bot.db.conn
        (pages,) = await (await conn.execute("PRAGMA page_count")).fetchone()
        await conn.execute(f"PRAGMA max_page_count = {pages}")
        for n in range(400):  # until a write needs a page the file may not have
            user, line = WRITES[n % len(WRITES)]
            reply = await chat.say(user, line.replace("{n}", str(n)))
            if reply.error:
                break
        else:
            pytest.fail("the database never filled up")  # not the failure this is about
        assert APOLOGY not in reply.text
        assert re.search(r"\b(full|space)\b", reply.text, re.I), reply.text
