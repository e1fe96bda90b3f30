"""The database file itself is the trouble: two starts at once on a new file, a file that
is not a database, a read-only file or folder, another program holding the write lock at
start-up, the file deleted or replaced while the bot runs.

Start-up problems are checked through the real `coalition-bot` process: one line on
standard error naming the file and the cause, exit code 2, no traceback. A file swapped
under a running bot is checked through the bot itself: the command is refused, and
nothing is written anywhere.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from helpers import Chat, text_of
from reliability_support import SCRIPT, WAIT

from coalition_bot.scheduler import Scheduler
from coalition_bot.store.database import Database
from coalition_bot.store.migrate import available_migrations


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COALITION_BOT")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def start(action: str, db: Path, cwd: Path,
          timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """`coalition-bot ACTION --db DB` with nothing on standard input."""
    return subprocess.run([str(SCRIPT), action, "--db", str(db)], input="coalition info\n",
                          capture_output=True, text=True, cwd=cwd, env=clean_env(),
                          timeout=timeout)


def refused_in_one_line(result: subprocess.CompletedProcess[str], db: Path,
                        cause: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(db) in lines[0], lines[0]
    assert cause in lines[0], lines[0]


def versions(db: Path) -> list[int]:
    with closing(sqlite3.connect(db)) as conn:
        return [v for (v,) in conn.execute("SELECT version FROM schema_migration "
                                           "ORDER BY version")]


# --- two starts at once --------------------------------------------------------------------


async def test_bots_starting_at_once_on_a_new_file_all_start(tmp_path: Path) -> None:
    """Each opens its own connection, as two processes do; all race through the
    migrations (before the fix: `table coalition already exists`)."""
    known = [m.version for m in available_migrations()]
    for attempt in range(6):
        db = tmp_path / f"new{attempt}.db"
        bots = [Database(db) for _ in range(4)]
        for b in bots:  # on a loaded machine the last may wait for all the others
            b.busy_timeout_ms = 60_000
        opened = await asyncio.gather(*(b.open() for b in bots), return_exceptions=True)
        try:
            failures = [repr(o) for o in opened if isinstance(o, BaseException)]
            assert not failures, failures
            assert versions(db) == known
        finally:
            for b in bots:
                await b.close()


async def test_migrate_beside_a_starting_bot_applies_each_version_once(
        tmp_path: Path) -> None:
    """The bots start as soon as `migrate` has created the file, while it migrates."""
    failures = []
    for attempt in range(3):
        db = tmp_path / f"coalition{attempt}.db"
        proc = await asyncio.create_subprocess_exec(
            str(SCRIPT), "migrate", "--db", str(db), env=clean_env(),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        for _ in range(3000):
            if await asyncio.to_thread(db.exists) or proc.returncode is not None:
                break
            await asyncio.sleep(0.001)
        bots = [Database(db) for _ in range(2)]
        for b in bots:  # on a loaded machine a bot may wait for all of `migrate`
            b.busy_timeout_ms = 60_000
        opened = await asyncio.gather(*(b.open() for b in bots), return_exceptions=True)
        _, err = await asyncio.wait_for(proc.communicate(), WAIT)
        for b in bots:
            await b.close()
        assert proc.returncode == 0, err.decode()
        failures += [repr(o) for o in opened if isinstance(o, BaseException)]
        assert versions(db) == [m.version for m in available_migrations()]
    assert not failures, failures


# --- files the bot cannot use ---------------------------------------------------------------


@pytest.mark.parametrize("action", ["console", "migrate"])
def test_a_file_that_is_not_a_database_is_refused_in_one_line(tmp_path: Path,
                                                              action: str) -> None:
    db = tmp_path / "notes.db"
    db.write_text("Minutes of the May meeting\n" * 200)
    result = start(action, db, tmp_path)
    refused_in_one_line(result, db, "not a coalition-bot database")
    assert db.read_text() == "Minutes of the May meeting\n" * 200


@pytest.mark.parametrize("action", ["console", "migrate"])
def test_a_database_in_a_missing_folder_is_refused_in_one_line(tmp_path: Path,
                                                               action: str) -> None:
    db = tmp_path / "data" / "coalition.db"
    refused_in_one_line(start(action, db, tmp_path), db, "does not exist")
    assert not db.parent.exists()


@contextmanager
def read_only_folder(where: Path) -> Iterator[Path]:
    """A folder that `make_read_only` makes unwritable for everyone, root included: a
    tmpfs remounted read-only (skips where mounting is not allowed), else chmod."""
    where.mkdir()
    if os.geteuid() != 0:
        try:
            yield where
        finally:
            where.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(where)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def make_read_only(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    else:
        folder.chmod(0o555)


@pytest.mark.parametrize("existing", [True, False], ids=["existing file", "new file"])
def test_a_read_only_folder_is_refused_in_one_line(tmp_path: Path, existing: bool) -> None:
    with read_only_folder(tmp_path / "ro") as folder:
        db = folder / "coalition.db"
        if existing:
            assert start("migrate", db, tmp_path).returncode == 0
        make_read_only(folder)
        refused_in_one_line(start("console", db, tmp_path), db, "read-only")


def test_a_read_only_file_is_refused_in_one_line(tmp_path: Path) -> None:
    """A file the bot may read but not write opens without complaint in SQLite; without
    a check at start-up the first command would fail instead."""
    db = tmp_path / "coalition.db"
    assert start("migrate", db, tmp_path).returncode == 0
    if os.geteuid() == 0:  # root ignores permissions; an immutable file stops root too
        if subprocess.run(["chattr", "+i", str(db)], capture_output=True,
                          check=False).returncode != 0:
            pytest.skip("cannot make a file immutable here")
    else:
        db.chmod(0o444)
    try:
        refused_in_one_line(start("console", db, tmp_path), db, "read-only")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(db)], check=False)


LOCKER = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
"""


@pytest.mark.parametrize("existing", [True, False], ids=["existing file", "new file"])
def test_a_write_lock_held_past_the_busy_timeout_at_start_is_refused_in_one_line(
        tmp_path: Path, existing: bool) -> None:
    db = tmp_path / "coalition.db"
    if existing:
        assert start("migrate", db, tmp_path).returncode == 0
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout is not None
        assert locker.stdout.readline().strip() == "locked"
        result = start("console", db, tmp_path)
    finally:
        locker.kill()
        locker.wait(WAIT)
    refused_in_one_line(result, db, "another program has held its write lock")


# --- the file swapped under a running bot -------------------------------------------------


def swap(db: Path, backup: Path, *, delete: bool) -> None:
    """Delete the database file, or put a copy of it in its place (a restore)."""
    if delete:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        return
    with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(backup)) as dst:
        src.backup(dst)
    os.replace(backup, db)


def exists(path: Path) -> bool:
    return path.exists()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_database_file_deleted_or_replaced_while_running_refuses_every_command(
        coalition: Chat, db_path: Path, tmp_path: Path, how: str) -> None:
    """SQLite keeps writing to the unlinked file: every change would be acknowledged and
    then lost. The bot notices the path no longer names the file it opened."""
    await coalition.ok("Alice", "coalition goal add Before the swap")
    swap(db_path, tmp_path / "backup.db", delete=how == "deleted")
    for line in ("coalition goal add After the swap", "coalition goals"):
        reply = await coalition.say("Alice", line)
        assert reply.error, text_of(reply)
        assert reply.private, text_of(reply)
        assert str(db_path) in reply.text, reply.text
        assert "deleted or replaced" in reply.text, reply.text
        assert "nothing was changed" in reply.text
    if how == "deleted":
        assert not exists(db_path)
    else:
        with closing(sqlite3.connect(db_path)) as conn:
            goals = [t for (t,) in conn.execute("SELECT text FROM goal")]
        assert goals == ["Before the swap"]


async def test_the_scheduler_says_in_one_line_that_the_file_went_away(
        coalition: Chat, db_path: Path, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    scheduler = Scheduler(coalition.bot, sweep_every=0.05)
    await scheduler.start()
    try:
        swap(db_path, tmp_path / "backup.db", delete=True)
        with caplog.at_level(logging.ERROR):
            deadline = asyncio.get_running_loop().time() + 10
            while not caplog.records:
                assert asyncio.get_running_loop().time() < deadline, "no error was logged"
                await asyncio.sleep(0.02)
    finally:
        await scheduler.stop()
    record = caplog.records[0]
    assert "deleted or replaced" in record.getMessage()
    assert record.exc_info is None  # one line, no traceback
