"""SQL for the coalition's health report: what each organization and person did over a
period, read in a few aggregate queries (not one query per organization)."""

from __future__ import annotations

from datetime import datetime

from coalition_bot.store.database import Conn
from coalition_bot.store.rows import fetch_all, from_iso, iso

__all__ = [
    "action_rows", "decision_counts", "org_meetings", "org_members", "org_poll_counts",
    "org_vote_delays", "role_rows",
]


_CLOSED_ORG_POLLS = (
    " FROM poll p JOIN poll_elector e ON e.poll_id = p.id"
    " WHERE p.coalition_id = ? AND p.electorate = 'orgs' AND p.status = 'closed'"
    " AND p.withdrawn_at IS NULL AND p.closed_at >= ? AND p.closed_at <= ?")


async def org_poll_counts(conn: Conn, coalition_id: int, since: datetime, until: datetime
                          ) -> dict[int, tuple[int, int, int]]:
    """Organization id → (organization polls closed in [since, until] it could vote in,
    how many it voted in, how many of the latest in a row it did not vote in)."""
    window = (coalition_id, iso(since), iso(until))
    rows = await fetch_all(
        conn, "SELECT e.voter, count(*), count(v.voter),"
        " max(CASE WHEN v.voter IS NOT NULL THEN p.closed_at END)"
        + _CLOSED_ORG_POLLS.replace(" WHERE", " LEFT JOIN vote v ON v.poll_id = p.id"
                                    " AND v.voter = e.voter WHERE") + " GROUP BY e.voter",
        window)
    counts = {r[0]: (r[1], r[2], r[1] if r[3] is None else 0) for r in rows
              if r[0].startswith("org:")}
    lasts = [(voter, last) for voter, _, _, last in rows if last is not None
             and voter in counts]
    if lasts:  # polls closed after each organization's latest vote
        values = ",".join("(?, ?)" for _ in lasts)
        after = await fetch_all(
            conn, f"WITH l(voter, last) AS (VALUES {values}) SELECT e.voter, count(*)"
            + _CLOSED_ORG_POLLS.replace(" WHERE", " JOIN l ON l.voter = e.voter WHERE")
            + " AND p.closed_at > l.last GROUP BY e.voter",
            [x for pair in lasts for x in pair] + list(window))
        for voter, silent in after:
            total, voted, _ = counts[voter]
            counts[voter] = (total, voted, silent)
    return {int(voter[4:]): c for voter, c in counts.items()}


async def org_vote_delays(conn: Conn, coalition_id: int, since: datetime, until: datetime
                          ) -> dict[int, list[int]]:
    """Organization id → seconds from each such poll opening to its vote."""
    rows = await fetch_all(
        conn,
        "SELECT v.voter, CAST(round((julianday(v.cast_at) - julianday(p.created_at)) * 86400)"
        " AS INTEGER) FROM poll p JOIN poll_elector e ON e.poll_id = p.id"
        " JOIN vote v ON v.poll_id = p.id AND v.voter = e.voter"
        " WHERE p.coalition_id = ? AND p.electorate = 'orgs' AND p.status = 'closed'"
        " AND p.withdrawn_at IS NULL AND p.closed_at >= ? AND p.closed_at <= ?",
        (coalition_id, iso(since), iso(until)))
    found: dict[int, list[int]] = {}
    for voter, seconds in rows:
        found.setdefault(int(voter[4:]), []).append(seconds)
    return found


_MEMBERS = (
    "members AS (SELECT r.person_id, r.org_id FROM representative r JOIN org o"
    " ON o.id = r.org_id WHERE o.coalition_id = ? UNION SELECT id, org_id FROM person"
    " WHERE coalition_id = ? AND org_id IS NOT NULL AND left_at IS NULL)")  # (c, c)


async def org_members(conn: Conn, coalition_id: int) -> list[tuple[int, int]]:
    """(person id, org id): representatives, and people who said they are with an
    organization (`join`)."""
    rows = await fetch_all(conn, f"WITH {_MEMBERS} SELECT person_id, org_id FROM members",
                           (coalition_id, coalition_id))
    return [(r[0], r[1]) for r in rows]


async def org_meetings(conn: Conn, coalition_id: int, table: str, first_key: str,
                       last_key: str) -> dict[int, int]:
    """Organization id → how many occurrences (named between the two local keys, not
    cancelled) one of its people said yes to (`table` 'rsvp') or attended ('attendance')."""
    if table not in ("rsvp", "attendance"):
        raise ValueError(table)
    yes = " AND x.answer = 'yes'" if table == "rsvp" else ""
    rows = await fetch_all(
        conn,
        f"WITH {_MEMBERS} SELECT m.org_id,"
        f" count(DISTINCT x.meeting_id || ' ' || x.occurrence) FROM {table} x"
        " JOIN meeting mt ON mt.id = x.meeting_id JOIN members m ON m.person_id = x.person_id"
        " LEFT JOIN meeting_change c ON c.meeting_id = x.meeting_id"
        " AND c.occurrence = x.occurrence"
        f" WHERE mt.coalition_id = ? AND x.occurrence >= ? AND x.occurrence <= ?{yes}"
        " AND coalesce(c.cancelled, 0) = 0 GROUP BY m.org_id",
        (coalition_id, coalition_id, coalition_id, first_key, last_key))
    return {r[0]: r[1] for r in rows}


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
