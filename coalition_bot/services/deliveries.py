"""What the outbox delivers, to whom, and what each delivery says.

Seven kinds: `meeting-reminder` (each offset before each occurrence, to the home
channels), `poll-closing` (before a poll's deadline, naming who has not voted),
`poll-result` (when a poll closes at its deadline; the close itself happens in the
sweep that finds it), `action-due` (privately, to the action's owner),
`resource-expiring` (privately, to each representative of the organization that posted
an offer or ask, and to whoever posted it, a few days before its date), `digest` (once
a week at the coalition's chosen local time, to the home channels) and `notice`
(raised by a command, kept as it was written: to the home channels, or privately to one
person, `Context.notify_person`). A scheduled delivery is rendered from
the database when it is sent, so a meeting moved or cancelled after its reminder was
planned is reminded as it is now, or not at all.

Rows go to every home channel of the coalition (every binding), whichever platforms the
process that writes them can post to: the process that has the platform sends them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from coalition_bot.model import Coalition, Person
from coalition_bot.replies import Button, Field, Mention, Notice
from coalition_bot.rules.times import format_local, format_span
from coalition_bot.services import digest, meetings, polls, resources
from coalition_bot.services.decision_log import footer
from coalition_bot.services.meetings import Due
from coalition_bot.store import chain as chain_sql
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import deliveries as delivery_sql
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import people as people_sql
from coalition_bot.store import polls as poll_sql
from coalition_bot.store.database import Conn

__all__ = [
    "Target", "close_overdue_polls", "current_target", "describe", "due_between",
    "enqueue_notices", "expiry", "is_late",
    "notice_from_json", "notice_to_json", "person_target", "render", "targets",
]

RESULT_KEEP = timedelta(days=7)  # after the row is written, not after the poll closed
NOTICE_KEEP = timedelta(days=7)
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
    found += await resources.reminders_due(conn, start, end)
    found += await digest.digests_due(conn, start, end)
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


def expiry(due: Due, now: datetime) -> datetime:
    """When a delivery still unsent is given up: a reminder once its meeting starts or
    its poll closes (an offer or ask's reminder, once it expires); an action notice or
    a weekly digest after a day; a poll result a week after it was
    found (a result found after a long outage is still announced, marked late)."""
    if due.kind in ("meeting-reminder", "poll-closing", "resource-expiring"):
        # the offset ends at the event (the meeting, the deadline, the item's date)
        return due.at + timedelta(minutes=due.offset_min)
    if due.kind == "poll-result":
        return max(due.at, now) + RESULT_KEEP
    if due.kind == "action-due" and due.offset_min:  # the reminder ahead: until it is due
        return due.at + timedelta(minutes=due.offset_min)
    return due.at + ACTION_KEEP


@dataclass(frozen=True, slots=True)
class Target:
    """Where one delivery goes: a platform, and a channel or (private) a user there."""

    platform: str
    workspace_id: str = ""
    channel_id: str = ""
    user_id: str = ""

    @property
    def key(self) -> str:
        """The row's `target` column: a channel id, or 'user:ID'."""
        return self.channel_id or f"user:{self.user_id}"


async def targets(conn: Conn, due: Due) -> list[Target]:
    """Every home channel of the coalition (or, for an action, its owner; for an item
    expiring, its organization's representatives and its poster), on every platform:
    whichever process serves that platform sends it."""
    if due.kind == "action-due":
        note = await meeting_sql.find_note(conn, due.subject_id)
        if note is None or note.owner_id is None:
            return []
        return [await person_target(conn, await people_sql.get_person(conn, note.owner_id))]
    if due.kind == "resource-expiring":
        return [await person_target(conn, p)
                for p in await resources.posters(conn, due.subject_id)]
    return await home_targets(conn, due.coalition_id)


async def person_target(conn: Conn, person: Person) -> Target:
    """A person, privately, on their platform, in their coalition's workspace there."""
    workspace = next((b.workspace_id for b in await coalition_sql.bindings(
        conn, person.coalition_id) if b.platform == person.platform), "")
    return Target(person.platform, workspace, user_id=person.platform_user_id)


async def home_targets(conn: Conn, coalition_id: int) -> list[Target]:
    """The home channel of each of the coalition's bindings that has one."""
    return [Target(b.platform, b.workspace_id, channel_id=b.home_channel_id)
            for b in await coalition_sql.bindings(conn, coalition_id) if b.home_channel_id]


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
        for target in targets_:
            rows += await delivery_sql.create(
                conn, coalition_id=notice.coalition_id, kind="notice", subject_id=notice_id,
                occurrence="", offset_min=0, platform=target.platform,
                workspace_id=target.workspace_id, target=target.key, due_at=now,
                expires_at=now + NOTICE_KEEP, status="pending", now=now)
    return rows


async def current_target(conn: Conn, delivery: delivery_sql.Delivery) -> str | None:
    """Where a delivery goes now. A home-channel row follows its workspace's home channel
    (moved by `/coalition home` since the row was written); None when that workspace has
    left the coalition. A private row goes where it says."""
    if delivery.target.startswith("user:") or not delivery.workspace_id:
        return delivery.target
    binding = await coalition_sql.find_binding(conn, delivery.platform, delivery.workspace_id)
    if binding is None or binding.coalition_id != delivery.coalition_id:
        return None
    return binding.home_channel_id or None


KIND_LABELS = {"meeting-reminder": "Meeting reminder", "poll-closing": "Poll closing soon",
               "poll-result": "Poll result", "action-due": "Action item due",
               "resource-expiring": "Offer or ask expiring", "digest": "Weekly digest"}


async def describe(conn: Conn, delivery: delivery_sql.Delivery) -> str:
    """A few words saying what a delivery was: a notice's title, else its kind."""
    if delivery.kind == "notice":
        body = await delivery_sql.notice_body(conn, delivery.subject_id)
        if body is not None:
            return notice_from_json(body).title
    return KIND_LABELS.get(delivery.kind, delivery.kind)


def notice_to_json(notice: Notice) -> str:
    return json.dumps(dataclasses.asdict(notice), ensure_ascii=False, separators=(",", ":"))


def notice_from_json(body: str) -> Notice:
    data = json.loads(body)
    return Notice(data["coalition_id"], data["title"], data["text"],
                  fields=tuple(Field(**f) for f in data["fields"]),
                  buttons=tuple(Button(**b) for b in data["buttons"]),
                  mentions=tuple(Mention(**m) for m in data["mentions"]))


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
    if kind == "notice":
        body = await delivery_sql.notice_body(conn, subject_id)
        return notice_from_json(body) if body is not None else None
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
        said_yes = await meetings.coming_by_org(conn, occ)
        fields.append(Field("Coming", "\n".join(f"{org}: {', '.join(names)}"
                                                 for org, names in said_yes)
                            or "Nobody has said yes yet."))
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
                                   "Closed at its deadline."
                                   + footer(await chain_sql.hash_for_poll(conn, subject_id)),
                                   decision.tallies, decision.voted)
    if kind == "action-due":
        note = await meeting_sql.find_note(conn, subject_id)
        if note is None or note.done_at is not None or note.due_at is None:
            return None
        coalition_id = await meeting_sql.note_coalition(conn, subject_id)
        overdue = now - note.due_at
        if offset_min and overdue < timedelta():
            when = f"is due in {format_span(-overdue)}"
        elif offset_min:
            return None  # the reminder ahead, found after the due time: the due one says it
        elif overdue < -timedelta(minutes=1):
            return None  # moved later since this row was written: its new time has a row
        else:
            when = "is due now" if overdue < timedelta(hours=1) else \
                f"was due {format_span(overdue)} ago"
        return Notice(coalition_id, f"Action #{note.action_number} {when}", note.text,
                      fields=(Field("From meeting", f"#{note.meeting_number}"),),
                      buttons=(Button("Mark done", f"meeting done {note.action_number}",
                                      "primary"),))
    if kind == "resource-expiring":
        return await resources.expiring_notice(conn, subject_id, now)
    if kind == "digest":
        return await digest.render(conn, subject_id, now)
    raise ValueError(f"unknown delivery kind {kind!r}")


def is_late(due_at: datetime, now: datetime) -> bool:
    """Delivered noticeably after its time (the bot was down or busy)."""
    return now.astimezone(UTC) - due_at.astimezone(UTC) > timedelta(minutes=2)
