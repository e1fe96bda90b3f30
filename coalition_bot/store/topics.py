"""SQL for off-limits topics, topic proposals and nudge rate limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coalition_bot.store.database import Conn
from coalition_bot.store.rows import Row, fetch_all, fetch_one, from_iso, iso

__all__ = [
    "Topic",
    "active_topics",
    "add_proposal",
    "add_topic",
    "adopt_proposal",
    "claim_nudge",
    "find_active",
    "proposal",
    "removal",
    "remove_topic",
    "topic_version",
]


@dataclass(frozen=True, slots=True)
class Topic:
    id: int
    phrase: str
    reason: str
    added_at: datetime
    added_by: str | None
    decision_number: int | None
    poll_number: int | None = None  # the poll that adopted it, if partners voted it in


_SELECT = ("SELECT t.*, p.display_name AS added_by_name, pl.number AS poll_number"
           " FROM topic t LEFT JOIN person p ON p.id = t.added_by"
           " LEFT JOIN decision d ON d.coalition_id = t.coalition_id"
           " AND d.number = t.decision_number LEFT JOIN poll pl ON pl.id = d.poll_id")


def _topic(row: Row) -> Topic:
    return Topic(row["id"], row["phrase"], row["reason"], from_iso(row["added_at"]),
                 row["added_by_name"], row["decision_number"], row["poll_number"])


async def _bump(conn: Conn, coalition_id: int) -> None:
    await conn.execute(
        "INSERT INTO topic_version (coalition_id, version) VALUES (?, 1)"
        " ON CONFLICT (coalition_id) DO UPDATE SET version = topic_version.version + 1",
        (coalition_id,))


async def topic_version(conn: Conn, coalition_id: int) -> int:
    row = await fetch_one(conn, "SELECT version FROM topic_version WHERE coalition_id = ?",
                          (coalition_id,))
    return int(row[0]) if row else 0


async def active_topics(conn: Conn, coalition_id: int) -> list[Topic]:
    rows = await fetch_all(conn, _SELECT + " WHERE t.coalition_id = ? AND t.removed_at IS NULL"
                                           " ORDER BY t.id", (coalition_id,))
    return [_topic(r) for r in rows]


async def find_active(conn: Conn, coalition_id: int, phrase_key: str) -> Topic | None:
    row = await fetch_one(conn, _SELECT + " WHERE t.coalition_id = ? AND t.phrase_key = ?"
                                          " AND t.removed_at IS NULL", (coalition_id, phrase_key))
    return _topic(row) if row else None


async def add_topic(conn: Conn, coalition_id: int, phrase: str, phrase_key: str, reason: str,
                    added_by: int | None, decision_number: int | None, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO topic (coalition_id, phrase, phrase_key, reason, added_by,"
        " decision_number, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (coalition_id, phrase, phrase_key, reason, added_by, decision_number, iso(now)))
    await _bump(conn, coalition_id)


async def remove_topic(conn: Conn, coalition_id: int, topic_id: int, removed_by: int | None,
                       now: datetime) -> None:
    await conn.execute("UPDATE topic SET removed_at = ?, removed_by = ? WHERE id = ?",
                       (iso(now), removed_by, topic_id))
    await _bump(conn, coalition_id)


async def add_proposal(conn: Conn, poll_id: int, phrase: str, reason: str,
                       proposed_by: int, action: str = "add") -> None:
    """A poll decides a topic: to add it ('add') or to take it off the list ('remove')."""
    await conn.execute(
        "INSERT INTO topic_proposal (poll_id, phrase, reason, proposed_by, action)"
        " VALUES (?, ?, ?, ?, ?)", (poll_id, phrase, reason, proposed_by, action))


async def proposal(conn: Conn, poll_id: int) -> tuple[str, str, int | None] | None:
    """(phrase, reason, proposed by) of the topic a poll proposes to add, if it does."""
    row = await fetch_one(conn, "SELECT * FROM topic_proposal WHERE poll_id = ?"
                                " AND action = 'add'", (poll_id,))
    return (row["phrase"], row["reason"], row["proposed_by"]) if row else None


async def removal(conn: Conn, poll_id: int) -> tuple[str, int | None] | None:
    """(phrase, proposed by) of the topic a poll proposes to take off the list, if any."""
    row = await fetch_one(conn, "SELECT * FROM topic_proposal WHERE poll_id = ?"
                                " AND action = 'remove'", (poll_id,))
    return (row["phrase"], row["proposed_by"]) if row else None


async def adopt_proposal(conn: Conn, coalition_id: int, poll_id: int, phrase_key: str,
                         decision_number: int, now: datetime) -> str | None:
    """Add the topic a passed poll proposed; its phrase, or None if there is none to add."""
    found = await proposal(conn, poll_id)
    if found is None or await find_active(conn, coalition_id, phrase_key):
        return None
    phrase, reason, proposed_by = found
    await add_topic(conn, coalition_id, phrase, phrase_key, reason, proposed_by,
                    decision_number, now)
    return phrase


async def claim_nudge(conn: Conn, person_id: int, topic_id: int, now: datetime,
                      not_before: datetime) -> bool:
    """Record a nudge unless the person had one for this topic since `not_before`."""
    row = await fetch_one(
        conn,
        "INSERT INTO nudge (person_id, topic_id, last_at) VALUES (?, ?, ?)"
        " ON CONFLICT (person_id, topic_id) DO UPDATE SET last_at = excluded.last_at"
        " WHERE nudge.last_at <= ? RETURNING last_at",
        (person_id, topic_id, iso(now), iso(not_before)))
    return row is not None
