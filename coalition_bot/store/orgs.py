"""SQL for partner organizations."""

from __future__ import annotations

from datetime import datetime

from coalition_bot.model import Org
from coalition_bot.store.database import Conn
from coalition_bot.store.rows import Row, RowCache, fetch_all, fetch_one, from_iso, iso, next_number

__all__ = [
    "add_org", "find_org_by_name", "find_org_by_number", "get_org", "list_orgs", "rejoin",
    "set_left",
]


def _org(row: Row) -> Org:
    return Org(row["id"], row["coalition_id"], row["number"], row["name"], bool(row["observer"]),
               from_iso(row["left_at"]) if row["left_at"] else None)


async def add_org(conn: Conn, coalition_id: int, name: str, name_key: str, observer: bool,
                  now: datetime) -> Org:
    number = await next_number(conn, coalition_id, "org")
    row = await fetch_one(
        conn,
        "INSERT INTO org (coalition_id, number, name, name_key, observer, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
        (coalition_id, number, name, name_key, int(observer), iso(now)),
    )
    return _org(row)


async def find_org_by_name(conn: Conn, coalition_id: int, name_key: str) -> Org | None:
    row = await fetch_one(conn, "SELECT * FROM org WHERE coalition_id = ? AND name_key = ?",
                          (coalition_id, name_key))
    return _org(row) if row else None


async def find_org_by_number(conn: Conn, coalition_id: int, number: int) -> Org | None:
    row = await fetch_one(conn, "SELECT * FROM org WHERE coalition_id = ? AND number = ?",
                          (coalition_id, number))
    return _org(row) if row else None


_READ_ORGS = RowCache(_org)  # a voter's organization, read by every vote


async def get_org(conn: Conn, org_id: int) -> Org:
    return _READ_ORGS(await fetch_one(conn, "SELECT * FROM org WHERE id = ?", (org_id,)))


async def list_orgs(conn: Conn, coalition_id: int) -> list[Org]:
    """The coalition's current partner organizations (not those that left), by number."""
    rows = await fetch_all(conn, "SELECT * FROM org WHERE coalition_id = ? AND left_at IS NULL"
                                 " ORDER BY number", (coalition_id,))
    return [_org(r) for r in rows]


async def set_left(conn: Conn, org_id: int, now: datetime) -> None:
    """An organization leaves: it keeps its row and number, and loses its representatives."""
    await conn.execute("UPDATE org SET left_at = ? WHERE id = ?", (iso(now), org_id))
    await conn.execute("DELETE FROM representative WHERE org_id = ?", (org_id,))


async def rejoin(conn: Conn, org_id: int, observer: bool) -> Org:
    row = await fetch_one(conn, "UPDATE org SET left_at = NULL, observer = ? WHERE id = ?"
                                " RETURNING *", (int(observer), org_id))
    return _org(row)
