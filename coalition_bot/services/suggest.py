"""Suggestions for a value someone is typing: autocomplete for front doors that have it.

Platform-neutral: given where the user is (platform and workspace), what kind of value
they are typing and what they typed so far, the `(label, value)` pairs that fit, taken
from the coalition bound to that workspace only. Nothing of another coalition is ever
suggested, and a workspace with no coalition gets no suggestions.

Kinds: the `kind` of a NUMBER option (`poll`: polls open for votes, `meeting`: meetings
with an occurrence to come, soonest first, `action`: open action items, `goal`,
`resource`: open offers and asks, newest first), `org`
(organization names) and `timezone` (IANA names; needs no database).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from coalition_bot.model import Coalition
from coalition_bot.rules.zones import geographic_zones
from coalition_bot.services.meetings import next_occurrence
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import goals as goal_sql
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import orgs as org_sql
from coalition_bot.store import polls as poll_sql
from coalition_bot.store import resources as resource_sql
from coalition_bot.store.database import Conn, Database

__all__ = ["KINDS", "LABEL_MAX", "Suggestion", "suggest"]

LABEL_MAX = 100  # what chat platforms show of one suggestion (Discord: 100 characters)


@dataclass(frozen=True, slots=True)
class Suggestion:
    label: str  # what the user sees
    value: str  # what the option receives: a number (`3`) or a name


@dataclass(frozen=True, slots=True)
class _Candidate:
    number: int | None
    label: str
    value: str


def _clip(text: str, limit: int = LABEL_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


async def _polls(conn: Conn, coalition: Coalition, now: datetime) -> list[_Candidate]:
    polls = await poll_sql.list_polls(conn, coalition.id, "open")
    return [_Candidate(p.number, f"#{p.number} {p.question}", str(p.number))
            for p in polls if p.accepts_votes(now)]


async def _meetings(conn: Conn, coalition: Coalition, now: datetime) -> list[_Candidate]:
    found = []
    for meeting in await meeting_sql.list_meetings(conn, coalition.id):
        occ = await next_occurrence(conn, meeting, now)
        if occ is not None:
            found.append(occ)
    found.sort(key=lambda o: o.start)
    out = []
    for occ in found:
        local = occ.start.astimezone(ZoneInfo(coalition.timezone))
        when = f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
        number = occ.meeting.number
        out.append(_Candidate(number, f"#{number} {occ.meeting.title} ({when})", str(number)))
    return out


async def _actions(conn: Conn, coalition: Coalition, now: datetime) -> list[_Candidate]:
    notes = await meeting_sql.actions(conn, coalition.id, open_only=True)
    return [_Candidate(n.action_number, f"#{n.action_number} {n.text}"
                       + (f" ({n.owner_name})" if n.owner_name else ""), str(n.action_number))
            for n in notes if n.action_number is not None]


async def _goals(conn: Conn, coalition: Coalition, now: datetime) -> list[_Candidate]:
    goals = await goal_sql.list_goals(conn, coalition.id)
    return [_Candidate(g.number, f"#{g.number} {g.text} [{g.status}]", str(g.number))
            for g in goals]


async def _resources(conn: Conn, coalition: Coalition, now: datetime) -> list[_Candidate]:
    items = await resource_sql.open_resources(conn, coalition.id, now)
    return [_Candidate(r.number, f"#{r.number} {r.kind} of {r.org_name}: {r.text}",
                       str(r.number)) for r in items]


async def _orgs(conn: Conn, coalition: Coalition, now: datetime) -> list[_Candidate]:
    orgs = await org_sql.list_orgs(conn, coalition.id)
    return [_Candidate(o.number, o.name + (" (observer)" if o.observer else ""), o.name)
            for o in orgs]


_Finder = Callable[[Conn, Coalition, datetime], Awaitable[list[_Candidate]]]
_FINDERS: dict[str, _Finder] = {
    "poll": _polls, "meeting": _meetings, "action": _actions, "goal": _goals, "org": _orgs,
    "resource": _resources,
}
KINDS = (*_FINDERS, "timezone")


def _matching(candidates: list[_Candidate], typed: str, limit: int) -> list[Suggestion]:
    key = " ".join(typed.strip().lstrip("#").casefold().split())
    out = []
    for c in candidates:
        if not key or (c.number is not None and str(c.number).startswith(key)) \
                or key in c.label.casefold():
            out.append(Suggestion(_clip(c.label), c.value[:LABEL_MAX]))
        if len(out) >= limit:
            break
    return out


_ZONES: list[str] = []


def _timezones(typed: str, limit: int) -> list[Suggestion]:
    if not _ZONES:
        _ZONES.extend(sorted(geographic_zones().values()))
    key = typed.strip().replace(" ", "_").casefold()
    starts = [z for z in _ZONES if z.casefold().startswith(key)]
    inside = [z for z in _ZONES if key in z.casefold() and z not in starts]
    return [Suggestion(z, z) for z in (starts + inside)[:limit]]


async def suggest(db: Database, *, platform: str, workspace_id: str, kind: str, typed: str,
                  now: datetime, limit: int = 25) -> list[Suggestion]:
    """What fits `typed` for a value of `kind`, in the coalition of this workspace.

    An unknown kind, or a workspace without a coalition, gets an empty list.
    """
    if kind == "timezone":
        return _timezones(typed, limit)
    finder = _FINDERS.get(kind)
    if finder is None:
        return []
    async with db.transaction() as conn:
        binding = await coalition_sql.find_binding(conn, platform, workspace_id)
        if binding is None:
            return []
        coalition = await coalition_sql.get_coalition(conn, binding.coalition_id)
        candidates = await finder(conn, coalition, now)
    return _matching(candidates, typed, limit)
