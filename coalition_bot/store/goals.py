"""SQL for shared goals and their dated progress updates."""

from __future__ import annotations

from datetime import datetime

from coalition_bot.model import Goal, GoalStatus, GoalUpdate
from coalition_bot.store.database import Conn
from coalition_bot.store.rows import Row, fetch_all, fetch_one, from_iso, iso, next_number

__all__ = ["add_goal", "add_goal_update", "find_goal", "goal_updates", "list_goals"]


def _goal(row: Row) -> Goal:
    return Goal(row["id"], row["coalition_id"], row["number"], row["text"],
                GoalStatus(row["status"]), from_iso(row["created_at"]),
                from_iso(row["updated_at"]))


async def add_goal(conn: Conn, coalition_id: int, text: str, status: str,
                   created_by: int | None, now: datetime) -> Goal:
    number = await next_number(conn, coalition_id, "goal")
    row = await fetch_one(
        conn,
        "INSERT INTO goal (coalition_id, number, text, status, created_by, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (coalition_id, number, text, status, created_by, iso(now), iso(now)),
    )
    return _goal(row)


async def find_goal(conn: Conn, coalition_id: int, number: int) -> Goal | None:
    row = await fetch_one(conn, "SELECT * FROM goal WHERE coalition_id = ? AND number = ?",
                          (coalition_id, number))
    return _goal(row) if row else None


async def list_goals(conn: Conn, coalition_id: int) -> list[Goal]:
    rows = await fetch_all(conn, "SELECT * FROM goal WHERE coalition_id = ? ORDER BY number",
                           (coalition_id,))
    return [_goal(r) for r in rows]


async def add_goal_update(conn: Conn, goal_id: int, status: str, note: str,
                          person_id: int | None, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO goal_update (goal_id, status, note, person_id, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (goal_id, status, note, person_id, iso(now)),
    )
    await conn.execute("UPDATE goal SET status = ?, updated_at = ? WHERE id = ?",
                       (status, iso(now), goal_id))


async def goal_updates(conn: Conn, coalition_id: int) -> dict[int, list[GoalUpdate]]:
    """Every progress update in the coalition, oldest first, keyed by goal id."""
    rows = await fetch_all(
        conn,
        "SELECT u.goal_id, u.status, u.note, u.created_at,"
        " coalesce(p.display_name, '?') AS author FROM goal_update u"
        " JOIN goal g ON g.id = u.goal_id LEFT JOIN person p ON p.id = u.person_id"
        " WHERE g.coalition_id = ? ORDER BY u.id",
        (coalition_id,),
    )
    found: dict[int, list[GoalUpdate]] = {}
    for r in rows:
        found.setdefault(r["goal_id"], []).append(
            GoalUpdate(r["goal_id"], GoalStatus(r["status"]), r["note"], r["author"],
                       from_iso(r["created_at"])))
    return found
