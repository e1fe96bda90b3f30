"""The decision log's hash chain as stored (`log_entry`, migration 0015): its SQL, what a
decision entry holds, sealing pending entries and verifying the chain. The hashing is
`rules/chain.py`; why it is built this way is `services/decision_log.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coalition_bot.rules.chain import GENESIS, canonical, entry_hash, short
from coalition_bot.store.database import Conn
from coalition_bot.store.rows import Row, fetch_all, fetch_one, iso

__all__ = [
    "Broken",
    "Verdict",
    "add_entry",
    "add_pending_decision",
    "append",
    "check_all",
    "decision_body",
    "decision_hashes",
    "decision_row",
    "entries",
    "export_entries",
    "hash_for_decision",
    "hash_for_poll",
    "head",
    "last_sealed",
    "pending",
    "seal",
    "seal_row",
    "short",
    "unchained_decisions",
    "verify",
    "vote_rows",
]


async def add_pending_decision(conn: Conn, coalition_id: int, decision_id: int,
                               now: datetime) -> None:
    """Mark a decision row just written as waiting to be chained (same transaction)."""
    await conn.execute(
        "INSERT INTO log_entry (coalition_id, kind, decision_id, recorded_at)"
        " VALUES (?, 'decision', ?, ?)", (coalition_id, decision_id, iso(now)))


async def pending(conn: Conn, coalition_id: int) -> list[Row]:
    """Entries waiting to be chained, oldest first (`id`, `decision_id`)."""
    return await fetch_all(conn, "SELECT id, decision_id FROM log_entry WHERE coalition_id = ?"
                                 " AND hash IS NULL ORDER BY id", (coalition_id,))


async def last_sealed(conn: Conn, coalition_id: int) -> tuple[int, str] | None:
    """The newest chained entry's (seq, hash), if any."""
    row = await fetch_one(conn, "SELECT seq, hash FROM log_entry WHERE coalition_id = ?"
                                " AND hash IS NOT NULL ORDER BY seq DESC LIMIT 1",
                          (coalition_id,))
    return (int(row[0]), str(row[1])) if row else None


async def seal_row(conn: Conn, entry_id: int, seq: int, body: str, prev_hash: str,
               hash_: str) -> None:
    await conn.execute("UPDATE log_entry SET seq = ?, body = ?, prev_hash = ?, hash = ?"
                       " WHERE id = ?", (seq, body, prev_hash, hash_, entry_id))


async def add_entry(conn: Conn, coalition_id: int, *, seq: int, kind: str, body: str,
                    prev_hash: str, hash_: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO log_entry (coalition_id, seq, kind, body, prev_hash, hash, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (coalition_id, seq, kind, body, prev_hash, hash_, iso(now)))


async def entries(conn: Conn, coalition_id: int) -> list[Row]:
    """Every chained entry, in chain order."""
    return await fetch_all(conn, "SELECT seq, kind, decision_id, body, prev_hash, hash"
                                 " FROM log_entry WHERE coalition_id = ? AND hash IS NOT NULL"
                                 " ORDER BY seq", (coalition_id,))


async def decision_row(conn: Conn, decision_id: int) -> Row | None:
    """A decision row with its poll's number (NULL for a record no poll decided)."""
    row: Row | None = await fetch_one(
        conn, "SELECT d.*, p.number AS poll_number FROM decision d"
              " LEFT JOIN poll p ON p.id = d.poll_id WHERE d.id = ?", (decision_id,))
    return row


async def vote_rows(conn: Conn, poll_id: int) -> tuple[list[Row], list[Row]]:
    """A poll's vote rows (by voter) and its anonymous tally rows (by choice)."""
    votes = await fetch_all(conn, "SELECT * FROM vote WHERE poll_id = ? ORDER BY voter",
                            (poll_id,))
    tally = await fetch_all(conn, "SELECT choice, votes FROM anonymous_tally"
                                  " WHERE poll_id = ? ORDER BY choice", (poll_id,))
    return votes, tally


async def unchained_decisions(conn: Conn, coalition_id: int) -> list[int]:
    """Numbers of decisions that no log entry covers (written outside the bot)."""
    rows = await fetch_all(conn, "SELECT d.number FROM decision d WHERE d.coalition_id = ?"
                                 " AND NOT EXISTS (SELECT 1 FROM log_entry e"
                                 " WHERE e.decision_id = d.id) ORDER BY d.number",
                           (coalition_id,))
    return [int(r[0]) for r in rows]


async def decision_hashes(conn: Conn, coalition_id: int) -> dict[int, tuple[int, str]]:
    """Decision number → (its entry's seq, its hash), for the chained decisions."""
    rows = await fetch_all(conn, "SELECT d.number, e.seq, e.hash FROM log_entry e JOIN decision d"
                                 " ON d.id = e.decision_id WHERE e.coalition_id = ?"
                                 " AND e.hash IS NOT NULL", (coalition_id,))
    return {int(r[0]): (int(r[1]), str(r[2])) for r in rows}


async def hash_for_decision(conn: Conn, decision_id: int) -> str | None:
    row = await fetch_one(conn, "SELECT hash FROM log_entry WHERE decision_id = ?",
                          (decision_id,))
    return row[0] if row else None


async def hash_for_poll(conn: Conn, poll_id: int) -> str | None:
    """The chain hash of the entry that recorded a poll's decision, if chained."""
    row = await fetch_one(conn, "SELECT e.hash FROM log_entry e JOIN decision d"
                                " ON d.id = e.decision_id WHERE d.poll_id = ?", (poll_id,))
    return row[0] if row else None


_KIND_WORDS = {"org-added": "organization added", "coordinator-added": "coordinator added",
               "coordinator-removed": "coordinator removed", "poll-withdrawn": "poll withdrawn",
               "poll-outcome": "written outcome", "poll-edited": "poll edited"}


def _vote(row: Row) -> dict[str, Any]:
    vote = {"voter": row["voter"], "cast_by": row["cast_by"], "choice": row["choice"],
            "reason": row["reason"], "cast_at": row["cast_at"]}
    if row["by_proxy"]:  # cast for the organization by the holder of its proxy
        vote["by_proxy"] = True
    return vote


async def decision_body(conn: Conn, decision_id: int, seq: int) -> dict[str, Any] | None:
    """A decision entry as the database holds it now: the decision row, and the poll's
    votes (who cast what for whom, when) and anonymous tally. None if the row is gone."""
    row = await decision_row(conn, decision_id)
    if row is None:
        return None
    body: dict[str, Any] = {
        "kind": "decision", "seq": seq, "decision": row["number"], "poll": row["poll_number"],
        "question": row["question"], "rule": row["rule"], "outcome": row["outcome"],
        "summary": row["summary"], "tallies": json.loads(row["tallies"]),
        "voters": json.loads(row["voters"]), "electorate": row["electorate"],
        "voted": row["voted"], "quorum_met": bool(row["quorum_met"]),
        "anonymous": bool(row["anonymous"]), "decided_at": row["decided_at"],
        "closed_by": row["closed_by"], "votes": []}
    if row["poll_id"] is not None:
        votes, tally = await vote_rows(conn, row["poll_id"])
        body["votes"] = [_vote(v) for v in votes]
        if row["anonymous"]:
            body["anonymous_tally"] = {t["choice"]: t["votes"] for t in tally}
    return body


async def seal(conn: Conn, coalition_id: int) -> str | None:
    """Chain every pending entry, oldest first; the head hash afterwards (None: empty)."""
    last = await last_sealed(conn, coalition_id)
    seq, prev = last if last else (0, GENESIS)
    for row in await pending(conn, coalition_id):
        seq += 1
        body = await decision_body(conn, row["decision_id"], seq)
        text = canonical(body if body is not None else {"kind": "decision", "seq": seq})
        digest = entry_hash(prev, text)
        await seal_row(conn, row["id"], seq, text, prev, digest)
        prev = digest
    return prev if seq else None


async def append(conn: Conn, coalition_id: int, kind: str, fields: dict[str, Any],
                 now: datetime) -> str:
    """Add an entry of `kind` (after chaining what is pending); the new head hash."""
    await seal(conn, coalition_id)
    last = await last_sealed(conn, coalition_id)
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    text = canonical({**fields, "kind": kind, "seq": seq, "at": iso(now)})
    digest = entry_hash(prev, text)
    await add_entry(conn, coalition_id, seq=seq, kind=kind, body=text,
                              prev_hash=prev, hash_=digest, now=now)
    return digest


async def head(conn: Conn, coalition_id: int) -> tuple[int, str] | None:
    """(entries, head hash) of the chain as it stands (pending entries not counted)."""
    return await last_sealed(conn, coalition_id)


@dataclass(frozen=True, slots=True)
class Broken:
    seq: int  # the first entry that does not match (0: none, a decision no entry covers)
    label: str  # what the entry records: "decision #3 (Join the march?)"
    why: str


@dataclass(frozen=True, slots=True)
class Verdict:
    entries: int
    head: str | None
    broken: Broken | None


def _label(body: dict[str, Any], kind: str) -> str:
    if kind == "decision":
        what = body.get("question", "")
        return f"decision #{body.get('decision', '?')}" + (f" ({what})" if what else "")
    what = body.get("name") or body.get("person") or (
        f"poll #{body['poll']}" if body.get("poll") else "")
    return _KIND_WORDS.get(kind, kind) + (f": {what}" if what else "")


def _parse(text: str | None) -> dict[str, Any]:
    try:
        found = json.loads(text or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


async def _fault(conn: Conn, row: Row, body: dict[str, Any], prev: str, seq: int) -> str:
    """Why one entry does not match ('' if it does)."""
    if row["seq"] != seq:
        return f"entry {seq} is missing before it"
    if row["prev_hash"] != prev:
        return ("it does not follow the entry before it (its previous hash differs): an "
                "entry before it was removed, added or rewritten")
    if entry_hash(row["prev_hash"], row["body"]) != row["hash"]:
        return "its content does not give its hash: it was changed"
    if row["kind"] != "decision":
        return ""
    now = await decision_body(conn, row["decision_id"], row["seq"])
    if now is None:
        return "its decision row is gone from the database"
    if canonical(now) != row["body"]:
        changed = sorted(k for k in {*now, *body} if now.get(k) != body.get(k))
        return ("the decision in the database no longer matches it (changed: "
                f"{', '.join(changed)})")
    return ""


async def verify(conn: Conn, coalition_id: int) -> Verdict:
    """Recompute the chain: each entry's link to the one before, its hash, and (decision
    entries) its content against the decision and vote rows as they are now."""
    prev, count = GENESIS, 0
    for row in await entries(conn, coalition_id):
        count += 1
        body = _parse(row["body"])
        why = await _fault(conn, row, body, prev, count)
        if why:
            return Verdict(count - 1, None, Broken(row["seq"], _label(body, row["kind"]), why))
        prev = row["hash"]
    loose = await unchained_decisions(conn, coalition_id)
    if loose:
        return Verdict(count, None, Broken(0, f"decision #{loose[0]}", "no entry of the "
                                           "chain covers it: it was added outside the bot"))
    return Verdict(count, prev if count else None, None)


async def export_entries(conn: Conn, coalition_id: int) -> list[dict[str, Any]]:
    """The chain for the export: each entry with its hashes, in order."""
    return [{"seq": r["seq"], "kind": r["kind"], "prev_hash": r["prev_hash"],
             "hash": r["hash"], "entry": _parse(r["body"])}
            for r in await entries(conn, coalition_id)]


async def check_all(conn: Conn) -> list[tuple[str, Verdict]]:
    """Seal and verify the chain of every coalition in the file: (name, verdict)."""
    found = []
    for row in await fetch_all(conn, "SELECT id, name FROM coalition ORDER BY id"):
        await seal(conn, row["id"])
        found.append((str(row["name"]), await verify(conn, row["id"])))
    return found
