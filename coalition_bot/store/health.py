"""SQL for the coalition's health report: what each organization and person did over a
period, read in a few aggregate queries (not one query per organization)."""

from __future__ import annotations

from datetime import datetime

from coalition_bot.store.database import Conn
from coalition_bot.store.rows import fetch_all, from_iso, iso

__all__ = [
    "action_rows", "decision_counts", "meeting_people", "org_members", "org_poll_rows",
    "role_rows",
]


async def org_poll_rows(conn: Conn, coalition_id: int, since: datetime, until: datetime
                        ) -> list[tuple[int, datetime, datetime, int, datetime | None]]:
    """(poll id, opened, closed, elector org id, its vote's time or None) for every
    organization poll closed in [since, until], one row per organization it was open to."""
    rows = await fetch_all(
        conn,
        "SELECT p.id, p.created_at, p.closed_at, e.voter, v.cast_at FROM poll p"
        " JOIN poll_elector e ON e.poll_id = p.id"
        " LEFT JOIN vote v ON v.poll_id = p.id AND v.voter = e.voter"
        " WHERE p.coalition_id = ? AND p.electorate = 'orgs' AND p.status = 'closed'"
        " AND p.closed_at >= ? AND p.closed_at <= ? ORDER BY p.closed_at, p.id",
        (coalition_id, iso(since), iso(until)))
    return [(r[0], from_iso(r[1]), from_iso(r[2]), int(r[3][4:]),
             from_iso(r[4]) if r[4] else None) for r in rows]


async def org_members(conn: Conn, coalition_id: int) -> list[tuple[int, int]]:
    """(person id, org id): representatives, and people who said they are with an
    organization (`join`)."""
    rows = await fetch_all(
        conn,
        "SELECT r.person_id, r.org_id FROM representative r JOIN org o ON o.id = r.org_id"
        " WHERE o.coalition_id = ?"
        " UNION SELECT id, org_id FROM person WHERE coalition_id = ? AND org_id IS NOT NULL"
        " AND left_at IS NULL",
        (coalition_id, coalition_id))
    return [(r[0], r[1]) for r in rows]


async def meeting_people(conn: Conn, coalition_id: int, table: str, first_key: str,
                         last_key: str) -> list[tuple[int, int, str]]:
    """(person id, meeting id, occurrence) of yes-RSVPs (`table` 'rsvp') or attendance
    ('attendance') for occurrences named between the two local keys, not cancelled."""
    if table not in ("rsvp", "attendance"):
        raise ValueError(table)
    yes = " AND x.answer = 'yes'" if table == "rsvp" else ""
    rows = await fetch_all(
        conn,
        f"SELECT x.person_id, x.meeting_id, x.occurrence FROM {table} x"
        " JOIN meeting m ON m.id = x.meeting_id"
        " LEFT JOIN meeting_change c ON c.meeting_id = x.meeting_id"
        " AND c.occurrence = x.occurrence"
        f" WHERE m.coalition_id = ? AND x.occurrence >= ? AND x.occurrence <= ?{yes}"
        " AND coalesce(c.cancelled, 0) = 0",
        (coalition_id, first_key, last_key))
    return [(r[0], r[1], r[2]) for r in rows]


async def action_rows(conn: Conn, coalition_id: int, since: datetime
                      ) -> list[tuple[int, int | None, str, datetime | None, datetime | None]]:
    """(action number, owner id, owner name, due, done) of every action still open or
    done since `since`."""
    rows = await fetch_all(
        conn,
        "SELECT n.action_number, n.owner_id, coalesce(p.display_name, ''), n.due_at,"
        " n.done_at FROM note n LEFT JOIN person p ON p.id = n.owner_id"
        " WHERE n.coalition_id = ? AND n.kind = 'action'"
        " AND (n.done_at IS NULL OR n.done_at >= ?) ORDER BY n.action_number",
        (coalition_id, iso(since)))
    return [(r[0], r[1], r[2], from_iso(r[3]) if r[3] else None,
             from_iso(r[4]) if r[4] else None) for r in rows]


async def role_rows(conn: Conn, coalition_id: int) -> list[tuple[int, str, int | None]]:
    """(person id, person name, on behalf of org id) for every role held."""
    rows = await fetch_all(
        conn,
        "SELECT h.person_id, p.display_name, h.org_id FROM role_holder h"
        " JOIN role r ON r.id = h.role_id JOIN person p ON p.id = h.person_id"
        " WHERE r.coalition_id = ?", (coalition_id,))
    return [(r[0], r[1], r[2]) for r in rows]


async def decision_counts(conn: Conn, coalition_id: int, since: datetime, until: datetime
                          ) -> tuple[int, int]:
    """(decisions taken, polls that failed quorum) in [since, until]. A decision-log entry
    without a poll (a coordinator's act) counts as taken."""
    rows = await fetch_all(
        conn,
        "SELECT coalesce(sum(poll_id IS NULL OR quorum_met = 1), 0),"
        " coalesce(sum(poll_id IS NOT NULL AND quorum_met = 0), 0) FROM decision"
        " WHERE coalition_id = ? AND decided_at >= ? AND decided_at <= ?",
        (coalition_id, iso(since), iso(until)))
    return int(rows[0][0]), int(rows[0][1])
