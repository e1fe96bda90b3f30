"""Small helpers shared by the SQL modules: timestamps and row fetching."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from coalition_bot.store.database import Conn

__all__ = ["Row", "fetch_all", "fetch_one", "from_iso", "iso", "iso_end", "next_number"]


class Row(Protocol):
    """A result row, read by column name or position (`sqlite3.Row` is one)."""

    def __getitem__(self, key: Any, /) -> Any: ...


def iso(when: datetime) -> str:
    """A timezone-aware datetime as UTC ISO 8601 text to the second, the one form every
    table stores, so that comparing the text compares the times."""
    return when.astimezone(UTC).isoformat(timespec="seconds")


def iso_end(when: datetime) -> str:
    """An exclusive upper bound as stored text: `when` rounded up to the next whole
    second, so `stored < iso_end(t)` holds for every stored time before `t`."""
    whole = when.replace(microsecond=0)
    return iso(whole if whole == when else whole + timedelta(seconds=1))


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)




async def fetch_one(conn: Conn, sql: str, params: Iterable[Any] = ()) -> Any:
    """The first row, or None. For statements that give at most a few rows."""
    rows = await conn.execute_fetchall(sql, tuple(params))
    return next(iter(rows), None)


async def fetch_all(conn: Conn, sql: str, params: Iterable[Any] = ()) -> list[Any]:
    return list(await conn.execute_fetchall(sql, tuple(params)))


async def next_number(conn: Conn, coalition_id: int, kind: str) -> int:
    """Hand out the next short per-coalition number for `kind` (1, 2, 3, ...)."""
    row = await fetch_one(
        conn,
        "INSERT INTO number_seq (coalition_id, kind, last) VALUES (?, ?, 1) "
        "ON CONFLICT (coalition_id, kind) DO UPDATE SET last = number_seq.last + 1 RETURNING last",
        (coalition_id, kind),
    )
    return int(row[0])
