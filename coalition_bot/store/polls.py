"""SQL for polls, their votes and the decision log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from coalition_bot.model import Decision, Electorate, Poll, PollStatus, Results, Rule, Vote
from coalition_bot.store.chain import add_pending_decision
from coalition_bot.store.database import Conn
from coalition_bot.store.rows import (
    Row,
    RowCache,
    fetch_all,
    fetch_one,
    from_iso,
    iso,
    iso_end,
    next_number,
)

__all__ = [
    "VoterState",
    "add_decision",
    "add_record",
    "add_to_tally",
    "anonymous_tallies",
    "cast_anonymous_vote",
    "cast_vote",
    "closes_before",
    "count_people",
    "create_poll",
    "decision_for_poll",
    "decisions",
    "drop_elector",
    "elector_keys",
    "find_poll",
    "find_poll_by_id",
    "is_elector",
    "list_polls",
    "mark_closed",
    "open_polls_closing_before",
    "set_closes_at",
    "set_outcome_text",
    "set_text",
    "vote_caster",
    "vote_choice",
    "vote_count",
    "voter_state",
    "votes",
    "withdraw",
]


def _poll(row: Row) -> Poll:
    return Poll(
        row["id"], row["coalition_id"], row["number"], row["question"], bool(row["proposal"]),
        tuple(json.loads(row["choices"])), Electorate(row["electorate"]), Rule(row["rule"]),
        row["quorum_pct"], bool(row["anonymous"]), Results(row["results"]),
        from_iso(row["closes_at"]), PollStatus(row["status"]),
        from_iso(row["closed_at"]) if row["closed_at"] else None, from_iso(row["created_at"]),
        row["details"], row["pick"],
        from_iso(row["withdrawn_at"]) if row["withdrawn_at"] else None, row["withdraw_reason"],
        row["outcome_text"])


async def create_poll(conn: Conn, coalition_id: int, *, question: str, proposal: bool,
                      choices: tuple[str, ...], electorate: str, rule: str, quorum_pct: int,
                      anonymous: bool, results: str, closes_at: datetime, created_by: int,
                      now: datetime, details: str = "", pick: int = 1) -> Poll:
    number = await next_number(conn, coalition_id, "poll")
    row = await fetch_one(
        conn,
        "INSERT INTO poll (coalition_id, number, question, proposal, choices, electorate,"
        " rule, quorum_pct, anonymous, results, closes_at, created_by, created_at, details,"
        " pick) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (coalition_id, number, question, int(proposal), json.dumps(list(choices)), electorate,
         rule, quorum_pct, int(anonymous), results, iso(closes_at), created_by, iso(now),
         details, pick),
    )
    await _fix_electorate(conn, row["id"], coalition_id, electorate)
    if anonymous:  # every counter exists from the start: no row's age tells a first vote
        await conn.executemany(
            "INSERT INTO anonymous_tally (poll_id, choice, votes) VALUES (?, ?, 0)",
            [(row["id"], choice) for choice in choices])
    return _poll(row)


async def _fix_electorate(conn: Conn, poll_id: int, coalition_id: int,
                          electorate: str) -> None:
    """Record who may vote, as the poll opens: the voting organizations, or the members
    the coalition knows (not those a coordinator removed)."""
    if electorate == "orgs":
        sql = ("INSERT INTO poll_elector (poll_id, voter) SELECT ?, 'org:' || id FROM org"
               " WHERE coalition_id = ? AND observer = 0 AND left_at IS NULL")
    else:
        sql = ("INSERT INTO poll_elector (poll_id, voter) SELECT ?, 'person:' || id"
               " FROM person WHERE coalition_id = ? AND left_at IS NULL")
    await conn.execute(sql, (poll_id, coalition_id))


async def elector_keys(conn: Conn, poll_id: int) -> set[str]:
    """The voters ('org:ID', 'person:ID') fixed when the poll opened, less those dropped."""
    rows = await fetch_all(conn, "SELECT voter FROM poll_elector WHERE poll_id = ?", (poll_id,))
    return {r[0] for r in rows}


async def is_elector(conn: Conn, poll_id: int, voter: str) -> bool:
    """Whether a voter is in a poll's electorate (one primary-key lookup, every vote)."""
    row = await fetch_one(conn, "SELECT 1 FROM poll_elector WHERE poll_id = ? AND voter = ?",
                          (poll_id, voter))
    return row is not None


@dataclass(frozen=True, slots=True)
class VoterState:
    """Where a voter stands in a poll before a vote: all a vote needs to read about them."""

    elector: bool  # in the electorate fixed when the poll opened
    choice: str | None  # the choice of their counted vote (None: none, or anonymous)
    cast_by: int | None  # who cast that vote (None: they have not voted)
    by_proxy: bool  # that vote was cast with their proxy
    proxy_given: bool  # someone holds their proxy in this poll

    @property
    def own_vote_cast(self) -> bool:
        """Their own representatives (not a proxy) cast their vote."""
        return self.cast_by is not None and not self.by_proxy


async def voter_state(conn: Conn, poll_id: int, voter: str) -> VoterState:
    """A voter's electorate membership, counted vote and proxy in a poll, in one
    statement (every vote asks; each is a primary-key lookup)."""
    row = await fetch_one(
        conn,
        "SELECT EXISTS (SELECT 1 FROM poll_elector WHERE poll_id = ? AND voter = ?),"
        " v.choice, v.cast_by, v.by_proxy,"
        " EXISTS (SELECT 1 FROM poll_proxy WHERE poll_id = ? AND voter = ?)"
        " FROM (SELECT 1) AS one LEFT JOIN vote v ON v.poll_id = ? AND v.voter = ?",
        (poll_id, voter, poll_id, voter, poll_id, voter))
    return VoterState(bool(row[0]), row[1], None if row[2] is None else int(row[2]),
                      bool(row[3]), bool(row[4]))


async def drop_elector(conn: Conn, coalition_id: int, voter: str) -> int:
    """Take a voter out of the electorate of every open poll of the coalition in which
    they have not voted yet (a vote cast stays counted). How many polls."""
    cur = await conn.execute(
        "DELETE FROM poll_elector WHERE voter = ? AND poll_id IN (SELECT id FROM poll"
        " WHERE coalition_id = ? AND status = 'open') AND NOT EXISTS (SELECT 1 FROM vote"
        " WHERE vote.poll_id = poll_elector.poll_id AND vote.voter = poll_elector.voter)",
        (voter, coalition_id))
    return cur.rowcount


_FOUND_POLLS = RowCache(_poll)  # a poll read unchanged (every vote) is not parsed again


async def find_poll(conn: Conn, coalition_id: int, number: int) -> Poll | None:
    row = await fetch_one(conn, "SELECT * FROM poll WHERE coalition_id = ? AND number = ?",
                          (coalition_id, number))
    return _FOUND_POLLS(row) if row else None


async def list_polls(conn: Conn, coalition_id: int, status: str | None) -> list[Poll]:
    rows = await fetch_all(
        conn,
        "SELECT * FROM poll WHERE coalition_id = ? AND (? IS NULL OR status = ?)"
        " ORDER BY number DESC",
        (coalition_id, status, status))
    return [_poll(r) for r in rows]


async def cast_vote(conn: Conn, poll_id: int, voter: str, org_id: int | None, cast_by: int,
                    choice: str, reason: str | None, now: datetime, *,
                    by_proxy: bool = False) -> bool:
    """Record a voter's vote, replacing their earlier one. True if it replaced one.

    The (poll, voter) primary key makes two votes arriving at once end as one row.
    """
    row = await fetch_one(
        conn,
        "INSERT INTO vote (poll_id, voter, org_id, cast_by, choice, reason, cast_at, by_proxy)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (poll_id, voter) DO UPDATE SET cast_by = excluded.cast_by,"
        " choice = excluded.choice, reason = excluded.reason, cast_at = excluded.cast_at,"
        " by_proxy = excluded.by_proxy, changes = vote.changes + 1 RETURNING changes",
        (poll_id, voter, org_id, cast_by, choice, reason, iso(now), int(by_proxy)))
    return bool(row[0])


async def cast_anonymous_vote(conn: Conn, poll_id: int, voter: str, org_id: int | None,
                              cast_by: int, choice: str, now: datetime) -> bool:
    """Record that a voter voted and add their choice to the tally, apart from them.

    False (and nothing recorded) if this voter has voted already.
    """
    cur = await conn.execute(
        "INSERT INTO vote (poll_id, voter, org_id, cast_by, cast_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (poll_id, voter) DO NOTHING", (poll_id, voter, org_id, cast_by, iso(now)))
    if cur.rowcount != 1:
        return False
    await conn.execute(
        "UPDATE anonymous_tally SET votes = votes + 1 WHERE poll_id = ? AND choice = ?",
        (poll_id, choice))
    return True


async def add_to_tally(conn: Conn, poll_id: int, choice: str) -> None:
    """One more anonymous vote for a choice (a pick:K ballot's further choices)."""
    await conn.execute("UPDATE anonymous_tally SET votes = votes + 1 WHERE poll_id = ?"
                       " AND choice = ?", (poll_id, choice))


async def votes(conn: Conn, poll_id: int) -> list[Vote]:
    """The counted votes of a poll, first cast first, with voter and caster names.

    In a member poll the voter is the person who cast the vote.
    """
    rows = await fetch_all(
        conn,
        "SELECT v.*, coalesce(o.name, caster.display_name) AS voter_name,"
        " caster.display_name AS cast_by_name FROM vote v"
        " JOIN person caster ON caster.id = v.cast_by"
        " LEFT JOIN org o ON o.id = v.org_id"
        " WHERE v.poll_id = ? ORDER BY v.cast_at, v.voter",
        (poll_id,))
    return [Vote(r["voter"], r["voter_name"] or "?", r["cast_by_name"], r["cast_by"], r["choice"],
                 r["reason"], from_iso(r["cast_at"]), r["changes"], bool(r["by_proxy"]))
            for r in rows]


async def vote_choice(conn: Conn, poll_id: int, voter: str) -> str | None:
    """The choice a voter's counted vote holds now, if they voted."""
    row = await fetch_one(conn, "SELECT choice FROM vote WHERE poll_id = ? AND voter = ?",
                          (poll_id, voter))
    return row[0] if row else None


async def vote_caster(conn: Conn, poll_id: int, voter: str) -> int | None:
    """Who cast a voter's counted vote, if they voted."""
    row = await fetch_one(conn, "SELECT cast_by FROM vote WHERE poll_id = ? AND voter = ?",
                          (poll_id, voter))
    return int(row[0]) if row else None


async def anonymous_tallies(conn: Conn, poll_id: int) -> dict[str, int]:
    rows = await fetch_all(conn, "SELECT choice, votes FROM anonymous_tally WHERE poll_id = ?",
                           (poll_id,))
    return {r["choice"]: r["votes"] for r in rows}


async def count_people(conn: Conn, coalition_id: int) -> int:
    row = await fetch_one(conn, "SELECT count(*) FROM person WHERE coalition_id = ?",
                          (coalition_id,))
    return int(row[0])


async def set_text(conn: Conn, poll_id: int, question: str, details: str) -> None:
    """Change a poll's question and details (`/poll edit`)."""
    await conn.execute("UPDATE poll SET question = ?, details = ? WHERE id = ?",
                       (question, details, poll_id))


async def withdraw(conn: Conn, poll_id: int, by: int, reason: str, now: datetime) -> bool:
    """Take back an open poll: closed, with no decision; False if it was not open."""
    cur = await conn.execute(
        "UPDATE poll SET status = 'closed', closed_at = ?, closed_by = ?, withdrawn_at = ?,"
        " withdraw_reason = ? WHERE id = ? AND status = 'open'",
        (iso(now), by, iso(now), reason, poll_id))
    return cur.rowcount == 1


async def set_outcome_text(conn: Conn, poll_id: int, text: str) -> None:
    await conn.execute("UPDATE poll SET outcome_text = ? WHERE id = ?", (text, poll_id))


async def vote_count(conn: Conn, poll_id: int) -> int:
    row = await fetch_one(conn, "SELECT count(*) FROM vote WHERE poll_id = ?", (poll_id,))
    return int(row[0])


async def set_closes_at(conn: Conn, poll_id: int, closes_at: datetime) -> bool:
    """Move an open poll's closing time; False if it is closed."""
    cur = await conn.execute("UPDATE poll SET closes_at = ? WHERE id = ? AND status = 'open'",
                             (iso(closes_at), poll_id))
    return cur.rowcount == 1


async def mark_closed(conn: Conn, poll_id: int, closed_by: int | None, now: datetime) -> bool:
    """Close an open poll; False if it was closed already (by someone or something else)."""
    cur = await conn.execute(
        "UPDATE poll SET status = 'closed', closed_at = ?, closed_by = ?"
        " WHERE id = ? AND status = 'open'",
        (iso(now), closed_by, poll_id))
    return cur.rowcount == 1


async def add_decision(conn: Conn, coalition_id: int, poll: Poll, *, outcome: str,
                       summary: str, tallies: dict[str, int], voters: list[dict[str, str]],
                       electorate: int, quorum_met: bool, closed_by: str,
                       now: datetime) -> int:
    number = await next_number(conn, coalition_id, "decision")
    row = await fetch_one(
        conn,
        "INSERT INTO decision (coalition_id, number, poll_id, question, rule, outcome, summary,"
        " tallies, voters, electorate, voted, quorum_met, anonymous, decided_at, closed_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (coalition_id, number, poll.id, poll.question, poll.rule, outcome, summary,
         json.dumps(tallies), json.dumps(voters), electorate, len(voters), int(quorum_met),
         int(poll.anonymous), iso(now), closed_by))
    await add_pending_decision(conn, coalition_id, row[0], now)
    return number


async def decisions(conn: Conn, coalition_id: int, limit: int | None = None) -> list[Decision]:
    """The decision log, newest first."""
    rows = await fetch_all(
        conn,
        "SELECT d.*, p.number AS poll_number, p.quorum_pct AS quorum_pct,"
        " p.outcome_text AS statement FROM decision d"
        " LEFT JOIN poll p ON p.id = d.poll_id"
        " WHERE d.coalition_id = ? ORDER BY d.number DESC"
        + (" LIMIT ?" if limit is not None else ""),
        (coalition_id,) if limit is None else (coalition_id, limit))
    return [_decision(r) for r in rows]


def _decision(row: Row) -> Decision:
    return Decision(row["number"], row["poll_number"], row["question"], row["rule"],
                    row["outcome"], row["summary"], json.loads(row["tallies"]),
                    json.loads(row["voters"]), row["electorate"], row["voted"],
                    bool(row["quorum_met"]), bool(row["anonymous"]),
                    from_iso(row["decided_at"]), row["closed_by"], row["quorum_pct"],
                    row["statement"] or "")


async def add_record(conn: Conn, coalition_id: int, *, question: str, outcome: str,
                     summary: str, decided_by: str, now: datetime) -> int:
    """A decision-log entry that no poll decided (a coordinator's act, such as removing an
    off-limits topic). Returns its number."""
    number = await next_number(conn, coalition_id, "decision")
    row = await fetch_one(
        conn,
        "INSERT INTO decision (coalition_id, number, poll_id, question, rule, outcome, summary,"
        " tallies, voters, electorate, voted, quorum_met, anonymous, decided_at, closed_by)"
        " VALUES (?, ?, NULL, ?, 'coordinator', ?, ?, '{}', '[]', 0, 0, 0, 0, ?, ?)"
        " RETURNING id",
        (coalition_id, number, question, outcome, summary, iso(now), decided_by))
    await add_pending_decision(conn, coalition_id, row[0], now)
    return number


async def open_polls_closing_before(conn: Conn, end: datetime) -> list[Poll]:
    """Open polls of every coalition whose closing time is before `end`."""
    rows = await fetch_all(conn, "SELECT * FROM poll WHERE status = 'open' AND closes_at < ?"
                                 " ORDER BY closes_at", (iso_end(end),))
    return [_poll(r) for r in rows]


def closes_before(poll: Poll, end: datetime) -> bool:
    """Whether `open_polls_closing_before(end)` would find this open poll: the same bound,
    for a caller that read the polls closing before a later time once already."""
    return iso(poll.closes_at) < iso_end(end)


async def find_poll_by_id(conn: Conn, poll_id: int) -> Poll | None:
    row = await fetch_one(conn, "SELECT * FROM poll WHERE id = ?", (poll_id,))
    return _poll(row) if row else None


async def decision_for_poll(conn: Conn, poll_id: int) -> Decision | None:
    row = await fetch_one(
        conn, "SELECT d.*, p.number AS poll_number, p.quorum_pct AS quorum_pct,"
        " p.outcome_text AS statement FROM decision d"
              " JOIN poll p ON p.id = d.poll_id WHERE d.poll_id = ?", (poll_id,))
    return _decision(row) if row else None
