"""SQL for the coalition's health report: what each organization and person did over a
period, read in a few aggregate queries (not one query per organization)."""

from __future__ import annotations

from datetime import datetime
from statistics import median

from coalition_bot.rules.health import OldOverdue, OwnerActions
from coalition_bot.store.database import Conn
from coalition_bot.store.rows import fetch_all, from_iso, iso, iso_end

__all__ = [
    "action_counts", "decision_counts", "old_overdue", "org_meetings", "org_members",
    "org_poll_figures", "role_rows",
]


_CLOSED_ORG_POLLS = (
    " FROM poll p JOIN poll_elector e ON e.poll_id = p.id"
    " WHERE p.coalition_id = ? AND p.electorate = 'orgs' AND p.status = 'closed'"
    " AND p.withdrawn_at IS NULL AND p.closed_at >= ? AND p.closed_at <= ?")


async def org_poll_figures(conn: Conn, coalition_id: int, since: datetime, until: datetime
                           ) -> tuple[dict[int, tuple[int, int, int]], dict[int, float]]:
    """For organization polls closed in [since, until]: organization id → (how many it
    could vote in, how many it voted in, how many of the latest in a row it did not vote
    in), and organization id → the median of seconds from such a poll opening to its
    vote. Every vote's voter is one of the poll's electors (migration 0010 made them so,
    and an elector who voted is never dropped), so votes are read without the electors."""
    window = (coalition_id, iso(since), iso(until))
    electors = await fetch_all(
        conn, "SELECT e.voter, count(*)" + _CLOSED_ORG_POLLS
        + " AND substr(e.voter, 1, 4) = 'org:' GROUP BY e.voter", window)
    votes = await fetch_all(
        conn,
        f"SELECT v.voter, {conn.dialect.seconds_between('v.cast_at', 'p.created_at')},"
        " p.closed_at FROM poll p JOIN vote v ON v.poll_id = p.id"
        " WHERE p.coalition_id = ? AND p.electorate = 'orgs' AND p.status = 'closed'"
        " AND p.withdrawn_at IS NULL AND p.closed_at >= ? AND p.closed_at <= ?"
        " AND substr(v.voter, 1, 4) = 'org:'", window)
    spans: dict[str, list[int]] = {}
    latest: dict[str, str] = {}
    for voter, seconds, closed in votes:
        spans.setdefault(voter, []).append(seconds)
        if closed > latest.get(voter, ""):
            latest[voter] = closed
    silent = {voter: 0 if voter in latest else polls for voter, polls in electors}
    if latest:  # polls closed after each organization's latest vote
        values = ",".join("(?, ?)" for _ in latest)
        after = await fetch_all(
            conn, f"WITH l(voter, last) AS (VALUES {values}) SELECT e.voter, count(*)"
            + _CLOSED_ORG_POLLS.replace(" WHERE", " JOIN l ON l.voter = e.voter WHERE")
            + " AND p.closed_at > l.last GROUP BY e.voter",
            [x for pair in latest.items() for x in pair] + list(window))
        silent.update(after)
    counts = {int(voter[4:]): (polls, len(spans.get(voter, ())), silent[voter])
              for voter, polls in electors}
    return counts, {int(voter[4:]): float(median(s)) for voter, s in spans.items()}


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


async def action_counts(conn: Conn, coalition_id: int, since: datetime, now: datetime
                        ) -> list[OwnerActions]:
    """Per owner (None: nobody), their action items open now, overdue now and done since
    `since` (stored times compare as text: `rows.iso`)."""
    rows = await fetch_all(
        conn,
        "SELECT n.owner_id, coalesce(p.display_name, ''),"
        " count(CASE WHEN n.done_at IS NULL THEN 1 END),"
        " count(CASE WHEN n.done_at IS NULL AND n.due_at < ? THEN 1 END),"
        " count(CASE WHEN n.done_at >= ? THEN 1 END)"
        " FROM note n LEFT JOIN person p ON p.id = n.owner_id"
        " WHERE n.coalition_id = ? AND n.kind = 'action'"
        " AND (n.done_at IS NULL OR n.done_at >= ?) GROUP BY n.owner_id, p.display_name",
        (iso_end(now), iso(since), coalition_id, iso(since)))
    return [OwnerActions(r[0], r[1], r[2], r[3], r[4]) for r in rows]


async def old_overdue(conn: Conn, coalition_id: int, due_before: datetime, most: int
                      ) -> OldOverdue:
    """Open action items due before `due_before`: how many, and the `most` oldest."""
    rows = await fetch_all(
        conn,
        "SELECT n.action_number, coalesce(p.display_name, ''), n.due_at, count(*) OVER ()"
        " FROM note n LEFT JOIN person p ON p.id = n.owner_id"
        " WHERE n.coalition_id = ? AND n.kind = 'action' AND n.done_at IS NULL"
        " AND n.due_at < ? ORDER BY n.due_at, n.action_number LIMIT ?",
        (coalition_id, iso_end(due_before), most))
    return OldOverdue(rows[0][3] if rows else 0,
                      [(r[0], r[1], from_iso(r[2])) for r in rows])


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
        "SELECT count(CASE WHEN poll_id IS NULL OR quorum_met = 1 THEN 1 END),"
        " count(CASE WHEN poll_id IS NOT NULL AND quorum_met = 0 THEN 1 END) FROM decision"
        " WHERE coalition_id = ? AND decided_at >= ? AND decided_at <= ?",
        (coalition_id, iso(since), iso(until)))
    return int(rows[0][0]), int(rows[0][1])
