"""What the outbox delivers, to whom, and what each delivery says.

Seven kinds, one class each in `services.delivery_kinds` (its expiry, targets and
rendering): `meeting-reminder`, `poll-closing`, `poll-result`, `action-due`,
`resource-expiring`, `digest` and `notice` (raised by a command, kept as it was
written: to the home channels, or privately to one person, `Context.notify_person`).
This module finds what comes due (`due_between`, `find_due`, `close_overdue_polls`),
writes a command's notices into the outbox (`enqueue_notices`), and answers the
outbox's questions about a row (where it goes now, what it says now, what it was).

Rows go to every home channel of the coalition (every binding), whichever platforms the
process that writes them can post to: the process that has the platform sends them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from coalition_bot.model import Person, Poll
from coalition_bot.replies import Notice
from coalition_bot.services import digest, meetings, polls, resources
from coalition_bot.services.delivery_kinds import (
    KINDS,
    CommandNotice,
    PollClosing,
    PollResult,
    Target,
    home_targets,
    kind_of,
    notice_from_json,
    notice_to_json,
    person_target,
)
from coalition_bot.services.meetings import Due
from coalition_bot.services.site import Site
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import coordination
from coalition_bot.store import deliveries as delivery_sql
from coalition_bot.store import polls as poll_sql
from coalition_bot.store.database import Conn

__all__ = [
    "Found",
    "Target",
    "close_overdue_polls",
    "current_target",
    "current_targets",
    "describe",
    "due_between",
    "enqueue_notices",
    "find_due",
    "home_targets",
    "is_late",
    "notice_from_json",
    "notice_to_json",
    "person_target",
    "render",
    "render_batch",
]


@dataclass(frozen=True, slots=True)
class Found:
    """What `find_due` found: the items due, and the open polls it read on the way (those
    closing before the window's end plus the poll reminder's lead, or its end)."""

    due: list[Due]
    open_polls: list[Poll]

    def polls_past_deadline(self, now: datetime) -> bool:
        """Whether an open poll's deadline is before `now` (`close_overdue_polls` has
        work), without reading the polls again: `now` is at most the window's end."""
        return any(poll_sql.closes_before(poll, now) for poll in self.open_polls)


async def due_between(conn: Conn, start: datetime, end: datetime,
                      poll_reminder: timedelta, *,
                      coalition_id: int | None = None) -> list[Due]:
    """Every delivery (of every coalition, or one) due in [start, end), in time order."""
    return (await find_due(conn, start, end, poll_reminder, coalition_id=coalition_id)).due


async def find_due(conn: Conn, start: datetime, end: datetime, poll_reminder: timedelta, *,
                   sweep: bool = False, coalition_id: int | None = None,
                   marked_from: datetime | None = None) -> Found:
    """`due_between`, with the open polls read. With `sweep`, the caller moves the sweep
    mark to `end` in this transaction, and each meeting series read records when it next
    needs reading; `marked_from` is the sweep mark before it (see
    `meetings.sweep_reminders`)."""
    if sweep:
        found = await meetings.sweep_reminders(conn, start, end, marked_from=marked_from)
    else:
        found = await meetings.reminders_due(conn, start, end, coalition_id)
    found += await meetings.actions_due(conn, start, end)
    found += await resources.reminders_due(conn, start, end)
    found += await digest.digests_due(conn, start, end)
    open_polls = await poll_sql.open_polls_closing_before(
        conn, end + max(poll_reminder, timedelta(0)))
    for poll in open_polls:
        at = poll.closes_at - poll_reminder
        if start <= at < end and at > poll.created_at:
            found.append(Due(PollClosing.name, poll.coalition_id, at, poll.id, "",
                             int(poll_reminder.total_seconds() // 60)))
    if coalition_id is not None:
        found = [d for d in found if d.coalition_id == coalition_id]
    return Found(sorted(found, key=lambda d: d.at), open_polls)


async def close_overdue_polls(conn: Conn, now: datetime) -> list[Due]:
    """Close every open poll past its deadline (in this transaction); the result posts
    they need, as due items."""
    closed = []
    for poll in await poll_sql.open_polls_closing_before(conn, now):
        coalition = await coalition_sql.get_coalition(conn, poll.coalition_id)
        await polls.close_poll(conn, coalition, poll, now=min(now, poll.closes_at),
                               closed_by=None)  # dated at its deadline, even if found late
        closed.append(Due(PollResult.name, poll.coalition_id, poll.closes_at, poll.id, "", 0))
    return closed


async def enqueue_notices(conn: Conn, notices: Sequence[Notice], now: datetime, *,
                          private: Sequence[tuple[Person, Notice]] = ()) -> int:
    """Write a command's notices into the outbox, in the command's transaction: one
    `notice` row each, one delivery row per home channel, or (`private`) one to the
    person it is for. How many delivery rows were written."""
    rows = 0
    queued = [(n, await home_targets(conn, n.coalition_id)) for n in notices]
    queued += [(n, [await person_target(conn, person)]) for person, n in private]
    for notice, targets_ in queued:
        notice_id = await delivery_sql.add_notice(conn, notice.coalition_id,
                                                  notice_to_json(notice), now)
        due = Due(CommandNotice.name, notice.coalition_id, now, notice_id, "", 0)
        for target in targets_:
            rows += await delivery_sql.create(
                conn, coalition_id=notice.coalition_id, kind=due.kind, subject_id=notice_id,
                occurrence="", offset_min=0, platform=target.platform,
                workspace_id=target.workspace_id, target=target.key, due_at=now,
                expires_at=kind_of(due.kind).expiry(due, now), status="pending", now=now)
    if rows:  # other processes send them at once (PostgreSQL NOTIFY, on commit)
        await coordination.announce_due(conn)
    return rows


async def current_target(conn: Conn, delivery: delivery_sql.Delivery) -> str | None:
    """Where a delivery goes now. A home-channel row follows its workspace's home channel
    (moved by `/coalition home` since the row was written); None when that workspace has
    left the coalition. A private row goes where it says."""
    return (await current_targets(conn, [delivery]))[0]


async def current_targets(conn: Conn, rows: Sequence[delivery_sql.Delivery]
                          ) -> list[str | None]:
    """`current_target` of each row, reading the bindings of their coalitions once."""
    homes = [r for r in rows if not r.target.startswith("user:") and r.workspace_id]
    bound = await coalition_sql.bindings_of(conn, {r.coalition_id for r in homes})
    found: list[str | None] = []
    for row in rows:
        if row.target.startswith("user:") or not row.workspace_id:
            found.append(row.target)
            continue
        binding = next((b for b in bound.get(row.coalition_id, ())
                        if b.platform == row.platform and b.workspace_id == row.workspace_id),
                       None)
        found.append(binding.home_channel_id or None if binding is not None else None)
    return found


async def describe(conn: Conn, delivery: delivery_sql.Delivery) -> str:
    """A few words saying what a delivery was: a notice's title, else its kind."""
    kind = KINDS.get(delivery.kind)
    return await kind.describe(conn, delivery) if kind is not None else delivery.kind


async def render(conn: Conn, kind: str, subject_id: int, occurrence: str, offset_min: int,
                 *, late: bool, now: datetime, site: Site) -> Notice | None:
    """The notice for a delivery as things are now; None if there is nothing to say
    (meeting cancelled, action done, everyone voted)."""
    notice = await kind_of(kind).render(conn, subject_id, occurrence, offset_min, now, site)
    return _marked_late(notice) if notice is not None and late else notice


async def render_batch(conn: Conn, rows: Sequence[delivery_sql.Delivery], *, now: datetime,
                       site: Site) -> list[tuple[Notice | None, str | None]]:
    """`render` and `current_target` of each claimed row, in order, each kind rendering
    its rows together (`DeliveryKind.render_many`): a batch of reminders costs a few
    statements, not a few per reminder."""
    by_kind: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_kind.setdefault(row.kind, []).append(i)
    notices: list[Notice | None] = [None] * len(rows)
    for kind, places in by_kind.items():
        rendered = await kind_of(kind).render_many(conn, [rows[i] for i in places], now, site)
        for i, notice in zip(places, rendered, strict=True):
            late = notice is not None and is_late(rows[i].due_at, now)
            notices[i] = _marked_late(notice) if notice is not None and late else notice
    return list(zip(notices, await current_targets(conn, rows), strict=True))


def _marked_late(notice: Notice) -> Notice:
    return Notice(notice.coalition_id, "(late) " + notice.title, notice.text,
                  notice.fields, notice.buttons, notice.mentions)


def is_late(due_at: datetime, now: datetime) -> bool:
    """Delivered noticeably after its time (the bot was down or busy)."""
    return now.astimezone(UTC) - due_at.astimezone(UTC) > timedelta(minutes=2)
