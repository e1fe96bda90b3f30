"""SQL for the resource board: offers and asks, and who committed to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from coalition_bot.model import Resource, ResourceKind, ResourceStatus, ResourceTake
from coalition_bot.store.database import Conn
from coalition_bot.store.rows import Row, fetch_all, fetch_one, from_iso, iso, iso_end, next_number

__all__ = [
    "add_resource", "add_take", "all_resources", "close", "find_resource", "get_resource",
    "open_resources", "reminders_between", "tags_used",
]

_SELECT = ("SELECT r.*, o.name AS org_name FROM resource r JOIN org o ON o.id = r.org_id")


def _resource(row: Row, takes: tuple[ResourceTake, ...] = ()) -> Resource:
    return Resource(
        row["id"], row["coalition_id"], row["number"], ResourceKind(row["kind"]), row["org_id"],
        row["org_name"], row["text"], tuple(row["tags"].split()),
        from_iso(row["ends_at"]) if row["ends_at"] else None, ResourceStatus(row["status"]),
        row["posted_by"],
        from_iso(row["created_at"]), from_iso(row["closed_at"]) if row["closed_at"] else None,
        row["close_note"], takes)


async def _with_takes(conn: Conn, rows: list[Any]) -> list[Resource]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    marks = ", ".join("?" * len(ids))
    found: dict[int, list[ResourceTake]] = {}
    for t in await fetch_all(
            conn, "SELECT t.*, o.name AS org_name, coalesce(p.display_name, '?') AS person"
                  " FROM resource_take t JOIN org o ON o.id = t.org_id"
                  " LEFT JOIN person p ON p.id = t.person_id"
                  f" WHERE t.resource_id IN ({marks}) ORDER BY t.id", ids):
        found.setdefault(t["resource_id"], []).append(ResourceTake(
            t["org_id"], t["org_name"], t["person"], t["note"], from_iso(t["created_at"])))
    return [_resource(r, tuple(found.get(r["id"], ()))) for r in rows]


async def add_resource(conn: Conn, coalition_id: int, *, kind: str, org_id: int, text: str,
                       tags: tuple[str, ...], ends_at: datetime | None,
                       remind_at: datetime | None, posted_by: int | None,
                       now: datetime) -> Resource:
    number = await next_number(conn, coalition_id, "resource")
    row = await fetch_one(
        conn,
        "INSERT INTO resource (coalition_id, number, kind, org_id, text, tags, ends_at,"
        " remind_at, posted_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " RETURNING id", (coalition_id, number, kind, org_id, text, " ".join(tags),
                          iso(ends_at) if ends_at else None,
                          iso_end(remind_at) if remind_at else None, posted_by, iso(now)))
    found = await get_resource(conn, int(row[0]))
    assert found is not None
    return found


async def find_resource(conn: Conn, coalition_id: int, number: int) -> Resource | None:
    rows = await fetch_all(conn, _SELECT + " WHERE r.coalition_id = ? AND r.number = ?",
                           (coalition_id, number))
    found = await _with_takes(conn, rows)
    return found[0] if found else None


async def get_resource(conn: Conn, resource_id: int) -> Resource | None:
    rows = await fetch_all(conn, _SELECT + " WHERE r.id = ?", (resource_id,))
    found = await _with_takes(conn, rows)
    return found[0] if found else None


async def open_resources(conn: Conn, coalition_id: int, now: datetime,
                         kind: str | None = None) -> list[Resource]:
    """The coalition's items open at `now` (not closed, not past their date), newest
    first; of one kind, or both."""
    sql = (_SELECT + " WHERE r.coalition_id = ? AND r.status = 'open'"
           " AND (r.ends_at IS NULL OR r.ends_at > ?)")
    params: list[object] = [coalition_id, iso(now)]
    if kind is not None:
        sql += " AND r.kind = ?"
        params.append(kind)
    return await _with_takes(conn, await fetch_all(conn, sql + " ORDER BY r.id DESC", params))


async def all_resources(conn: Conn, coalition_id: int) -> list[Resource]:
    """Every item the coalition ever posted, oldest first, with who took it."""
    return await _with_takes(conn, await fetch_all(
        conn, _SELECT + " WHERE r.coalition_id = ? ORDER BY r.id", (coalition_id,)))


async def tags_used(conn: Conn, coalition_id: int) -> list[str]:
    """Every tag the coalition has used, each once, in the order first used."""
    seen: dict[str, None] = {}
    for row in await fetch_all(conn, "SELECT tags FROM resource WHERE coalition_id = ?"
                                     " AND tags != '' ORDER BY id", (coalition_id,)):
        seen.update(dict.fromkeys(row[0].split()))
    return list(seen)


async def add_take(conn: Conn, resource_id: int, org_id: int, person_id: int | None,
                   note: str, now: datetime) -> bool:
    """Record an organization's commitment; False if it had committed already."""
    cur = await conn.execute(
        "INSERT INTO resource_take (resource_id, org_id, person_id, note, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (resource_id, org_id) DO NOTHING",
        (resource_id, org_id, person_id, note, iso(now)))
    return cur.rowcount == 1


async def close(conn: Conn, resource_id: int, status: str, person_id: int | None, note: str,
                now: datetime) -> bool:
    """Close an open item (met, withdrawn, expired); False if it was closed already."""
    cur = await conn.execute(
        "UPDATE resource SET status = ?, closed_at = ?, closed_by = ?, close_note = ?"
        " WHERE id = ? AND status = 'open'", (status, iso(now), person_id, note, resource_id))
    return cur.rowcount == 1


async def reminders_between(conn: Conn, start: datetime,
                            end: datetime) -> list[tuple[int, int, datetime, datetime]]:
    """(coalition id, resource id, remind at, ends at) of every open item, in every
    coalition, whose reminder falls in [start, end)."""
    rows = await fetch_all(
        conn, "SELECT coalition_id, id, remind_at, ends_at FROM resource"
              " WHERE status = 'open' AND remind_at >= ? AND remind_at < ? ORDER BY remind_at",
        (iso_end(start), iso_end(end)))
    return [(r[0], r[1], from_iso(r[2]), from_iso(r[3])) for r in rows]
