"""Small helpers shared by the SQL modules: timestamps and row fetching."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar, cast

from coalition_bot.store.database import Conn

__all__ = ["Row", "RowCache", "fetch_all", "fetch_one", "from_iso", "iso", "iso_end", "next_number"]


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


T = TypeVar("T")


class RowCache(Generic[T]):
    """What `parse` made of the rows of one query, kept by each row's values.

    Every command reads the same few rows again unchanged (its workspace's coalition,
    its caller, the poll voted in), and building a frozen model from a row (ISO times,
    JSON, enums) cost more than the query. A row whose values are all as before gives
    the model made last time; a changed row is a new key, parsed anew. For immutable
    models only, and one cache per query (the key is the values, not the columns'
    names). Holds at most `size` models, dropping the oldest first.
    """

    __slots__ = ("_known", "_parse", "_size")

    def __init__(self, parse: Callable[[Row], T], size: int = 256) -> None:
        self._parse = parse
        self._size = size
        self._known: dict[tuple[Any, ...], T] = {}

    def __call__(self, row: Row) -> T:
        try:
            key = tuple(cast(Iterable[Any], row))  # sqlite3.Row and PgRow give their values
            return self._known[key]
        except KeyError:
            pass
        except TypeError:  # no row, or a value that cannot be a key: as without a cache
            return self._parse(row)
        if len(self._known) >= self._size:
            del self._known[next(iter(self._known))]
        made = self._known[key] = self._parse(row)
        return made




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
