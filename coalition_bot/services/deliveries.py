"""What the scheduler delivers, to whom, and what each delivery says.

Four kinds: `meeting-reminder` (each offset before each occurrence, to the home
channels), `poll-closing` (before a poll's deadline, naming who has not voted),
`poll-result` (when a poll closes at its deadline; the close itself happens in the
transaction that claims it) and `action-due` (privately, to the action's owner).
A delivery is rendered from the database when it is sent, so a meeting moved or
cancelled after its reminder was planned is reminded as it is now, or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from coalition_bot.model import Coalition
from coalition_bot.replies import Button, Field, Notice
from coalition_bot.rules.times import format_local, format_span
from coalition_bot.services import meetings, polls
from coalition_bot.services.meetings import Due
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import people as people_sql
from coalition_bot.store import polls as poll_sql
from coalition_bot.store.database import Conn

__all__ = [
    "Target", "close_overdue_polls", "due_between", "expiry", "is_late", "render", "targets",
]

RESULT_KEEP = timedelta(days=7)
ACTION_KEEP = timedelta(days=1)


async def due_between(conn: Conn, start: datetime, end: datetime,
                      poll_reminder: timedelta, *, sweep: bool = False,
                      coalition_id: int | None = None) -> list[Due]:
    """Every delivery (of every coalition, or one) due in [start, end), in time order.
    With `sweep`, the caller moves the sweep mark to `end` in this transaction, and
    each meeting series read records when it next needs reading."""
    if sweep:
        found = await meetings.sweep_reminders(conn, start, end)
    else:
        found = await meetings.reminders_due(conn, start, end, coalition_id)
    found += await meetings.actions_due(conn, start, end)
    for poll in await poll_sql.open_polls_closing_before(conn, end + poll_reminder):
        at = poll.closes_at - poll_reminder
        if start <= at < end and at > poll.created_at:
            found.append(Due("poll-closing", poll.coalition_id, at, poll.id, "",
                             int(poll_reminder.total_seconds() // 60)))
    if coalition_id is not None:
        found = [d for d in found if d.coalition_id == coalition_id]
    return sorted(found, key=lambda d: d.at)


async def close_overdue_polls(conn: Conn, now: datetime) -> list[Due]:
    """Close every open poll past its deadline (in this transaction); the result posts
    they need, as due items."""
    closed = []
    for poll in await poll_sql.open_polls_closing_before(conn, now):
        coalition = await coalition_sql.get_coalition(conn, poll.coalition_id)
        await polls.close_poll(conn, coalition, poll, now=min(now, poll.closes_at),
                               closed_by=None)  # dated at its deadline, even if found late
        closed.append(Due("poll-result", poll.coalition_id, poll.closes_at, poll.id, "", 0))
    return closed


def expiry(due: Due) -> datetime:
    """When a delivery still unsent is given up: a reminder once its meeting starts or
    its poll closes; a poll result after a week; an action notice after a day."""
    if due.kind in ("meeting-reminder", "poll-closing"):  # the offset ends at the event
        return due.at + timedelta(minutes=due.offset_min)
    if due.kind == "poll-result":
        return due.at + RESULT_KEEP
    return due.at + ACTION_KEEP


@dataclass(frozen=True, slots=True)
class Target:
    """Where one delivery goes: a platform, and a channel or (private) a user there."""

    platform: str
    channel_id: str = ""
    user_id: str = ""


async def targets(conn: Conn, due: Due, platforms: set[str]) -> list[Target]:
    """The home channels (or, for an action, its owner) on platforms we can post to."""
    if due.kind == "action-due":
        note = await meeting_sql.find_note(conn, due.subject_id)
        if note is None or note.owner_id is None:
            return []
        owner = await people_sql.get_person(conn, note.owner_id)
        return [Target(owner.platform, user_id=owner.platform_user_id)] \
            if owner.platform in platforms else []
    return [Target(b.platform, channel_id=b.home_channel_id)
            for b in await coalition_sql.bindings(conn, due.coalition_id)
            if b.platform in platforms and b.home_channel_id]


async def render(conn: Conn, kind: str, subject_id: int, occurrence: str, offset_min: int,
                 *, late: bool, now: datetime) -> Notice | None:
    """The notice for a delivery as things are now; None if there is nothing to say
    (meeting cancelled, action done, everyone voted)."""
    notice = await _render(conn, kind, subject_id, occurrence, offset_min, now)
    if notice is not None and late:
        notice = Notice(notice.coalition_id, f"(late) {notice.title}", notice.text,
                        notice.fields, notice.buttons, notice.mentions)
    return notice


async def _render(conn: Conn, kind: str, subject_id: int, occurrence: str, offset_min: int,
                  now: datetime) -> Notice | None:
    if kind == "meeting-reminder":
        meeting = await meeting_sql.find_meeting_by_id(conn, subject_id)
        occ = await meetings.occurrence_by_key(conn, meeting, occurrence) if meeting else None
        if meeting is None or occ is None or occ.end <= now:
            return None
        planned = timedelta(minutes=offset_min)
        left = occ.start - now
        coming = format_span(planned if left > planned - timedelta(minutes=2) else left)
        fields = [Field("When", format_local(occ.start, meeting.timezone))]
        if meeting.location:
            fields.append(Field("Where", meeting.location))
        agenda = await meeting_sql.agenda(conn, meeting.id, occ.key)
        if agenda:
            fields.append(Field("Agenda", "\n".join(f"{i}. {t}" for i, (t, _) in
                                                    enumerate(agenda, 1))))
        return Notice(meeting.coalition_id, f"Reminder: {meeting.title} in {coming}",
                      f"Meeting #{meeting.number}. Will you be there?", fields=tuple(fields),
                      buttons=meetings.rsvp_buttons(occ))
    if kind == "poll-closing":
        poll = await poll_sql.find_poll_by_id(conn, subject_id)
        if poll is None or not poll.accepts_votes(now):
            return None
        coalition: Coalition = await coalition_sql.get_coalition(conn, poll.coalition_id)
        left = format_span(poll.closes_at - now)
        _, notice = await polls.reminder_notice(conn, coalition, poll,
                                                f"Poll #{poll.number} closes in {left}")
        return notice
    if kind == "poll-result":
        poll = await poll_sql.find_poll_by_id(conn, subject_id)
        decision = await poll_sql.decision_for_poll(conn, subject_id) if poll else None
        if poll is None or decision is None:
            return None
        return polls.result_notice(poll.coalition_id, poll.number, decision.outcome,
                                   f"{decision.question}\n{decision.summary}\n"
                                   "Closed at its deadline.", decision.tallies)
    if kind == "action-due":
        note = await meeting_sql.find_note(conn, subject_id)
        if note is None or note.done_at is not None or note.due_at is None:
            return None
        coalition_id = await meeting_sql.note_coalition(conn, subject_id)
        overdue = now - note.due_at
        when = "is due now" if overdue < timedelta(hours=1) else \
            f"was due {format_span(overdue)} ago"
        return Notice(coalition_id, f"Action #{note.action_number} {when}", note.text,
                      fields=(Field("From meeting", f"#{note.meeting_number}"),),
                      buttons=(Button("Mark done", f"meeting done {note.action_number}",
                                      "primary"),))
    raise ValueError(f"unknown delivery kind {kind!r}")


def is_late(due_at: datetime, now: datetime) -> bool:
    """Delivered noticeably after its time (the bot was down or busy)."""
    return now.astimezone(UTC) - due_at.astimezone(UTC) > timedelta(minutes=2)
