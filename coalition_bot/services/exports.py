"""Files a coalition takes elsewhere (a report, a spreadsheet): the decision log, every
vote, the shared goals with their progress, the action items, the offers and asks
between partners. CSV or JSON.

CSV cells never become spreadsheet formulas: a `'` goes before `= + - @` (and a leading
tab or carriage return) at the start of a cell *and* after any `;`, `,`, tab or line
break inside it, since a spreadsheet whose list separator is `;` (common in Europe)
splits `x;=cmd|' /C calc'!A0` into cells of its own."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from coalition_bot.replies import Attachment
from coalition_bot.services import decision_log, decisions, goals, meetings
from coalition_bot.services.context import Context
from coalition_bot.store import resources as resource_sql

__all__ = ["EXPORTS", "Export", "export", "table_file"]

Export = Literal["decisions", "votes", "goals", "actions", "resources", "log"]
EXPORTS: tuple[Export, ...] = get_args(Export)
GOAL_COLUMNS = ("goal", "text", "status", "created_at", "updated_at", "updates")
ACTION_COLUMNS = ("action", "meeting", "occurrence", "text", "owner", "due_at", "done_at",
                  "added_at")
RESOURCE_COLUMNS = ("number", "kind", "organization", "text", "tags", "status", "posted_at",
                    "ends_at", "closed_at", "close_note", "takes")


_INNER_FORMULA = re.compile(r"([;,\t\r\n][\s\"]*)([=+\-@])")


def _cell(value: object) -> object:
    """Keep spreadsheets from running user text as a formula (`=cmd|...`), even when
    they split the cell at a `;` or `,` inside it (`x;=1+1`)."""
    if not isinstance(value, str):
        return value
    value = _INNER_FORMULA.sub(r"\1'\2", value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def table_file(kind: str, rows: list[dict[str, object]], columns: Sequence[str], fmt: str,
               now: datetime) -> Attachment:
    """Rows as a CSV (nested values as JSON text, formula-safe) or JSON file."""
    stamp = now.strftime("%Y%m%d-%H%M")
    if fmt == "json":
        return Attachment(f"{kind}-{stamp}.json",
                          json.dumps(rows, indent=2, ensure_ascii=False) + "\n",
                          "application/json")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(json.dumps(v, ensure_ascii=False)
                                  if isinstance(v, dict | list) else v)
                         for k, v in row.items()})
    return Attachment(f"{kind}-{stamp}.csv", out.getvalue(), "text/csv")


def _local(when: datetime | None, timezone: str) -> str | None:
    return when.astimezone(ZoneInfo(timezone)).isoformat() if when else None


async def _goal_rows(ctx: Context) -> list[dict[str, object]]:
    tz = ctx.coalition.timezone
    return [{"goal": g.number, "text": g.text, "status": g.status,
             "created_at": _local(g.created_at, tz), "updated_at": _local(g.updated_at, tz),
             "updates": [{"at": _local(u.created_at, tz), "by": u.author, "status": u.status,
                          "note": u.note} for u in updates]}
            for g, updates in await goals.goal_board(ctx)]


async def _action_rows(ctx: Context) -> list[dict[str, object]]:
    tz = ctx.coalition.timezone
    return [{"action": n.action_number, "meeting": n.meeting_number,
             "occurrence": n.occurrence, "text": n.text, "owner": n.owner_name,
             "due_at": _local(n.due_at, tz), "done_at": _local(n.done_at, tz),
             "added_at": _local(n.added_at, tz)}
            for n in await meetings.action_list(ctx, "all")]


async def _resource_rows(ctx: Context) -> list[dict[str, object]]:
    tz = ctx.coalition.timezone
    return [{"number": r.number, "kind": r.kind, "organization": r.org_name, "text": r.text,
             "tags": list(r.tags), "status": r.state(ctx.now),
             "posted_at": _local(r.created_at, tz), "ends_at": _local(r.ends_at, tz),
             "closed_at": _local(r.closed_at, tz), "close_note": r.close_note,
             "takes": [{"organization": t.org_name, "by": t.person_name, "note": t.note,
                        "at": _local(t.created_at, tz)} for t in r.takes]}
            for r in await resource_sql.all_resources(ctx.conn, ctx.coalition.id)]


async def export(ctx: Context, what: str, fmt: str) -> Attachment:
    """One of `EXPORTS`, oldest first, as CSV or JSON."""
    if what == "goals":
        return table_file("goals", await _goal_rows(ctx), GOAL_COLUMNS, fmt, ctx.now)
    if what == "actions":
        return table_file("actions", await _action_rows(ctx), ACTION_COLUMNS, fmt, ctx.now)
    if what == "resources":
        return table_file("resources", await _resource_rows(ctx), RESOURCE_COLUMNS, fmt,
                          ctx.now)
    if what == "log":  # JSON only: a CSV cell could not be checked byte for byte
        await decision_log.seal(ctx.conn, ctx.coalition.id)
        chain = await decision_log.export_entries(ctx.conn, ctx.coalition.id)
        body = {"coalition": ctx.coalition.name, "format": "coalition-bot decision log 1",
                "head": chain[-1]["hash"] if chain else None, "entries": chain}
        return Attachment(f"log-{ctx.now:%Y%m%d-%H%M}.json",
                          json.dumps(body, indent=2, ensure_ascii=False) + "\n",
                          "application/json")
    if what == "votes":
        return table_file("votes", await decisions.vote_rows(ctx), decisions.VOTE_COLUMNS,
                          fmt, ctx.now)
    if fmt == "json":
        return table_file("decisions", await decisions.records(ctx), (), fmt, ctx.now)
    rows, columns = await decisions.csv_rows(ctx)
    return table_file("decisions", rows, columns, fmt, ctx.now)
