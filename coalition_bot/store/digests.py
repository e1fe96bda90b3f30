"""SQL for the weekly digest's schedule and what it reports on."""

from __future__ import annotations

from datetime import datetime, time

from coalition_bot.store.database import Conn
from coalition_bot.store.rows import Row, fetch_all, fetch_one, from_iso, iso

__all__ = ["Schedule", "clear_schedule", "goal_changes", "schedule", "schedules",
           "set_schedule"]

Schedule = tuple[int, int, time, str]  # coalition id, weekday, local time, coalition zone


async def set_schedule(conn: Conn, coalition_id: int, weekday: int, at: time, set_by: int,
                       now: datetime) -> None:
    await conn.execute(
        "INSERT INTO digest_schedule (coalition_id, weekday, at_local, set_by, set_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (coalition_id) DO UPDATE SET"
        " weekday = excluded.weekday, at_local = excluded.at_local,"
        " set_by = excluded.set_by, set_at = excluded.set_at",
        (coalition_id, weekday, at.strftime("%H:%M"), set_by, iso(now)))


async def clear_schedule(conn: Conn, coalition_id: int) -> bool:
    cur = await conn.execute("DELETE FROM digest_schedule WHERE coalition_id = ?",
                             (coalition_id,))
    return cur.rowcount == 1


def _schedule(row: Row) -> Schedule:
    return (row[0], row[1], time.fromisoformat(row[2]), row[3])


async def schedule(conn: Conn, coalition_id: int) -> Schedule | None:
    row = await fetch_one(
        conn, "SELECT d.coalition_id, d.weekday, d.at_local, c.timezone FROM digest_schedule d"
              " JOIN coalition c ON c.id = d.coalition_id WHERE d.coalition_id = ?",
        (coalition_id,))
    return _schedule(row) if row else None


async def schedules(conn: Conn) -> list[Schedule]:
    """Every coalition's digest schedule (one row per coalition that wants one)."""
    rows = await fetch_all(
        conn, "SELECT d.coalition_id, d.weekday, d.at_local, c.timezone FROM digest_schedule d"
              " JOIN coalition c ON c.id = d.coalition_id ORDER BY d.coalition_id")
    return [_schedule(r) for r in rows]


async def goal_changes(conn: Conn, coalition_id: int, since: datetime, until: datetime
                       ) -> list[tuple[int, str, str, str, datetime]]:
    """(goal number, goal text, new status, note, when) of progress recorded in the span."""
    rows = await fetch_all(
        conn, "SELECT g.number, g.text, u.status, u.note, u.created_at FROM goal_update u"
              " JOIN goal g ON g.id = u.goal_id WHERE g.coalition_id = ?"
              " AND u.created_at > ? AND u.created_at <= ? ORDER BY u.created_at, u.id",
        (coalition_id, iso(since), iso(until)))
    return [(r[0], r[1], r[2], r[3], from_iso(r[4])) for r in rows]
