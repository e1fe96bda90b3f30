"""SQL for the coalition's page (`coalition_page`), personal calendar feeds
(`calendar_feed`) and when each feed last changed (`feed_stamp`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from coalition_bot.store.database import Conn
from coalition_bot.store.rows import Row, fetch_all, fetch_one, from_iso, iso

__all__ = ["Page", "answered", "feed_owner", "feed_token", "find_page", "page_by_slug",
           "pages_of", "save_page", "set_feed_token", "slug_taken", "stamp_feed"]


@dataclass(frozen=True, slots=True)
class Page:
    """A coalition's page settings: its address, who may find it, what it shows."""

    coalition_id: int
    slug: str
    access: str  # 'public' or 'link'
    enabled: bool
    shown: tuple[str, ...]
    changed_at: datetime


def _page(row: Row) -> Page:
    return Page(row["coalition_id"], row["slug"], row["access"], bool(row["enabled"]),
                tuple(s for s in row["shown"].split(",") if s), from_iso(row["changed_at"]))


async def find_page(conn: Conn, coalition_id: int) -> Page | None:
    row = await fetch_one(conn, "SELECT * FROM coalition_page WHERE coalition_id = ?",
                          (coalition_id,))
    return _page(row) if row else None


async def pages_of(conn: Conn, coalition_ids: list[int]) -> dict[int, Page]:
    """The pages of these coalitions that have one, in one statement."""
    if not coalition_ids:
        return {}
    rows = await fetch_all(conn, "SELECT * FROM coalition_page WHERE coalition_id IN"
                                 f" ({','.join('?' * len(coalition_ids))})", coalition_ids)
    return {r["coalition_id"]: _page(r) for r in rows}


async def page_by_slug(conn: Conn, slug: str) -> Page | None:
    """The page at /c/SLUG, whether on or off."""
    row = await fetch_one(conn, "SELECT * FROM coalition_page WHERE slug = ?", (slug,))
    return _page(row) if row else None


async def slug_taken(conn: Conn, slug: str, coalition_id: int) -> bool:
    """Another coalition's page has this slug."""
    row = await fetch_one(conn, "SELECT 1 FROM coalition_page WHERE slug = ? AND"
                                " coalition_id != ?", (slug, coalition_id))
    return row is not None


async def save_page(conn: Conn, page: Page, changed_by: int) -> None:
    await conn.execute(
        "INSERT INTO coalition_page (coalition_id, slug, access, enabled, shown, changed_by,"
        " changed_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (coalition_id) DO UPDATE SET"
        " slug = excluded.slug, access = excluded.access, enabled = excluded.enabled,"
        " shown = excluded.shown, changed_by = excluded.changed_by,"
        " changed_at = excluded.changed_at",
        (page.coalition_id, page.slug, page.access, int(page.enabled), ",".join(page.shown),
         changed_by, iso(page.changed_at)))


async def feed_token(conn: Conn, person_id: int) -> str | None:
    row = await fetch_one(conn, "SELECT token FROM calendar_feed WHERE person_id = ?",
                          (person_id,))
    return str(row["token"]) if row else None


async def set_feed_token(conn: Conn, person_id: int, token: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO calendar_feed (person_id, token, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (person_id) DO UPDATE SET token = excluded.token,"
        " created_at = excluded.created_at", (person_id, token, iso(now)))


async def feed_owner(conn: Conn, token: str) -> int | None:
    """The person whose personal feed has this token."""
    row = await fetch_one(conn, "SELECT person_id FROM calendar_feed WHERE token = ?",
                          (token,))
    return int(row["person_id"]) if row else None


async def answered(conn: Conn, person_id: int, answers: tuple[str, ...]) -> list[tuple[int, str]]:
    """(meeting id, occurrence) of every RSVP of a person with one of these answers (a
    personal feed's dates)."""
    marks = ", ".join("?" for _ in answers)
    rows = await fetch_all(conn, "SELECT meeting_id, occurrence FROM rsvp WHERE person_id = ?"
                                 f" AND answer IN ({marks}) ORDER BY occurrence",
                           (person_id, *answers))
    return [(int(r["meeting_id"]), str(r["occurrence"])) for r in rows]


async def stamp_feed(conn: Conn, coalition_id: int, feed: str, etag: str,
                     now: datetime) -> datetime:
    """When `feed` ('coalition', or 'person N') last changed: the time it was first
    served as `etag`. Bytes not seen before are recorded now (whole seconds, and always
    after the previous time, so a change within one second still moves it)."""
    row = await fetch_one(conn, "SELECT etag, modified_at FROM feed_stamp"
                                " WHERE coalition_id = ? AND feed = ?", (coalition_id, feed))
    if row is not None and row["etag"] == etag:
        return from_iso(row["modified_at"])
    modified = now.replace(microsecond=0)
    if row is not None:
        modified = max(modified, from_iso(row["modified_at"]) + timedelta(seconds=1))
    await conn.execute(
        "INSERT INTO feed_stamp (coalition_id, feed, etag, modified_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (coalition_id, feed) DO UPDATE SET etag = excluded.etag,"
        " modified_at = excluded.modified_at", (coalition_id, feed, etag, iso(modified)))
    return modified
