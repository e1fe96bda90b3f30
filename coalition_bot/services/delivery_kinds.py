"""The delivery kinds: one class each, saying when an unsent row is given up, where
it goes, and what it says when it is sent.

`KINDS` maps a row's `kind` column to its class; `kind_of(name)` looks one up. Which
items come due when is the scheduler's sweep (`services.deliveries.due_between`); how a
row is claimed, sent and marked is the outbox's. A scheduled delivery is rendered from
the database when it is sent, so a meeting moved or cancelled after its reminder was
planned is reminded as it is now, or not at all (`render` returns None: nothing to say).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from coalition_bot.model import Coalition, Occurrence, Person
from coalition_bot.model import DeliveryKind as KindName
from coalition_bot.replies import (
    Button,
    Field,
    Mention,
    Notice,
    Text,
    When,
    text_from_data,
    text_to_data,
)
from coalition_bot.rules.times import format_span
from coalition_bot.services import digest, meetings, polls, resources
from coalition_bot.services.decision_log import footer
from coalition_bot.services.meetings import Due
from coalition_bot.services.page import calendar_links
from coalition_bot.services.site import Site
from coalition_bot.store import chain as chain_sql
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import deliveries as delivery_sql
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import pages as page_sql
from coalition_bot.store import people as people_sql
from coalition_bot.store import polls as poll_sql
from coalition_bot.store.database import Conn

__all__ = [
    "KINDS", "ActionDue", "CommandNotice", "DeliveryKind", "Digest", "MeetingReminder",
    "PollClosing", "PollResult", "ResourceExpiring", "Target", "home_targets",
    "home_targets_of", "kind_of", "notice_from_json", "notice_to_json", "person_target",
]

RESULT_KEEP = timedelta(days=7)  # after the row is written, not after the poll closed
NOTICE_KEEP = timedelta(days=7)
ACTION_KEEP = timedelta(days=1)
DIGEST_KEEP = timedelta(days=1)


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


async def person_target(conn: Conn, person: Person) -> Target:
    """A person, privately, on their platform, in their coalition's workspace there."""
    workspace = next((b.workspace_id for b in await coalition_sql.bindings(
        conn, person.coalition_id) if b.platform == person.platform), "")
    return Target(person.platform, workspace, user_id=person.platform_user_id)


async def home_targets(conn: Conn, coalition_id: int) -> list[Target]:
    """The home channel of each of the coalition's bindings that has one."""
    return [Target(b.platform, b.workspace_id, channel_id=b.home_channel_id)
            for b in await coalition_sql.bindings(conn, coalition_id) if b.home_channel_id]


async def home_targets_of(conn: Conn, coalition_ids: Collection[int]) -> dict[int, list[Target]]:
    """`home_targets` of each of these coalitions (every id a key), in one query: a
    sweep's due items of many coalitions."""
    found = await coalition_sql.bindings_of(conn, coalition_ids)
    return {coalition_id: [Target(b.platform, b.workspace_id, channel_id=b.home_channel_id)
                           for b in bindings if b.home_channel_id]
            for coalition_id, bindings in found.items()}


def notice_to_json(notice: Notice) -> str:
    """A notice as the outbox keeps it; its texts keep their spans (times, commands)."""
    data = dataclasses.asdict(notice)
    data["title"], data["text"] = text_to_data(notice.title), text_to_data(notice.text)
    data["fields"] = [{**d, "name": text_to_data(f.name), "value": text_to_data(f.value)}
                      for d, f in zip(data["fields"], notice.fields, strict=True)]
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def notice_from_json(body: str) -> Notice:
    data = json.loads(body)
    for f in data["fields"]:
        f["name"], f["value"] = text_from_data(f["name"]), text_from_data(f["value"])
    return Notice(data["coalition_id"], text_from_data(data["title"]),
                  text_from_data(data["text"]),
                  fields=tuple(Field(**f) for f in data["fields"]),
                  buttons=tuple(Button(**b) for b in data["buttons"]),
                  mentions=tuple(Mention(**m) for m in data["mentions"]))


class DeliveryKind:
    """What every kind answers. By default a delivery goes to every home channel of the
    coalition (on every platform: whichever process serves that platform sends it)."""

    name: ClassVar[KindName]
    label: ClassVar[str]  # what `/coalition deliveries` calls a row of this kind
    # found by a sweep after the grace window: written 'skipped' (a reminder of a meeting
    # long past helps nobody), unless the kind is announced late instead
    announced_late: ClassVar[bool] = False
    # goes to the coalition's home channels (`home_targets`): a sweep reads those of all
    # its coalitions in one query (`home_targets_of`), not once per item or coalition
    # (1 000 reminders at 18:00 in 100 coalitions)
    to_home_channels: ClassVar[bool] = True

    def expiry(self, due: Due, now: datetime) -> datetime:
        """When a delivery of this kind still unsent is given up."""
        raise NotImplementedError

    async def targets(self, conn: Conn, due: Due) -> list[Target]:
        """Where a delivery of this kind goes."""
        return await home_targets(conn, due.coalition_id)

    async def render(self, conn: Conn, subject_id: int, occurrence: str, offset_min: int,
                     now: datetime, site: Site) -> Notice | None:
        """The notice as things are now; None if there is nothing to say."""
        raise NotImplementedError

    async def render_many(self, conn: Conn, rows: Sequence[delivery_sql.Delivery],
                          now: datetime, site: Site) -> list[Notice | None]:
        """`render` for several rows of this kind (a claimed batch), in their order. A
        kind that reads much per row reads for all of them at once instead."""
        return [await self.render(conn, r.subject_id, r.occurrence, r.offset_min, now, site)
                for r in rows]

    async def describe(self, conn: Conn, delivery: delivery_sql.Delivery) -> str:
        """A few words saying what a delivery of this kind was."""
        return self.label


class MeetingReminder(DeliveryKind):
    """Each offset before each occurrence, to the home channels, until it starts."""

    name = "meeting-reminder"
    label = "Meeting reminder"

    def expiry(self, due: Due, now: datetime) -> datetime:
        return due.at + timedelta(minutes=due.offset_min)  # the offset ends at the meeting

    async def render(self, conn: Conn, subject_id: int, occurrence: str, offset_min: int,
                     now: datetime, site: Site) -> Notice | None:
        return (await self._render_all(conn, [(subject_id, occurrence, offset_min)], now,
                                       site))[0]

    async def render_many(self, conn: Conn, rows: Sequence[delivery_sql.Delivery],
                          now: datetime, site: Site) -> list[Notice | None]:
        return await self._render_all(
            conn, [(r.subject_id, r.occurrence, r.offset_min) for r in rows], now, site)

    async def _render_all(self, conn: Conn, wanted: list[tuple[int, str, int]],
                          now: datetime, site: Site) -> list[Notice | None]:
        """Reminders of (series, occurrence, offset), reading what they show once for
        all of them: five statements, however many."""
        found = await meeting_sql.meetings_by_ids(conn, sorted({s for s, _, _ in wanted}))
        changed = await meeting_sql.changes(
            conn, sorted(m.id for m in found.values() if not m.cancelled))
        occs = [meetings.occurrence_in(found[s], changed.get(s, {}), key) if s in found
                else None for s, key, _ in wanted]
        live = [o for o in occs if o is not None and o.end > now]
        keys = sorted({(o.meeting.id, o.key) for o in live})
        said = await meeting_sql.said_yes(conn, keys)
        agendas = await meeting_sql.agendas(conn, keys)
        pages = await page_sql.pages_of(conn, sorted({o.meeting.coalition_id for o in live}))
        notices: list[Notice | None] = []
        for occ, (_, _, offset_min) in zip(occs, wanted, strict=True):
            if occ is None or occ.end <= now:
                notices.append(None)
                continue
            key = (occ.meeting.id, occ.key)
            page = pages.get(occ.meeting.coalition_id)
            notices.append(_reminder(occ, offset_min, now, meetings.by_org(said.get(key, [])),
                                     agendas.get(key, []), calendar_links(occ, site, page)))
        return notices


def _reminder(occ: Occurrence, offset_min: int, now: datetime,
              said_yes: list[tuple[str, list[str]]], agenda: list[tuple[str, str]],
              calendar: tuple[Field, ...]) -> Notice:
    """A meeting's reminder, from what was read for it."""
    meeting = occ.meeting
    planned = timedelta(minutes=offset_min)
    left = occ.start - now
    coming = format_span(planned if left > planned - timedelta(minutes=2) else left)
    fields = [Field("When", Text(When(occ.start, meeting.timezone)))]
    if meeting.location:
        fields.append(Field("Where", meeting.location))
    fields.append(Field("Coming", "\n".join(f"{org}: {', '.join(names)}"
                                             for org, names in said_yes)
                        or "Nobody has said yes yet."))
    if agenda:
        fields.append(Field("Agenda", "\n".join(f"{i}. {t}" for i, (t, _) in
                                                enumerate(agenda, 1))))
    fields += calendar  # "Add to calendar" links
    return Notice(meeting.coalition_id, f"Reminder: {meeting.title} in {coming}",
                  f"Meeting #{meeting.number}. Will you be there?", fields=tuple(fields),
                  buttons=meetings.rsvp_buttons(occ))


class PollClosing(DeliveryKind):
    """Before a poll's deadline, naming who has not voted, until the deadline."""

    name = "poll-closing"
    label = "Poll closing soon"

    def expiry(self, due: Due, now: datetime) -> datetime:
        return due.at + timedelta(minutes=due.offset_min)  # the offset ends at the deadline

    async def render(self, conn: Conn, subject_id: int, occurrence: str, offset_min: int,
                     now: datetime, site: Site) -> Notice | None:
        poll = await poll_sql.find_poll_by_id(conn, subject_id)
        if poll is None or not poll.accepts_votes(now):
            return None
        coalition: Coalition = await coalition_sql.get_coalition(conn, poll.coalition_id)
        left = format_span(poll.closes_at - now)
        _, notice = await polls.reminder_notice(conn, coalition, poll,
                                                f"Poll #{poll.number} closes in {left}")
        return notice


class PollResult(DeliveryKind):
    """When a poll closes at its deadline (the sweep that finds it closes it). A result
    found after a long outage is still announced, marked late, for a week."""

    name = "poll-result"
    label = "Poll result"
    announced_late = True

    def expiry(self, due: Due, now: datetime) -> datetime:
        return max(due.at, now) + RESULT_KEEP

    async def render(self, conn: Conn, subject_id: int, occurrence: str, offset_min: int,
                     now: datetime, site: Site) -> Notice | None:
        poll = await poll_sql.find_poll_by_id(conn, subject_id)
        decision = await poll_sql.decision_for_poll(conn, subject_id) if poll else None
        if poll is None or decision is None:
            return None
        return polls.result_notice(poll.coalition_id, poll.number, decision.outcome,
                                   f"{decision.question}\n{decision.summary}\n"
                                   "Closed at its deadline."
                                   + footer(await chain_sql.hash_for_poll(conn, subject_id)),
                                   decision.tallies, decision.voted)


class ActionDue(DeliveryKind):
    """Privately, to the action's owner: at the due time (offset 0, kept a day) and two
    days before (the reminder ahead, kept until the due time)."""

    name = "action-due"
    label = "Action item due"

    to_home_channels = False

    def expiry(self, due: Due, now: datetime) -> datetime:
        if due.offset_min:  # the reminder ahead: until it is due
            return due.at + timedelta(minutes=due.offset_min)
        return due.at + ACTION_KEEP

    async def targets(self, conn: Conn, due: Due) -> list[Target]:
        note = await meeting_sql.find_note(conn, due.subject_id)
        if note is None or note.owner_id is None:
            return []
        return [await person_target(conn, await people_sql.get_person(conn, note.owner_id))]

    async def render(self, conn: Conn, subject_id: int, occurrence: str, offset_min: int,
                     now: datetime, site: Site) -> Notice | None:
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


class ResourceExpiring(DeliveryKind):
    """Privately, to each representative of the organization that posted an offer or
    ask, and to whoever posted it, a few days before its date; until its end."""

    name = "resource-expiring"
    label = "Offer or ask expiring"

    to_home_channels = False

    def expiry(self, due: Due, now: datetime) -> datetime:
        return due.at + timedelta(minutes=due.offset_min)  # the offset ends at its end

    async def targets(self, conn: Conn, due: Due) -> list[Target]:
        return [await person_target(conn, p)
                for p in await resources.posters(conn, due.subject_id)]

    async def render(self, conn: Conn, subject_id: int, occurrence: str, offset_min: int,
                     now: datetime, site: Site) -> Notice | None:
        return await resources.expiring_notice(conn, subject_id, now)


class Digest(DeliveryKind):
    """Once a week at the coalition's chosen local time, to the home channels; given up
    a day after its time."""

    name = "digest"
    label = "Weekly digest"

    def expiry(self, due: Due, now: datetime) -> datetime:
        return due.at + DIGEST_KEEP

    async def render(self, conn: Conn, subject_id: int, occurrence: str, offset_min: int,
                     now: datetime, site: Site) -> Notice | None:
        return await digest.render(conn, subject_id, now)


class CommandNotice(DeliveryKind):
    """Raised by a command and kept as it was written (a `notice` row): to the home
    channels, or privately to one person (`Context.notify_person`), for a week."""

    name = "notice"
    label = "notice"

    def expiry(self, due: Due, now: datetime) -> datetime:
        return due.at + NOTICE_KEEP

    async def render(self, conn: Conn, subject_id: int, occurrence: str, offset_min: int,
                     now: datetime, site: Site) -> Notice | None:
        body = await delivery_sql.notice_body(conn, subject_id)
        return notice_from_json(body) if body is not None else None

    async def describe(self, conn: Conn, delivery: delivery_sql.Delivery) -> str:
        body = await delivery_sql.notice_body(conn, delivery.subject_id)
        if body is not None:
            return notice_from_json(body).title
        return self.label


KINDS: Mapping[str, DeliveryKind] = {kind.name: kind for kind in (
    MeetingReminder(), PollClosing(), PollResult(), ActionDue(), ResourceExpiring(),
    Digest(), CommandNotice())}


def kind_of(name: str) -> DeliveryKind:
    """The kind of a row or a due item, by its name."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown delivery kind {name!r}") from None
