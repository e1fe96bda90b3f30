"""A COMMIT that fails with `disk I/O error`: answered like a full disk, and the console
keeps serving.

The error is a real one: the console process runs under a file-size limit
(`RLIMIT_FSIZE`, with SIGXFSZ ignored so the write fails with EFBIG instead of killing
the process), and SQLite reports a write past the limit as SQLITE_IOERR.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from reliability_support import SCRIPT

TIMEOUT = 60
LONG = "x" * 290


def console(lines: list[str], db: Path, cwd: Path, *,
            limit: int | None = None) -> subprocess.CompletedProcess[str]:
    def limited() -> None:
        if limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {k: v for k, v in os.environ.items() if not k.startswith("COALITION_BOT")}
    return subprocess.run([str(SCRIPT), "console", "--as", "Alice", "--db", str(db)],
                          input="\n".join(lines) + "\n", capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, env=env | {"PYTHONIOENCODING": "utf-8"},
                          timeout=TIMEOUT, preexec_fn=limited)


def goals(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return [t for (t,) in conn.execute("SELECT text FROM goal ORDER BY number")]


def test_a_disk_io_error_on_commit_is_answered_and_the_console_keeps_serving(
        tmp_path: Path) -> None:
    db = tmp_path / "coalition.db"
    made = console(["coalition setup Eastside", 'coalition org add "Tenants United"'],
                   db, tmp_path)
    assert made.returncode == 0, made.stderr
    # the WAL may grow 16 KB past the file's size: a few goals fit, then writes fail
    writes = [f"coalition goal add {LONG} {n}" for n in range(60)]
    result = console([*writes, "coalition info"], db, tmp_path,
                     limit=db.stat().st_size + 16384)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    refusals = [line for line in result.stdout.splitlines() if "disk I/O error" in line]
    assert len(refusals) >= 10, result.stdout[-2000:]
    for line in refusals:
        assert line.startswith("!"), line
        assert "nothing was changed" in line, line
        assert "tell whoever runs the bot" in line, line
        assert "try again" in line, line
    assert "== Eastside ==" in result.stdout  # a read after the failures still answers
    saved = goals(db)
    assert 0 < len(saved) < len(writes) - 10
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # with the limit gone the refused write goes through, once
    again = console([writes[len(saved)]], db, tmp_path)
    assert again.returncode == 0, again.stdout
    assert "Goal #" in again.stdout, again.stdout
    assert goals(db) == [*saved, writes[len(saved)].removeprefix("coalition goal add ")]
