"""Who is using a database file: an advisory lock beside it (`coalition.db.lock`).

Every bot process (`run`, `console`) holds a shared lock on it while it runs; several
processes may share one file. `restore` takes it exclusively, so it refuses while any
bot runs and no bot starts while it swaps the file; `copy` takes it too, so nothing a
bot writes is left behind by a copy to PostgreSQL. The kernel drops a lock when its
process dies, so a crash leaves nothing stale behind (a PID file would).
"""

from __future__ import annotations

import fcntl
import os
from typing import IO

__all__ = ["hold_exclusive", "hold_shared", "lock_path"]


def lock_path(database: str) -> str:
    return f"{database}.lock"


def _open(database: str) -> IO[str]:
    return open(lock_path(database), "a+", encoding="utf-8")


def hold_shared(database: str) -> IO[str] | None:
    """Mark the file in use by this process until the handle is closed (or the process
    ends). None when the folder cannot take the lock file (the database open says why)."""
    try:
        handle = _open(database)
    except OSError:
        return None
    fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
    return handle


def hold_exclusive(database: str, what: str = "restore") -> IO[str] | None:
    """The file to ourselves, or None while any other process holds it. `what` (restore,
    copy) is written into the lock file, for whoever wonders who holds it."""
    handle = _open(database)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{what} by pid {os.getpid()}\n")
    handle.flush()
    return handle
