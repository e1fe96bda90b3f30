"""`/resource`: the board of what partner organizations offer each other and ask for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from coalition_bot.commands.spec import Arg, Command, OptionType, Subcommand
from coalition_bot.model import Level, Org, Resource
from coalition_bot.replies import Button, CommandRef, Field, Reply
from coalition_bot.rules.times import format_local
from coalition_bot.services import resources
from coalition_bot.services.context import Context
from coalition_bot.services.resources import label

__all__ = ["COMMAND"]

TEXT_MAX = 300
TAGS_MAX = 120
NOTE_MAX = 300
ORGS_SHOWN = 20  # organizations listed (Discord shows 25 fields)
ITEMS_SHOWN = 8  # items per organization


# Arguments that several subcommands share (see `spec.Arg`).
ItemNumber = Annotated[int, Arg(
    "the offer's or ask's number", type=OptionType.NUMBER, kind="resource")]
Tags = Annotated[str | None, Arg(
    "words people would look for, like tags:hall,venue (see the tags in use in "
    + CommandRef("resource list") + ")",
    keyword_only=True, max_length=TAGS_MAX)]
ForOrg = Annotated[Org | None, Arg(
    "the organization it is for (coordinators, and representatives of several)", keyword_only=True,
    max_length=80)]


def _age(span: timedelta) -> str:
    """`just now`, `5 minutes ago`, `3 hours ago`, `2 days ago`."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    for size, unit in ((24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size:
            n = minutes // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    raise AssertionError(minutes)


def _last_day(item: Resource, tz: str) -> str:
    assert item.ends_at is not None
    return format_local(item.ends_at - timedelta(seconds=1), tz).split(",")[0]


def _line(item: Resource, now: datetime, tz: str) -> str:
    """One item on the board: what, how old, until when, tags, who committed."""
    when = [_age(now - item.created_at)]
    if item.ends_at is not None:
        when.append(f"until {_last_day(item, tz)}")
    line = f"{label(item)} ({', '.join(when)}): {item.text}"
    if item.tags:
        line += f" [{', '.join(item.tags)}]"
    if item.takes:
        line += f"; committed: {', '.join(t.org_name for t in item.takes)}"
    return line


async def _post(ctx: Context, args: OfferArgs | AskArgs, kind: str, option: str) -> Reply:
    day = args.until if isinstance(args, OfferArgs) else args.by
    item = await resources.post(ctx, kind, args.text, args.tags, day, args.org, option)
    tz = ctx.coalition.timezone
    found = await resources.match(ctx, item.number)
    other = "ask" if kind == "offer" else "offer"
    fields = [Field("For", item.org_name, inline=True),
              Field("Stands", f"until the end of {_last_day(item, tz)}" if item.ends_at
                    else "until closed", inline=True)]
    if item.tags:
        fields.append(Field("Tags", ", ".join(item.tags), inline=True))
    if item.ends_at is not None:
        fields.append(Field("Reminder", f"{item.org_name}'s representatives are reminded "
                                        f"privately {_reminded(item, ctx.now)}."))
    fits = (f"{len(found.found)} open {other}(s) may fit: see "
            + CommandRef(f"resource match #{item.number}") + "."
            if found.found else f"No open {other} fits it yet.")
    return Reply(title=f"{label(item)} posted for {item.org_name}",
                 text=f"{item.text}\n" + fits + " The home channel was told.",
                 fields=tuple(fields),
                 buttons=(Button("Find matches", f"resource match {item.number}"),
                          Button("Close", f"resource close {item.number} withdrawn")))


def _reminded(item: Resource, now: datetime) -> str:
    assert item.ends_at is not None
    if item.ends_at - now <= resources.REMIND_BEFORE:
        return "now, since it stands for less than 3 days"
    return "3 days before it expires"


@dataclass(frozen=True, slots=True)
class OfferArgs:
    text: Annotated[str, Arg("what your organization offers", max_length=TEXT_MAX, rest=True)]
    tags: Tags = None
    until: Annotated[date | None, Arg(
        "the last day it stands (default: until closed)", keyword_only=True)] = None
    org: ForOrg = None


@dataclass(frozen=True, slots=True)
class AskArgs:
    text: Annotated[str, Arg("what your organization needs", max_length=TEXT_MAX, rest=True)]
    tags: Tags = None
    by: Annotated[date | None, Arg(
        "the day it is needed by (default: until closed)", keyword_only=True)] = None
    org: ForOrg = None


async def _offer(ctx: Context, args: OfferArgs) -> Reply:
    return await _post(ctx, args, "offer", "until")


async def _ask(ctx: Context, args: AskArgs) -> Reply:
    return await _post(ctx, args, "ask", "by")


@dataclass(frozen=True, slots=True)
class ListArgs:
    which: Annotated[resources.Which | None, Arg(
        "all (default), offers, asks, or mine (your organizations')")] = None
    tag: Annotated[str | None, Arg(
        "only items with this tag", keyword_only=True, max_length=40)] = None


async def _list(ctx: Context, args: ListArgs) -> Reply:
    which = args.which or "all"
    board = await resources.board(ctx, which, args.tag)
    tz = ctx.coalition.timezone
    what = {"all": "Open offers and asks", "offers": "Open offers", "asks": "Open asks",
            "mine": "Your organizations' open offers and asks"}[which]
    if args.tag:
        what += f" tagged {args.tag}"
    by_org: dict[int, list[Resource]] = {}
    for item in board.items:  # newest first, so organizations come by their newest item
        by_org.setdefault(item.org_id, []).append(item)
    fields = []
    for items in list(by_org.values())[:ORGS_SHOWN]:
        lines = [_line(i, ctx.now, tz) for i in items[:ITEMS_SHOWN]]
        if len(items) > ITEMS_SHOWN:
            lines.append(f"and {len(items) - ITEMS_SHOWN} more")
        fields.append(Field(items[0].org_name, "\n".join(lines)))
    if len(by_org) > ORGS_SHOWN:
        fields.append(Field("More", f"{len(by_org) - ORGS_SHOWN} more organizations: narrow "
                                    "the list with offers, asks or tag:WORD."))
    if board.tags:
        fields.append(Field("Tags in use", ", ".join(f"{t} ({n})" for t, n in board.tags[:30])))
    fields.append(Field("The network", board.numbers.summary()))
    text = ("" if board.items else
            "Nothing open. Representatives post with " + CommandRef("resource offer TEXT") + " or "
            + CommandRef("resource ask TEXT") + ".")
    return Reply(title=what, text=text, fields=tuple(fields))


@dataclass(frozen=True, slots=True)
class ItemArgs:
    item: ItemNumber


async def _match(ctx: Context, args: ItemArgs) -> Reply:
    found = await resources.match(ctx, args.item)
    item = found.item
    other = "offer" if item.kind == "ask" else "ask"
    head = f"{label(item)} of {item.org_name}: {item.text}"
    if item.tags:
        head += f" [{', '.join(item.tags)}]"
    if not found.found:
        return Reply(title=f"Open {other}s that may fit {label(item).lower()}",
                     text=f"{head}\nNo open {other} of another organization shares a tag or "
                          "a word with it yet.")
    fields = tuple(
        Field(f"{i}. {label(c)} of {c.org_name}: score {fit.score}",
              f"{c.text}\nWhy: {fit.reason()}.") for i, (c, fit) in enumerate(found.found, 1))
    verb = "Use" if other == "offer" else "Meet"
    buttons = tuple(Button(f"{verb} {other} #{c.number}", f"resource take {c.number}")
                    for c, _ in found.found[:3])
    return Reply(title=f"Open {other}s that may fit {label(item).lower()}",
                 text=f"{head}\nBest first: 3 points for each shared tag, 1 for each other "
                      "shared word.", fields=fields, buttons=buttons)


@dataclass(frozen=True, slots=True)
class TakeArgs:
    item: ItemNumber
    note: Annotated[str | None, Arg(
        "how, when, who to talk to", max_length=NOTE_MAX, rest=True)] = None
    org: ForOrg = None


async def _take(ctx: Context, args: TakeArgs) -> Reply:
    item, taker = await resources.take(ctx, args.item, args.note or "", args.org)
    verb = "meet" if item.kind == "ask" else "use"
    return Reply(title=f"{taker.name} will {verb} {item.org_name}'s {item.kind} "
                       f"#{item.number}",
                 text=f"{item.text}\n{item.org_name}'s representatives were told privately, "
                      "and the home channel once. Get in touch with them to arrange it.")


@dataclass(frozen=True, slots=True)
class CloseArgs:
    item: ItemNumber
    status: Annotated[resources.CloseStatus | None, Arg(
        "met (default), withdrawn or expired")] = None
    note: Annotated[str | None, Arg("what came of it", max_length=NOTE_MAX, rest=True)] = None


async def _close(ctx: Context, args: CloseArgs) -> Reply:
    status = args.status or "met"
    item = await resources.close(ctx, args.item, status, args.note or "")
    told = " The home channel was told." if status == "met" else ""
    return Reply(title=f"{label(item)} closed as {status}", text=f"{item.text}{told}")


COMMAND = Command(
    name="resource",
    help="Share what partner organizations have and need: offers and asks that find each "
         "other.",
    subcommands=(
        Subcommand(("offer",), "Offer something your organization has (a hall, a lawyer's "
                   "time, volunteers).", Level.REPRESENTATIVE, _offer, private=True,
                   example="/resource offer Meeting hall for 80, weekday evenings "
                           "tags:hall,venue until:2026-12-31"),
        Subcommand(("ask",), "Ask the coalition for something your organization needs.",
                   Level.REPRESENTATIVE, _ask, private=True,
                   example="/resource ask Spanish-speaking canvassers for Saturday "
                           "tags:canvass,spanish by:2026-12-05"),
        Subcommand(("list",), "The open offers and asks by organization, newest first, the "
                   "tags in use and how many asks were met.", Level.MEMBER, _list,
                   example="/resource list asks tag:spanish"),
        Subcommand(("match",), "The open offers that may fit an ask (or asks that may fit "
                   "an offer), best first, and why.", Level.MEMBER, _match,
                   example="/resource match #4"),
        Subcommand(("take",), "Commit your organization to meet an ask or to use an offer; "
                   "both sides are told.", Level.REPRESENTATIVE, _take, private=True,
                   example="/resource take #4 Maria can bring 6 people"),
        Subcommand(("close",), "Close your organization's offer or ask: met (default), "
                   "withdrawn or expired.", Level.REPRESENTATIVE, _close, private=True,
                   example="/resource close #4 met Six canvassers came"),
    ),
)
