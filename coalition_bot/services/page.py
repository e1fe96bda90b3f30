"""The coalition's page: turning it on and off, what it shows, and what it is made of.

A coordinator turns the page on (`/coalition page on [public|link]`): `public` gets an
address from the coalition's name (`/c/eastside-tenants`), `link` an unguessable one
for a page shared by link only. The web server (`coalition_bot.web`) reads the page
from the database on every request, so turning it off or rotating its address takes
effect at once; an unknown or switched-off address answers the same plain 404.

What the page may show is decided here, not in the template: goals and their progress,
decisions with outcomes and dates (an anonymous poll with its counts only; a poll of
members with its voters only when names are shown), upcoming meetings, and the off-limits
topics if the coalition shows them. Organizations are always named; people only with
`names` in `/coalition page show`. Nothing else is read: no private reply, no ballot of
an anonymous poll, no nudge, no action item, no note, no personal feed.

The address people see comes from `[web] base_url`: the composition root gives it to
the `Bot`, whose `Site` reaches the commands (`Context.site`), the outbox's notices and
the feeds explicitly (the core reads no config, and two bots in one process keep their
own); without it replies give the path.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from coalition_bot.errors import UsageError
from coalition_bot.model import Coalition, Decision, Occurrence
from coalition_bot.replies import Field
from coalition_bot.rules.calendar_links import google_link, outlook_link, webcal
from coalition_bot.rules.recurrence import describe
from coalition_bot.services.context import Context
from coalition_bot.services.meetings import next_occurrence, occurrences_between
from coalition_bot.services.site import Site
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import goals as goal_sql
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import orgs as org_sql
from coalition_bot.store import pages as page_sql
from coalition_bot.store import polls as poll_sql
from coalition_bot.store import topics as topic_sql
from coalition_bot.store.database import Conn
from coalition_bot.store.pages import Page

__all__ = ["DEFAULT_SHOWN", "SHOWABLE", "Page", "PageView", "Site",
           "calendar_fields", "calendar_links", "feed_path", "page_path", "parse_shown",
           "rotate", "set_shown", "turn_off", "turn_on", "view"]

SHOWABLE = ("goals", "decisions", "meetings", "topics", "names")
DEFAULT_SHOWN = ("goals", "decisions", "meetings")
DECISIONS_SHOWN = 20
MEETINGS_AHEAD = timedelta(days=92)  # the page lists meetings of the next three months
MEETINGS_SHOWN = 30


def page_path(slug: str) -> str:
    return f"/c/{slug}"


def feed_path(slug: str) -> str:
    return f"/c/{slug}/calendar.ics"


# --- turning it on and off --------------------------------------------------------------

def slugify(name: str) -> str:
    """`Eastside Tenants’ Union` → `eastside-tenants-union` (ASCII letters and digits)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40].strip("-") or "coalition"


async def _new_slug(conn: Conn, coalition: Coalition, access: str, *, fresh: bool) -> str:
    if access == "link":
        return secrets.token_urlsafe(18)  # 144 bits: found only by being given it
    base = slugify(coalition.name)
    slug = base if not fresh else f"{base}-{secrets.token_hex(3)}"
    while await page_sql.slug_taken(conn, slug, coalition.id):
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


async def turn_on(ctx: Context, access: str | None) -> Page:
    """Turn the page on (`public` by default, or as it was); a change of access gets a
    new address, so a page that was public cannot be found again at its old one."""
    known = await page_sql.find_page(ctx.conn, ctx.coalition.id)
    access = access or (known.access if known else "public")
    if known is not None and known.access == access:
        page = replace(known, enabled=True, changed_at=ctx.now)
    else:
        slug = await _new_slug(ctx.conn, ctx.coalition, access, fresh=False)
        page = Page(ctx.coalition.id, slug, access, True,
                    known.shown if known else DEFAULT_SHOWN, ctx.now)
    await page_sql.save_page(ctx.conn, page, ctx.caller.person.id)
    return page


async def _page(ctx: Context) -> Page:
    page = await page_sql.find_page(ctx.conn, ctx.coalition.id)
    if page is None:
        raise UsageError("The coalition has no page yet.",
                         hint="Turn it on with `/coalition page on` (public) or "
                              "`/coalition page on link` (only for those given the link).")
    return page


async def turn_off(ctx: Context) -> Page | None:
    """Turn the page (and its calendar feed) off; None if it was not on."""
    page = await page_sql.find_page(ctx.conn, ctx.coalition.id)
    if page is None or not page.enabled:
        return None
    page = replace(page, enabled=False, changed_at=ctx.now)
    await page_sql.save_page(ctx.conn, page, ctx.caller.person.id)
    return page


async def rotate(ctx: Context) -> Page:
    """A new address; the old one answers 404 from now on."""
    page = await _page(ctx)
    slug = await _new_slug(ctx.conn, ctx.coalition, page.access, fresh=True)
    page = replace(page, slug=slug, changed_at=ctx.now)
    await page_sql.save_page(ctx.conn, page, ctx.caller.person.id)
    return page


def parse_shown(text: str) -> tuple[str, ...]:
    """`goals, meetings` → ("goals", "meetings"), in SHOWABLE's order; `none` for none."""
    words = [w for w in re.split(r"[\s,]+", text.strip().lower()) if w]
    if words == ["none"]:
        return ()
    wrong = [w for w in words if w not in SHOWABLE]
    if wrong or not words:
        raise UsageError(f"The page can show {', '.join(SHOWABLE)} (or none), "
                         f"not {', '.join(wrong) or 'nothing'}.",
                         hint="For example `/coalition page show goals,decisions,meetings`.")
    return tuple(s for s in SHOWABLE if s in words)


async def set_shown(ctx: Context, shown: tuple[str, ...]) -> Page:
    page = replace(await _page(ctx), shown=shown, changed_at=ctx.now)
    await page_sql.save_page(ctx.conn, page, ctx.caller.person.id)
    return page


# --- what the page shows ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class GoalView:
    number: int
    text: str
    status: str
    note: str  # the latest progress note
    noted_by: str  # "" unless names are shown
    noted_at: datetime | None


@dataclass(frozen=True, slots=True)
class DecisionView:
    number: int
    question: str
    outcome: str
    summary: str  # "" when it would name people and names are not shown
    decided_at: datetime
    tallies: tuple[tuple[str, int], ...]
    votes: tuple[str, ...]  # "Tenants United: agree"; none for an anonymous poll
    anonymous: bool


@dataclass(frozen=True, slots=True)
class MeetingView:
    number: int
    title: str
    start: datetime
    end: datetime
    location: str
    recurrence: str
    first: bool  # the meeting's first date on the page (its #meeting-N anchor)


@dataclass(frozen=True, slots=True)
class PageView:
    """Everything one page shows; sections not shown are None."""

    name: str
    timezone: str
    slug: str
    access: str
    orgs: tuple[str, ...]
    goals: tuple[GoalView, ...] | None = None
    decisions: tuple[DecisionView, ...] | None = None
    meetings: tuple[MeetingView, ...] | None = None
    topics: tuple[str, ...] | None = None
    names: bool = False
    feed_path: str = ""
    sections: tuple[str, ...] = field(default=())


async def enabled_page(conn: Conn, slug: str) -> Page | None:
    """The page at this address if it is on; None for every other case alike."""
    page = await page_sql.page_by_slug(conn, slug)
    return page if page is not None and page.enabled else None


async def view(conn: Conn, slug: str, now: datetime) -> PageView | None:
    """What the page at /c/SLUG shows now, or None: no such page, or it is off."""
    page = await enabled_page(conn, slug)
    if page is None:
        return None
    coalition = await coalition_sql.get_coalition(conn, page.coalition_id)
    names = "names" in page.shown
    orgs = tuple(o.name + (" (observer)" if o.observer else "")
                 for o in await org_sql.list_orgs(conn, coalition.id) if o.left_at is None)
    result = PageView(coalition.name, coalition.timezone, page.slug, page.access, orgs,
                      names=names, sections=page.shown,
                      feed_path=feed_path(page.slug) if "meetings" in page.shown else "")
    if "goals" in page.shown:
        result = replace(result, goals=await _goals(conn, coalition.id, names))
    if "decisions" in page.shown:
        result = replace(result, decisions=await _decisions(conn, coalition.id, names))
    if "meetings" in page.shown:
        result = replace(result, meetings=await _meetings(conn, coalition.id, now))
    if "topics" in page.shown:
        result = replace(result, topics=tuple(
            t.phrase for t in await topic_sql.active_topics(conn, coalition.id)))
    return result


async def _goals(conn: Conn, coalition_id: int, names: bool) -> tuple[GoalView, ...]:
    updates = await goal_sql.goal_updates(conn, coalition_id)
    found = []
    for goal in await goal_sql.list_goals(conn, coalition_id):
        history = updates.get(goal.id)
        last = history[-1] if history else None
        found.append(GoalView(goal.number, goal.text, goal.status,
                              last.note if last else "",
                              last.author if last and names else "",
                              last.created_at if last else None))
    return tuple(found)


async def _decisions(conn: Conn, coalition_id: int, names: bool) -> tuple[DecisionView, ...]:
    found = []
    for d in await poll_sql.decisions(conn, coalition_id, DECISIONS_SHOWN):
        found.append(await _decision(conn, coalition_id, d, names))
    return tuple(found)


async def _decision(conn: Conn, coalition_id: int, d: Decision, names: bool) -> DecisionView:
    """One decision as the page may show it. Voters of an organization poll are
    organizations; of a members poll, people: shown only with names."""
    poll = await poll_sql.find_poll(conn, coalition_id, d.poll_number) \
        if d.poll_number is not None else None
    of_people = poll is None or poll.electorate != "orgs"
    votes: tuple[str, ...] = ()
    if not d.anonymous and (names or not of_people):
        votes = tuple(f"{v['voter']}: {v['choice']}" for v in d.voters if v.get("choice"))
    summary = d.summary if names or not of_people or d.anonymous else ""
    return DecisionView(d.number, d.question, d.outcome, summary, d.decided_at,
                        tuple(d.tallies.items()), votes, d.anonymous)


async def _meetings(conn: Conn, coalition_id: int, now: datetime) -> tuple[MeetingView, ...]:
    found: list[Occurrence] = []
    for meeting in await meeting_sql.list_meetings(conn, coalition_id):
        if meeting.cancelled:
            continue
        first = await next_occurrence(conn, meeting, now)  # one going on now included
        if first is None:
            continue
        found += [o for o in await occurrences_between(conn, meeting, first.start,
                                                       now + MEETINGS_AHEAD)]
    found.sort(key=lambda o: o.start)
    seen: set[int] = set()
    shown = []
    for o in found[:MEETINGS_SHOWN]:
        shown.append(MeetingView(o.meeting.number, o.meeting.title, o.start, o.end,
                                 o.meeting.location, describe(o.meeting.rrule),
                                 o.meeting.number not in seen))
        seen.add(o.meeting.number)
    return tuple(shown)


# --- "Add to calendar" ------------------------------------------------------------------

async def calendar_fields(conn: Conn, occ: Occurrence, site: Site) -> tuple[Field, ...]:
    """Fields for a meeting reply or reminder: Google Calendar and Outlook links for this
    date, and the coalition's feed as `webcal://` when its page is on and served."""
    return calendar_links(occ, site, await page_sql.find_page(conn, occ.meeting.coalition_id))


def calendar_links(occ: Occurrence, site: Site, page: Page | None
                   ) -> tuple[Field, ...]:
    """`calendar_fields` with the coalition's page already read (None: it has none)."""
    m = occ.meeting
    google = google_link(m.title, occ.start, occ.end, location=m.location)
    outlook = outlook_link(m.title, occ.start, occ.end, location=m.location)
    fields = [Field("Add to Google Calendar", google), Field("Add to Outlook", outlook)]
    feed = site.url(feed_path(page.slug)) if page is not None and page.enabled \
        and "meetings" in page.shown else ""
    if feed:
        fields.append(Field("Subscribe to every meeting", webcal(feed)))
    return tuple(fields)
