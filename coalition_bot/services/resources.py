"""The resource board: what partner organizations offer each other and ask for.

An organization posts an offer or an ask (its representatives for it, coordinators for
any organization, naming it); others commit to meet an ask or to use an offer
(`take`); the poster's organization or a coordinator closes it (met, withdrawn,
expired). An item past its date is expired when read. A few days before that date the
scheduler reminds its organization privately (`resource-expiring`, see
`services.deliveries`).

In detail:

- `/resource` is the usual shape: `commands/resource.py` (spec, handlers → `Reply`),
  `services/resources.py` (use cases, the expiry reminder, `network_numbers`),
  `store/resources.py` (SQL), `rules/resources.py` (tags and the match score, pure).
  Tables `resource` and `resource_take` (migration 0011); numbers per coalition
  (`number_seq` kind `resource`).
- **Tags and words use the topic matcher's normalization** (`rules.topics`:
  `normalize_words`, `phrase_words`, `word_forms`): two words are the same when they
  share a base form. A new tag like one already used in the coalition takes that one's
  spelling, so `list` can show the tags in use and people reuse them.
- **The match score is meant to be explained, not learned**: 3 points per shared tag, 1
  per other shared content word (short and common words and bare numbers left out),
  ties to the newer item; `Fit.reason()` is the sentence the reply shows. Good enough
  for tens of items per coalition; nothing is indexed.
- **Expired is read, not written.** An item stores `ends_at` (midnight after its day in
  the coalition's zone); every query of open items compares it with `now`, so nothing
  has to run for an item to expire, and `close` may still record one as met afterwards.
  The status column only changes when someone closes the item.
- **The reminder is a scheduled delivery** (`resource-expiring`): `remind_at` (3 days
  before `ends_at`, or the posting time rounded up to the second) is stored and indexed,
  `due_between` finds it like an action's due time, and its rows go privately to each
  representative of the posting organization and to its poster (`person_target`), not to
  the home channels: it is that organization's chore. It is rendered when sent (dropped
  once the item is closed) and given up at `ends_at` (the offset is the time to the end).
- **Private notices from a command**: `Context.notify_person(person, notice)` queues a
  notice for one person; the dispatcher writes it with the others
  (`enqueue_notices(..., private=)`): a `notice` row and one delivery row with target
  `user:ID` on the person's platform, in the workspace of their coalition there. `take`
  uses it to tell both organizations.
- `network_numbers(conn, coalition_id, now, since=None)` is the one place the network's
  figures are computed (asks posted and met, by which organizations, the median time to
  met, offers taken up), for `/resource list` now and a health report or digest later.
  "Met by" counts the organizations that took the ask before it was closed as met.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from coalition_bot.errors import NotFound, PermissionDenied, UsageError
from coalition_bot.model import Level, Org, Person, Resource
from coalition_bot.replies import Button, CommandRef, Field, Notice, When
from coalition_bot.rules.resources import Candidate, Fit, parse_tags, rank, same_tag
from coalition_bot.rules.text import clean_line
from coalition_bot.rules.times import format_local, format_span
from coalition_bot.services.context import Context
from coalition_bot.services.meetings import Due
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import orgs as org_sql
from coalition_bot.store import people as people_sql
from coalition_bot.store import resources as resource_sql
from coalition_bot.store.database import Conn

__all__ = [
    "CLOSE_STATUSES",
    "REMIND_BEFORE",
    "WHICH",
    "Board",
    "CloseStatus",
    "Match",
    "NetworkNumbers",
    "Which",
    "board",
    "close",
    "ends_at",
    "expiring_notice",
    "get_item",
    "label",
    "match",
    "network_numbers",
    "post",
    "posters",
    "reminders_due",
    "tags_in_use",
    "take",
]

REMIND_BEFORE = timedelta(days=3)
CloseStatus = Literal["met", "withdrawn", "expired"]
Which = Literal["all", "offers", "asks", "mine"]
CLOSE_STATUSES: tuple[CloseStatus, ...] = get_args(CloseStatus)
WHICH: tuple[Which, ...] = get_args(Which)


def label(item: Resource) -> str:
    """`Offer #3` / `Ask #4`."""
    return f"{item.kind.capitalize()} #{item.number}"


# --- who posts, takes and closes ---------------------------------------------------------------


async def acting_org(ctx: Context, org: Org | None, doing: str) -> Org:
    """The organization the caller acts for: the one named (a coordinator: any; a
    representative: one of theirs), else the one they represent."""
    caller = ctx.caller
    if org is not None:
        if caller.level >= Level.COORDINATOR or org.id in caller.org_ids:
            return org
        mine = [await org_sql.get_org(ctx.conn, i) for i in caller.org_ids]
        raise PermissionDenied(
            f"You represent {', '.join(o.name for o in mine)}, not {org.name}: only its "
            f"representatives or a coordinator {doing} for it.")
    if len(caller.org_ids) == 1:
        return await org_sql.get_org(ctx.conn, caller.org_ids[0])
    if caller.org_ids:
        names = ", ".join([(await org_sql.get_org(ctx.conn, i)).name for i in caller.org_ids])
        raise UsageError(f"You represent several organizations ({names}): say which one "
                         f"you {doing} for.", hint='Add org:NAME, for example org:"Tenants '
                                                   'United".')
    raise UsageError(f"Name the organization you {doing} for: you represent none.",
                     hint='Add org:NAME, for example org:"Tenants United".')


def _may_close(ctx: Context, item: Resource) -> bool:
    return ctx.caller.level >= Level.COORDINATOR or item.org_id in ctx.caller.org_ids


async def get_item(ctx: Context, number: int) -> Resource:
    item = await resource_sql.find_resource(ctx.conn, ctx.coalition.id, number)
    if item is None:
        raise NotFound(f"There is no offer or ask #{number} in this coalition.",
                       hint="See the open ones with " + CommandRef("resource list") + ".")
    return item


def _closed_line(ctx: Context, item: Resource) -> str:
    """Why an item takes nothing more: closed (when, how) or past its date."""
    tz = ctx.coalition.timezone
    if item.status != "open" and item.closed_at is not None:
        return (f"{label(item)} was closed as {item.status} on "
                f"{format_local(item.closed_at, tz).split(',')[0]}.")
    assert item.ends_at is not None
    return f"{label(item)} expired on " + When(item.ends_at - timedelta(seconds=1), tz) + "."


# --- posting -----------------------------------------------------------------------------------


def ends_at(day: date, timezone: str) -> datetime:
    """The end of a day in the coalition's zone: midnight after it."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(timezone))


async def post(ctx: Context, kind: str, text: str, tags: str | None, day: date | None,
               org: Org | None, option: str) -> Resource:
    """Post an offer or an ask for the caller's organization (or the one named)."""
    poster = await acting_org(ctx, org, "post")
    text = clean_line(text)
    if not text:
        raise UsageError(f"Say what the {kind} is, in words.",
                         hint="For example "
                              + CommandRef(f"resource {kind} Meeting hall for 80 people") + ".")
    keys = parse_tags(tags or "", await resource_sql.tags_used(ctx.conn, ctx.coalition.id))
    end = remind = None
    if day is not None:
        tz = ctx.coalition.timezone
        today = ctx.now.astimezone(ZoneInfo(tz)).date()
        if day < today:
            raise UsageError(f"{option}:{day:%Y-%m-%d} is in the past (today is "
                             f"{today:%a} {today.day} {today:%b %Y}).",
                             hint=f"Give the last day the {kind} stands, today or later.")
        end = ends_at(day, tz)
        remind = max(ctx.now, end - REMIND_BEFORE)
    item = await resource_sql.add_resource(
        ctx.conn, ctx.coalition.id, kind=kind, org_id=poster.id, text=text, tags=keys,
        ends_at=end, remind_at=remind, posted_by=ctx.caller.person.id, now=ctx.now)
    ctx.notify(Notice(
        ctx.coalition.id, f"New {kind} #{item.number} from {poster.name}", text,
        fields=_tag_field(item),
        buttons=(Button("We can help" if kind == "ask" else "We could use this",
                        f"resource take {item.number}", "primary"),)))
    return item


def _tag_field(item: Resource) -> tuple[Field, ...]:
    return (Field("Tags", ", ".join(item.tags), inline=True),) if item.tags else ()


# --- the board ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NetworkNumbers:
    """What the board shows of the network working: asks met, by whom, how fast."""

    asks: int  # posted (in the period)
    met: int  # of those, closed as met
    met_by: tuple[tuple[str, int], ...]  # organization, asks it met (most first)
    median_days: float | None  # from posted to met, the median
    offers: int
    offers_taken: int  # offers some other organization committed to use

    def summary(self) -> str:
        if not self.asks and not self.offers:
            return "Nothing posted yet."
        lines = [f"{self.met} of {self.asks} ask(s) met"
                 + (f", in {_days(self.median_days)} on median" if self.median_days is not None
                    else "") + "."]
        if self.met_by:
            lines.append("Met by " + ", ".join(f"{name} ({n})" for name, n in self.met_by)
                         + ".")
        lines.append(f"{self.offers_taken} of {self.offers} offer(s) taken up.")
        return " ".join(lines)


def _days(days: float) -> str:
    if days < 1:
        return format_span(timedelta(days=days))
    text = f"{days:.1f}".removesuffix(".0")
    return f"{text} day" + ("" if text == "1" else "s")


async def network_numbers(conn: Conn, coalition_id: int, now: datetime,
                          since: datetime | None = None) -> NetworkNumbers:
    """Asks met, by whom and how fast, and offers taken up, of the items posted since
    `since` (or ever). For `/resource list` and any later report or digest."""
    items = [i for i in await resource_sql.all_resources(conn, coalition_id)
             if since is None or i.created_at >= since]
    asks = [i for i in items if i.kind == "ask"]
    met = [i for i in asks if i.status == "met" and i.closed_at is not None]
    counts: dict[str, int] = {}
    for item in met:
        for name in {t.org_name for t in item.takes} or {"not recorded"}:
            counts[name] = counts.get(name, 0) + 1
    spans = [(i.closed_at - i.created_at).total_seconds() / 86400 for i in met
             if i.closed_at is not None]
    offers = [i for i in items if i.kind == "offer"]
    return NetworkNumbers(
        len(asks), len(met), tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        statistics.median(spans) if spans else None, len(offers),
        sum(1 for i in offers if i.takes))


@dataclass(frozen=True, slots=True)
class Board:
    items: list[Resource]  # open, newest first
    tags: list[tuple[str, int]]  # tags of the open items, most used first
    numbers: NetworkNumbers


def tags_in_use(items: list[Resource]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for item in items:
        for tag in item.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


async def board(ctx: Context, which: str, tag: str | None) -> Board:
    """The open items (`all`, `offers`, `asks`, or `mine`: the caller's organizations'),
    with one tag if asked; the tags in use and the network's numbers."""
    kind = {"offers": "offer", "asks": "ask"}.get(which)
    every = await resource_sql.open_resources(ctx.conn, ctx.coalition.id, ctx.now)
    items = [i for i in every if kind is None or i.kind == kind]
    if which == "mine":
        if not ctx.caller.org_ids:
            raise UsageError("You represent no organization, so nothing here is yours.",
                             hint="See everything with " + CommandRef("resource list") + ".")
        items = [i for i in items if i.org_id in ctx.caller.org_ids]
    if tag is not None:
        wanted = parse_tags(tag)
        items = [i for i in items if all(any(same_tag(w, t) for t in i.tags) for w in wanted)]
    numbers = await network_numbers(ctx.conn, ctx.coalition.id, ctx.now)
    return Board(items, tags_in_use(every), numbers)


# --- matching ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    item: Resource
    found: list[tuple[Resource, Fit]]  # best first


async def match(ctx: Context, number: int) -> Match:
    """An ask's candidate offers (or an offer's candidate asks), open, of other
    organizations, ranked by shared tags and words."""
    item = await get_item(ctx, number)
    other = "offer" if item.kind == "ask" else "ask"
    pool = [i for i in await resource_sql.open_resources(ctx.conn, ctx.coalition.id, ctx.now,
                                                         other) if i.org_id != item.org_id]
    by_number = {i.number: i for i in pool}
    ranked = rank(item.text, item.tags,
                  (Candidate(i.number, i.text, i.tags, i.created_at) for i in pool))
    return Match(item, [(by_number[c.number], fit) for c, fit in ranked])


# --- taking and closing ------------------------------------------------------------------------


async def _people_of(conn: Conn, item: Resource, org_id: int) -> list[Person]:
    """The representatives of an organization (and, for the poster's, who posted)."""
    reps = list((await people_sql.representatives(conn, item.coalition_id)).get(org_id, []))
    if org_id == item.org_id and item.posted_by is not None \
            and all(p.id != item.posted_by for p in reps):
        reps.append(await people_sql.get_person(conn, item.posted_by))
    return reps


async def take(ctx: Context, number: int, note: str, org: Org | None) -> tuple[Resource, Org]:
    """An organization commits to meet an ask or to use an offer. Both organizations are
    told privately, the home channels once."""
    item = await get_item(ctx, number)
    taker = await acting_org(ctx, org, "commit")
    if not item.is_open(ctx.now):
        raise UsageError(_closed_line(ctx, item), hint="See the open ones with "
                                                       + CommandRef("resource list") + ".")
    if taker.id == item.org_id:
        raise UsageError(f"{label(item)} is {taker.name}'s own {item.kind}.",
                         hint="Taking is for another organization; close your own with "
                              + CommandRef(f"resource close #{item.number}") + ".")
    note = clean_line(note)
    if not await resource_sql.add_take(ctx.conn, item.id, taker.id, ctx.caller.person.id,
                                       note, ctx.now):
        raise UsageError(f"{taker.name} has already committed to {label(item)}.",
                         hint="Nothing changed.")
    who = ctx.caller.person.display_name
    verb = "will meet" if item.kind == "ask" else "will use"
    said = f"\nNote: {note}" if note else ""
    ctx.notify(Notice(ctx.coalition.id, f"{taker.name} {verb} {item.org_name}'s "
                                        f"{item.kind} #{item.number}", item.text + said))
    told = {ctx.caller.person.id}
    for person in await _people_of(ctx.conn, item, item.org_id):
        if person.id not in told:
            told.add(person.id)
            ctx.notify_person(person, Notice(
                ctx.coalition.id, f"{taker.name} {verb} your {item.kind} #{item.number}",
                f"{item.text}\n{who} ({taker.name}) committed to it.{said} Get in touch with "
                "them; when it is done, close it as met.",
                buttons=(Button("Close as met", f"resource close {item.number} met",
                                "primary"),)))
    for person in await _people_of(ctx.conn, item, taker.id):
        if person.id not in told:
            told.add(person.id)
            ctx.notify_person(person, Notice(
                ctx.coalition.id, f"{taker.name} {verb} {item.org_name}'s {item.kind} "
                                  f"#{item.number}",
                f"{item.text}\n{who} committed {taker.name} to it.{said}"))
    return await get_item(ctx, number), taker


async def close(ctx: Context, number: int, status: str, note: str) -> Resource:
    """Close an item: by its organization's representatives or a coordinator."""
    item = await get_item(ctx, number)
    if not _may_close(ctx, item):
        raise PermissionDenied(f"{label(item)} is {item.org_name}'s: only its "
                               "representatives or a coordinator close it.")
    if item.status != "open":
        raise UsageError(_closed_line(ctx, item), hint="Nothing changed.")
    note = clean_line(note)
    await resource_sql.close(ctx.conn, item.id, status, ctx.caller.person.id, note, ctx.now)
    closed = await get_item(ctx, number)
    if status == "met":
        by = " by " + ", ".join(t.org_name for t in item.takes) if item.takes else ""
        after = format_span(ctx.now - item.created_at)
        ctx.notify(Notice(ctx.coalition.id, f"{item.org_name}'s {item.kind} #{item.number} "
                                            f"was met{by}", f"{item.text}\nAfter {after}."
                          + (f"\nNote: {note}" if note else "")))
    who = ctx.caller.person.display_name
    for take_ in item.takes:
        for person in await _people_of(ctx.conn, item, take_.org_id):
            if person.id != ctx.caller.person.id:
                ctx.notify_person(person, Notice(
                    ctx.coalition.id, f"{label(item)} of {item.org_name} was closed as "
                                      f"{status}", f"{item.text}\nClosed by {who}."
                    + (f"\nNote: {note}" if note else "")))
    return closed


# --- the scheduler's reminder ------------------------------------------------------------------


async def reminders_due(conn: Conn, start: datetime, end: datetime) -> list[Due]:
    """Reminders of open items (every coalition) due in [start, end): the offset is the
    minutes from the reminder to the item's end, when the reminder is given up."""
    return [Due("resource-expiring", coalition_id, at, resource_id, "",
                max(int((ends - at).total_seconds() // 60), 1))
            for coalition_id, resource_id, at, ends in
            await resource_sql.reminders_between(conn, start, end)]


async def posters(conn: Conn, resource_id: int) -> list[Person]:
    """Who is reminded of an item: its organization's representatives and its poster."""
    item = await resource_sql.get_resource(conn, resource_id)
    return await _people_of(conn, item, item.org_id) if item else []


async def expiring_notice(conn: Conn, resource_id: int, now: datetime) -> Notice | None:
    """The reminder that an item is about to expire; None once it is closed or expired."""
    item = await resource_sql.get_resource(conn, resource_id)
    if item is None or not item.is_open(now):
        return None
    assert item.ends_at is not None
    coalition = await coalition_sql.get_coalition(conn, item.coalition_id)
    last = format_local(item.ends_at - timedelta(seconds=1), coalition.timezone).split(",")[0]
    taken = (f"\nCommitted: {', '.join(t.org_name for t in item.takes)}." if item.takes
             else "")
    return Notice(item.coalition_id, f"{item.org_name}'s {item.kind} #{item.number} expires "
                                     f"in {format_span(item.ends_at - now)}",
                  f"{item.text}\nIt stands until the end of {last}.{taken} If it was met, "
                  "close it so the coalition counts it; to keep it open longer, post it "
                  "again with a later date.",
                  buttons=(Button("Close as met", f"resource close {item.number} met",
                                  "primary"),
                           Button("Withdraw", f"resource close {item.number} withdrawn")))
