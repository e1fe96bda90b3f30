"""Coalition health: who carries what, who has gone quiet. Pure functions over the rows
the store reads (`store.health`); `services.health` wires them together.

Figures per organization (over a period): the share of organization polls it could
vote in that it voted in, the median time from a poll opening to its vote, meetings its
people said yes to and attended, its people's open, overdue and (in the period) done
action items, roles held. Flags are short sentences, each with the number behind it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from coalition_bot.model import Org
from coalition_bot.rules.workload import overloaded

__all__ = [
    "LISTED_OVERDUE", "OVERDUE_FLAG_AFTER", "SILENT_POLLS", "Flag", "OldOverdue",
    "OrgHealth", "OwnerActions", "PersonLoad", "flags", "org_health", "person_loads",
]

SILENT_POLLS = 3  # flag an organization that voted in none of its last this many polls
OVERDUE_FLAG_AFTER = timedelta(days=14)
LISTED_OVERDUE = 5  # overdue actions named in the flag


@dataclass(frozen=True, slots=True)
class OrgHealth:
    org: Org
    polls: int  # organization polls closed in the period that it could vote in
    voted: int
    median_to_vote: timedelta | None
    said_yes: int  # meeting occurrences one of its people said yes to
    attended: int  # meeting occurrences one of its people attended
    open_actions: int
    overdue_actions: int
    done_actions: int  # done in the period
    roles: int
    representatives: int
    silent: int  # how many of its latest polls in a row it did not vote in

    @property
    def vote_share(self) -> float | None:
        return self.voted / self.polls if self.polls else None


@dataclass(frozen=True, slots=True)
class PersonLoad:
    person_id: int
    name: str
    open_actions: int
    roles: int

    @property
    def load(self) -> int:
        return self.open_actions + self.roles


@dataclass(frozen=True, slots=True)
class Flag:
    """One plain-language warning; `org_id` when it is about one organization."""

    text: str
    org_id: int | None = None


@dataclass(frozen=True, slots=True)
class OwnerActions:
    """One owner's action items (counted by the store): open now, overdue now, done in
    the period. `person_id` None: the items nobody owns."""

    person_id: int | None
    name: str
    open: int
    overdue: int
    done: int


@dataclass(frozen=True, slots=True)
class OldOverdue:
    """Open action items overdue by more than `OVERDUE_FLAG_AFTER`: how many, and the
    oldest `LISTED_OVERDUE` as (number, owner's name or '', due)."""

    count: int
    oldest: list[tuple[int, str, datetime]]


def _orgs_of(members: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    for person_id, org_id in members:
        found[person_id].add(org_id)
    return found


def org_health(orgs: list[Org], *, polls: Mapping[int, tuple[int, int, int]],
               delays: Mapping[int, float], members: list[tuple[int, int]],
               representatives: Mapping[int, int], said_yes: Mapping[int, int],
               attended: Mapping[int, int], actions: list[OwnerActions],
               roles: list[tuple[int, str, int | None]]) -> list[OrgHealth]:
    """One row per organization, in the order given. `polls`: org → (polls it could vote
    in, voted in, latest in a row not voted in); `delays`: org → the median of seconds
    from a poll opening to its vote; `said_yes`, `attended`: org → meeting occurrences."""
    orgs_of = _orgs_of(members)
    open_: defaultdict[int, int] = defaultdict(int)
    overdue: defaultdict[int, int] = defaultdict(int)
    done: defaultdict[int, int] = defaultdict(int)
    for a in actions:
        for org_id in orgs_of.get(a.person_id, ()) if a.person_id is not None else ():
            open_[org_id] += a.open
            overdue[org_id] += a.overdue
            done[org_id] += a.done
    held: dict[int, int] = defaultdict(int)
    for person_id, _, on_behalf in roles:
        for org_id in {on_behalf} if on_behalf is not None else orgs_of.get(person_id, ()):
            held[org_id] += 1
    rows = []
    for o in orgs:
        count, voted, silent = polls.get(o.id, (0, 0, 0))
        middle = delays.get(o.id)
        rows.append(OrgHealth(o, count, voted,
                              timedelta(seconds=middle) if middle is not None else None,
                              said_yes.get(o.id, 0), attended.get(o.id, 0), open_[o.id],
                              overdue[o.id], done[o.id], held[o.id],
                              representatives.get(o.id, 0), silent))
    return rows


def person_loads(actions: list[OwnerActions], roles: list[tuple[int, str, int | None]]
                 ) -> list[PersonLoad]:
    """Open actions and roles per person who has any, by name."""
    names: dict[int, str] = {}
    open_: dict[int, int] = defaultdict(int)
    held: dict[int, int] = defaultdict(int)
    for a in actions:
        if a.person_id is not None and a.open:
            open_[a.person_id] += a.open
            names[a.person_id] = a.name
    for person_id, name, _ in roles:
        held[person_id] += 1
        names[person_id] = name
    return sorted((PersonLoad(p, names[p], open_[p], held[p]) for p in names),
                  key=lambda p: (p.name.casefold(), p.person_id))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def flags(rows: list[OrgHealth], people: list[PersonLoad], old: OldOverdue,
          now: datetime) -> list[Flag]:
    """The warnings worth a coordinator's look, each with the number behind it."""
    found: list[Flag] = []
    for r in rows:
        name = r.org.name
        if not r.org.observer and r.silent >= SILENT_POLLS:
            found.append(Flag(f"{name} has not voted in the last {r.silent} polls.", r.org.id))
        if r.representatives == 0:
            found.append(Flag(f"{name} has no representative.", r.org.id))
        if not r.org.observer and r.open_actions + r.roles + r.done_actions == 0:
            found.append(Flag(f"{name} carries nothing: 0 open action items, 0 roles, "
                              "0 action items finished in the period.", r.org.id))
    loads = {p.person_id: p.load for p in people}
    heavy = overloaded(loads)
    if heavy:
        middle = median(n for n in loads.values() if n > 0)
        for p in people:
            if p.person_id in heavy:
                found.append(Flag(f"{p.name} carries {p.load} (open action items and roles), "
                                  f"more than twice the median of {middle:g}."))
    if old.count:
        listed = ", ".join(f"#{number} ({name or 'no owner'}, {(now - due).days} days)"
                           for number, name, due in old.oldest[:LISTED_OVERDUE])
        more = (f" and {old.count - LISTED_OVERDUE} more" if old.count > LISTED_OVERDUE
                else "")
        found.append(Flag(f"{_plural(old.count, 'action item')} overdue by more than two "
                          f"weeks: {listed}{more}."))
    return found
