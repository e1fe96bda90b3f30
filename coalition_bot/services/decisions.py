"""The decision log: what the coalition decided, and an export of it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from coalition_bot.model import Decision
from coalition_bot.services.context import Context
from coalition_bot.store import polls as poll_sql

__all__ = ["EXPORT_COLUMNS", "latest", "records", "voters_line"]

EXPORT_COLUMNS = ("decision", "poll", "question", "rule", "outcome", "summary", "decided_at",
                  "closed_by", "electorate", "voted", "quorum_met", "anonymous", "tallies",
                  "voters")


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
            text += f" (by {v['cast_by']})"
        if v.get("reason"):
            text += f" ({v['reason']})"
        parts.append(text)
    return "; ".join(parts)


def _record(d: Decision, timezone: str) -> dict[str, object]:
    return {
        "decision": d.number, "poll": d.poll_number, "question": d.question, "rule": d.rule,
        "outcome": d.outcome, "summary": d.summary,
        "decided_at": d.decided_at.astimezone(ZoneInfo(timezone)).isoformat(),
        "closed_by": d.closed_by,
        "electorate": d.electorate, "voted": d.voted, "quorum_met": d.quorum_met,
        "anonymous": d.anonymous, "tallies": d.tallies, "voters": d.voters,
    }


async def records(ctx: Context) -> list[dict[str, object]]:
    """The whole decision log, oldest first, as export rows (`EXPORT_COLUMNS`)."""
    return [_record(d, ctx.coalition.timezone)
            for d in reversed(await poll_sql.decisions(ctx.conn, ctx.coalition.id))]
