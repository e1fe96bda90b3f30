"""Calendar feeds: the coalition's (`/c/SLUG/calendar.ics`, while its page is on and
shows meetings) and each person's own (`/feed/TOKEN.ics`: only the dates they said yes
or maybe to, `/meeting feed` gives the address, `/meeting feed reset` replaces it).

A feed is the same calendar as `/meeting ical` (`services/calendar.py`) plus a
description, the page's URL and a refresh hint; its DTSTAMP is fixed, so unchanged
meetings give unchanged bytes. Its ETag is a hash of them, and its Last-Modified when
those bytes were first served, kept in the database (`feed_stamp`): every process, and
the same one after a restart, answers alike; anything that changes the bytes moves both.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from coalition_bot.services.calendar import FeedInfo, calendar, occurrence_calendar
from coalition_bot.services.context import Context
from coalition_bot.services.meetings import occurrence_by_key
from coalition_bot.services.page import enabled_page, page_path
from coalition_bot.services.site import Site
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import pages as page_sql
from coalition_bot.store import people as people_sql
from coalition_bot.store.database import Conn

__all__ = ["REFRESH", "Feed", "coalition_feed", "etag_of", "feed_path", "my_feed", "personal_feed"]

REFRESH = timedelta(hours=1)  # how often a subscribed calendar should look again
PAST = timedelta(days=31)  # a personal feed keeps the last month's dates too


@dataclass(frozen=True, slots=True)
class Feed:
    name: str
    body: bytes  # text/calendar
    etag: str  # a strong HTTP entity tag: a hash of `body`, quoted
    modified: datetime  # when these bytes were first served (whole seconds, UTC)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def _stamped(conn: Conn, coalition_id: int, feed: str, name: str, body: bytes,
                   now: datetime) -> Feed:
    etag = etag_of(body)
    modified = await page_sql.stamp_feed(conn, coalition_id, feed, etag, now)
    return Feed(name, body, etag, modified)


def feed_path(token: str) -> str:
    return f"/feed/{token}.ics"


async def coalition_feed(conn: Conn, slug: str, now: datetime, site: Site) -> Feed | None:
    """The coalition's feed, or None: no such page, off, or not showing meetings."""
    page = await enabled_page(conn, slug)
    if page is None or "meetings" not in page.shown:
        return None
    coalition = await coalition_sql.get_coalition(conn, page.coalition_id)
    info = FeedInfo(site.url(page_path(slug)), REFRESH, coalition.created_at)
    cal = await calendar(conn, coalition, now, info)
    return await _stamped(conn, coalition.id, "coalition", coalition.name, cal.to_ical(), now)


async def personal_feed(conn: Conn, token: str, now: datetime) -> Feed | None:
    """A person's own feed, or None for a token nobody holds (or someone who left)."""
    person_id = await page_sql.feed_owner(conn, token)
    if person_id is None:
        return None
    person = await people_sql.get_person(conn, person_id)
    if person.left_at is not None:
        return None
    coalition = await coalition_sql.get_coalition(conn, person.coalition_id)
    found = []
    for meeting_id, key in await page_sql.answered(conn, person.id, ("yes", "maybe")):
        meeting = await meeting_sql.find_meeting_by_id(conn, meeting_id)
        occ = await occurrence_by_key(conn, meeting, key) if meeting else None
        if occ is not None and occ.end > now - PAST:
            found.append(occ)
    found.sort(key=lambda o: o.start)
    name = f"{coalition.name}: my meetings"
    cal = await occurrence_calendar(conn, name, coalition.id, found,
                                    FeedInfo("", REFRESH, coalition.created_at))
    return await _stamped(conn, coalition.id, f"person {person.id}", name, cal.to_ical(), now)


async def my_feed(ctx: Context, reset: bool) -> tuple[str, bool]:
    """The caller's feed token (made on first use) and whether it is new; `reset`
    replaces it, so the old address answers 404 from now on."""
    token = await page_sql.feed_token(ctx.conn, ctx.caller.person.id)
    if token is not None and not reset:
        return token, False
    token = secrets.token_urlsafe(24)
    await page_sql.set_feed_token(ctx.conn, ctx.caller.person.id, token, ctx.now)
    return token, True
