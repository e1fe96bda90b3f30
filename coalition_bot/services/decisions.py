"""The decision log: what the coalition decided, and an export of it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from coalition_bot.model import Decision
from coalition_bot.services.context import Context
from coalition_bot.store import chain as chain_sql
from coalition_bot.store import polls as poll_sql

__all__ = ["CSV_COLUMNS", "VOTE_COLUMNS", "csv_rows", "latest", "records", "vote_rows",
           "voters_line"]

# One row per decision; its tallies follow as `choice_1`, `votes_1`, `choice_2`, ...
CSV_COLUMNS = ("decision", "poll", "question", "rule", "quorum_pct", "outcome", "summary",
               "decided_at", "closed_by", "electorate", "voted", "quorum_met", "anonymous",
               "statement")
# One row per vote (anonymous polls: who voted, never what)
VOTE_COLUMNS = ("decision", "poll", "question", "voter", "cast_by", "choice", "reason")


async def latest(ctx: Context, limit: int) -> list[Decision]:
    """The newest `limit` decisions, newest first."""
    return await poll_sql.decisions(ctx.conn, ctx.coalition.id, limit)


def voters_line(decision: Decision) -> str:
    """`Tenants United: agree (by Bob: reason); ...`; names only for anonymous polls."""
    parts = []
    for v in decision.voters:
        text = v["voter"]
        if "choice" in v:
            text += f": {v['choice']}"
        if v.get("cast_by") and v["cast_by"] != v["voter"]:
            text += f" (by {v['cast_by']}, by proxy)" if v.get("proxy") else \
                f" (by {v['cast_by']})"
        if v.get("reason"):
            text += f" ({v['reason']})"
        parts.append(text)
    return "; ".join(parts)


def _record(d: Decision, timezone: str) -> dict[str, object]:
    return {
        "decision": d.number, "poll": d.poll_number, "question": d.question, "rule": d.rule,
        "quorum_pct": d.quorum_pct, "outcome": d.outcome, "summary": d.summary,
        "decided_at": d.decided_at.astimezone(ZoneInfo(timezone)).isoformat(),
        "closed_by": d.closed_by,
        "electorate": d.electorate, "voted": d.voted, "quorum_met": d.quorum_met,
        "anonymous": d.anonymous, "statement": d.statement, "tallies": d.tallies,
        "voters": d.voters,
    }


async def _log(ctx: Context) -> list[Decision]:
    return list(reversed(await poll_sql.decisions(ctx.conn, ctx.coalition.id)))


async def records(ctx: Context) -> list[dict[str, object]]:
    """The whole decision log, oldest first, as JSON records (tallies and voters nested),
    each with its entry's place in the hash chain and its hash (`log_entry`, `hash`)."""
    chained = await chain_sql.decision_hashes(ctx.conn, ctx.coalition.id)
    found = []
    for d in await _log(ctx):
        seq, digest = chained.get(d.number, (None, None))
        found.append({**_record(d, ctx.coalition.timezone), "log_entry": seq, "hash": digest})
    return found


async def csv_rows(ctx: Context) -> tuple[list[dict[str, object]], list[str]]:
    """The decision log, oldest first, one flat row per decision, and its columns:
    `CSV_COLUMNS`, then a `choice_N`, `votes_N` pair per choice of the longest ballot."""
    rows, widest = [], 0
    for d in await _log(ctx):
        row = _record(d, ctx.coalition.timezone)
        del row["tallies"], row["voters"]
        for i, (choice, votes) in enumerate(d.tallies.items(), start=1):
            row[f"choice_{i}"], row[f"votes_{i}"] = choice, votes
        widest = max(widest, len(d.tallies))
        rows.append(row)
    slots = [f"{name}_{i}" for i in range(1, widest + 1) for name in ("choice", "votes")]
    return rows, [*CSV_COLUMNS, *slots]


async def vote_rows(ctx: Context) -> list[dict[str, object]]:
    """Every vote of every decision, oldest decision first (`VOTE_COLUMNS`); an anonymous
    poll's rows name who voted and leave the choice and reason empty."""
    return [{"decision": d.number, "poll": d.poll_number, "question": d.question,
             "voter": v["voter"], "cast_by": v.get("cast_by"), "choice": v.get("choice"),
             "reason": v.get("reason")}
            for d in await _log(ctx) for v in d.voters]
