"""Running the real `coalition-bot console` process on a piped script, and reading what
it printed, command by command. Shared by the console-level scenario tests."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "coalition-bot"
ECHO = re.compile(r"^(\S+)> (.*)$")
_OUTPUT_STARTS = ("!", "(only you)", "📣", "✉", "==", " ", "[")


def console(tmp_path: Path, script: str, *, user: str = "Alice") -> list[str]:
    """Pipe `script` into the console on tmp_path's database; the printed lines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COALITION_BOT")}
    env.update(HOME=str(tmp_path), PYTHONIOENCODING="utf-8", PYTHONUTF8="1")
    done = subprocess.run(
        [str(SCRIPT), "console", "--db", str(tmp_path / "coalition.db"), "--as", user],
        input=script, capture_output=True, text=True, encoding="utf-8", cwd=tmp_path,
        env=env, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout.splitlines()


def answers(lines: list[str]) -> list[tuple[str, str, list[str]]]:
    """The output as (who, line typed, what was printed after it), in order."""
    found: list[tuple[str, str, list[str]]] = []
    for line in lines:
        echo = ECHO.match(line)
        if echo and not line.startswith(_OUTPUT_STARTS):
            found.append((echo[1], echo[2], []))
        else:
            assert found, f"output before any command: {line!r}"
            found[-1][2].append(line)
    return found


def answer(lines: list[str], who: str, typed: str) -> list[str]:
    """What was printed after `who` typed `typed` (the only time they typed it)."""
    matches = [out for w, t, out in answers(lines) if (w, t) == (who, typed)]
    assert len(matches) == 1, f"{who}> {typed} ran {len(matches)} times"
    return matches[0]


def db_rows(tmp_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "coalition.db") as conn:
        return conn.execute(sql).fetchall()
