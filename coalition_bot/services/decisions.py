"""The decision log: what the coalition decided, and an export of it."""

from __future__ import annotations

import csv
import io
import json
from zoneinfo import ZoneInfo

from coalition_bot.model import Decision
from coalition_bot.replies import Attachment
from coalition_bot.services.context import Context
from coalition_bot.store import polls as poll_sql

__all__ = ["export", "latest", "voters_line"]

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


def _cell(value: object) -> object:
    """Keep spreadsheets from running user text as a formula (`=cmd|...`)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def export(ctx: Context, fmt: str) -> Attachment:
    """The whole decision log, oldest first, as CSV or JSON."""
    rows = [_record(d, ctx.coalition.timezone)
            for d in reversed(await poll_sql.decisions(ctx.conn, ctx.coalition.id))]
    stamp = ctx.now.strftime("%Y%m%d-%H%M")
    if fmt == "json":
        return Attachment(f"decisions-{stamp}.json",
                          json.dumps(rows, indent=2, ensure_ascii=False) + "\n",
                          "application/json")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in rows:
        row["tallies"] = json.dumps(row["tallies"], ensure_ascii=False)
        row["voters"] = json.dumps(row["voters"], ensure_ascii=False)
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return Attachment(f"decisions-{stamp}.csv", out.getvalue(), "text/csv")
