"""`/meeting`: strategy meetings, RSVPs, agendas, minutes and action items."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from coalition_bot.commands.args import NoArgs
from coalition_bot.commands.spec import Arg, Command, OptionType, Subcommand
from coalition_bot.errors import UsageError
from coalition_bot.model import Level, Meeting, Note, NoteKind, Occurrence, Person
from coalition_bot.replies import Attachment, CommandRef, Field, Reply, Text, When, join
from coalition_bot.rules.calendar_links import webcal
from coalition_bot.rules.recurrence import describe
from coalition_bot.rules.times import parse_when
from coalition_bot.services import feeds, meetings, page
from coalition_bot.services.calendar import ical
from coalition_bot.services.context import Context
from coalition_bot.services.people import find_user

__all__ = ["COMMAND"]

TITLE_MAX = 120
TEXT_MAX = 500
WHERE_MAX = 300


# Arguments that several subcommands share (see `spec.Arg`).
MeetingNumber = Annotated[int, Arg("the meeting's number", type=OptionType.NUMBER, kind="meeting")]
NextDate = Annotated[date | None, Arg(
    "which date of a recurring meeting (default: the next one)", keyword_only=True, max_length=40)]
PastDate = Annotated[date | None, Arg(
    "which date of a recurring meeting (default: the latest one)", keyword_only=True,
    max_length=40)]
ItemNumber = Annotated[int, Arg("the item's number in the agenda", min_value=1, max_value=500)]
ActionNumber = Annotated[int, Arg("the action's number", type=OptionType.NUMBER, kind="action")]


def _when(occ: Occurrence) -> When:
    return When(occ.start, occ.meeting.timezone)


def _summary(meeting: Meeting) -> str:
    parts = [describe(meeting.rrule), f"{meeting.duration_min} min"]
    if meeting.until_local:
        parts.append(f"until {meeting.until_local:%Y-%m-%d}")
    if meeting.location:
        parts.append(f"at {meeting.location}")
    if meeting.remind_min:
        parts.append("reminders " + ", ".join(_offset(m) for m in meeting.remind_min)
                     + " before")
    return "; ".join(parts)


def _offset(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


@dataclass(frozen=True, slots=True)
class ScheduleArgs:
    title: Annotated[str, Arg("what the meeting is", max_length=TITLE_MAX)]
    when: Annotated[datetime, Arg(
        "the (first) start: 2026-12-01 18:00, tomorrow 6pm, tuesday 18:00", max_length=80)]
    every: Annotated[str | None, Arg(
        "weekly, biweekly, monthly (same weekday of the month) or an RRULE", keyword_only=True,
        max_length=200)] = None
    until: Annotated[date | None, Arg(
        "last date of a recurring meeting", keyword_only=True, max_length=40)] = None
    duration: Annotated[timedelta | None, Arg("how long (default 60m)", keyword_only=True)] = None
    where: Annotated[str | None, Arg(
        "a place or a call link", keyword_only=True, max_length=WHERE_MAX)] = None
    remind: Annotated[str | None, Arg(
        'reminder offsets before each meeting (default "24h,1h"; none for no reminders)',
        keyword_only=True, max_length=60)] = None


async def _schedule(ctx: Context, args: ScheduleArgs) -> Reply:
    meeting = await meetings.schedule(
        ctx, title=args.title, start=args.when, every=args.every, until=args.until,
        duration=args.duration, where=args.where, remind=args.remind)
    occ = await meetings.next_occurrence(ctx.conn, meeting, ctx.now)
    assert occ is not None
    return Reply(title=f"Meeting #{meeting.number}: {meeting.title}",
                 text="First: " + _when(occ) + f".\n{_summary(meeting)}.",
                 fields=await page.calendar_fields(ctx.conn, occ, ctx.site),
                 buttons=meetings.rsvp_buttons(occ))


@dataclass(frozen=True, slots=True)
class ListArgs:
    which: Annotated[Literal["upcoming", "past"] | None, Arg("upcoming or past")] = None


async def _list(ctx: Context, args: ListArgs) -> Reply:
    which = args.which or "upcoming"
    found = await (meetings.upcoming(ctx) if which == "upcoming" else meetings.past(ctx))
    if not found:
        return Reply(title=f"Meetings ({which})",
                     text="None. A coordinator schedules one with "
                          + CommandRef("meeting schedule TITLE WHEN") + "."
                          if which == "upcoming" else "None yet.")
    lines = [f"#{o.meeting.number} {o.meeting.title}: " + _when(o)
             + f" ({describe(o.meeting.rrule)})" for o in found]
    return Reply(title=f"Meetings ({which})", text=join("\n", lines))


@dataclass(frozen=True, slots=True)
class MeetingArgs:
    meeting: MeetingNumber
    occurrence: NextDate = None


async def _info(ctx: Context, args: MeetingArgs) -> Reply:
    meeting = await meetings.get_meeting(ctx, args.meeting)
    head = f"Meeting #{meeting.number}: {meeting.title}"
    if meeting.cancelled:
        return Reply(title=head, text="Cancelled.")
    occ = await meetings.find_occurrence(ctx, meeting, args.occurrence)
    present = await meetings.attendance(ctx, occ)
    agenda = await meetings.agenda_items(ctx, occ)
    answers = present.answers
    fields = [
        Field("When", _when(occ) + (" (cancelled)" if occ.cancelled else "")),
        Field("Details", _summary(meeting)),
        Field("RSVPs", f"yes {len(answers['yes'])}, maybe {len(answers['maybe'])}, "
                       f"no {len(answers['no'])}"
              + "".join(f"\n{a}: {', '.join(p.display_name for p in answers[a])}"
                        for a in ("yes", "maybe", "no") if answers[a])),
        Field("Organizations represented", ", ".join(present.orgs_present) or "none yet"),
        Field("Agenda", "\n".join(f"{i}. {text} ({who})" for i, (text, who)
                                  in enumerate(agenda, 1)) or "nothing yet"),
    ]
    later = await meetings.occurrences_between(ctx.conn, meeting, occ.end, occ.end +
                                               meetings.HORIZON)
    if later:
        fields.append(Field("Then", ", ".join(_when(o).plain().split(" (")[0]
                                              for o in later[:3])))
    fields.append(Field("Next reminder", _next_reminder(meeting, occ, later, ctx.now)))
    if not occ.cancelled:
        fields += await page.calendar_fields(ctx.conn, occ, ctx.site)
    return Reply(title=head, fields=tuple(fields),
                 buttons=() if occ.cancelled else meetings.rsvp_buttons(occ))


def _next_reminder(meeting: Meeting, occ: Occurrence, later: list[Occurrence],
                   now: datetime) -> str:
    """When the next reminder goes out; a cancelled date gets none (later ones may)."""
    coming = [o for o in (occ, *later[:1]) if not o.cancelled]
    reminder = meetings.next_reminder(meeting, coming, now)
    when = When(reminder, meeting.timezone) if reminder else "none"
    if not occ.cancelled:
        return Text(when)
    return "none for this date: it is cancelled" + (
        " (the next one: " + when + ")" if reminder else "")


@dataclass(frozen=True, slots=True)
class CancelArgs:
    meeting: MeetingNumber
    occurrence: Annotated[str | None, Arg(
        "a date, or all (default: the next occurrence; a one-off meeting is cancelled whole)",
        keyword_only=True, max_length=40)] = None  # text: `all` is not a date


async def _cancel(ctx: Context, args: CancelArgs) -> Reply:
    meeting, what = await meetings.cancel(ctx, args.meeting, args.occurrence)
    return Reply(title=f"Meeting #{meeting.number} cancelled",
                 text=f"{meeting.title}: cancelled " + what + ".")


@dataclass(frozen=True, slots=True)
class RescheduleArgs:
    meeting: MeetingNumber
    when: Annotated[datetime, Arg("the new start", max_length=80)]
    occurrence: NextDate = None


async def _reschedule(ctx: Context, args: RescheduleArgs) -> Reply:
    meeting, what = await meetings.reschedule(ctx, args.meeting, args.when,
                                              args.occurrence)
    return Reply(title=f"Meeting #{meeting.number} moved",
                 text=f"{meeting.title}: moved " + what + ".")


@dataclass(frozen=True, slots=True)
class UpdateArgs:
    meeting: MeetingNumber
    title: Annotated[str | None, Arg(
        "the new title", keyword_only=True, max_length=TITLE_MAX)] = None
    where: Annotated[str | None, Arg(
        "a place or a call link (none to clear)", keyword_only=True, max_length=WHERE_MAX)] = None
    duration: Annotated[timedelta | None, Arg("how long", keyword_only=True)] = None
    remind: Annotated[str | None, Arg(
        'reminder offsets, like "24h,1h", or none', keyword_only=True, max_length=60)] = None


async def _update(ctx: Context, args: UpdateArgs) -> Reply:
    meeting, changed = await meetings.update(
        ctx, args.meeting, title=args.title, where=args.where,
        duration=args.duration, remind=args.remind)
    if not changed:
        return Reply(private=True, text=f"Meeting #{meeting.number} already is that way.")
    return Reply(title=f"Meeting #{meeting.number} updated: {', '.join(changed)}",
                 text=f"{meeting.title}: {_summary(meeting)}.")


@dataclass(frozen=True, slots=True)
class RsvpArgs:
    meeting: MeetingNumber
    answer: Annotated[Literal["yes", "no", "maybe"], Arg("yes, no or maybe")]
    occurrence: NextDate = None


async def _rsvp(ctx: Context, args: RsvpArgs) -> Reply:
    occ = await meetings.rsvp(ctx, args.meeting, args.answer, args.occurrence)
    return Reply(private=True, text=f"Noted: {args.answer} for {occ.meeting.title} on "
                                    + _when(occ) + ".")


@dataclass(frozen=True, slots=True)
class AttendedArgs:
    meeting: MeetingNumber
    people: Annotated[str, Arg(
        "the people who came (mentions, or names on the console)", max_length=TEXT_MAX, rest=True)]
    occurrence: PastDate = None


async def _attended(ctx: Context, args: AttendedArgs) -> Reply:
    names = [n.strip('"').strip(",") for n in re.findall(r'"[^"]*"|[^\s,]+', args.people)]
    names = [n for n in names if n]
    if not names:
        raise UsageError("Name at least one person who came, for example "
                         + CommandRef("meeting attended #1 @bob @dan") + ".")
    people: list[Person] = []
    for name in names:
        person = await find_user(ctx, name)
        if person.id not in {p.id for p in people}:
            people.append(person)
    occ, added = await meetings.record_attendance(ctx, args.meeting, people,
                                                  args.occurrence)
    again = len(people) - added
    more = f" ({again} already recorded)" if again else ""
    return Reply(private=True, text=f"Recorded {len(people)} attendee(s) of {occ.meeting.title} "
                                    "on " + _when(occ) + f"{more}: "
                                    f"{', '.join(p.display_name for p in people)}.")


@dataclass(frozen=True, slots=True)
class AgendaAddArgs:
    meeting: MeetingNumber
    text: Annotated[str, Arg("the agenda item", max_length=TEXT_MAX, rest=True)]
    occurrence: NextDate = None


async def _agenda_add(ctx: Context, args: AgendaAddArgs) -> Reply:
    occ, position = await meetings.add_agenda(ctx, args.meeting, args.text,
                                              args.occurrence)
    return Reply(text=f"Agenda item {position} added to {occ.meeting.title} on "
                 + _when(occ) + ".")


@dataclass(frozen=True, slots=True)
class AgendaRemoveArgs:
    meeting: MeetingNumber
    item: ItemNumber
    occurrence: NextDate = None


async def _agenda_remove(ctx: Context, args: AgendaRemoveArgs) -> Reply:
    occ, text = await meetings.remove_agenda(ctx, args.meeting, args.item,
                                             args.occurrence)
    return Reply(text=f"Removed from the agenda of {occ.meeting.title} on " + _when(occ)
                 + f": {text}")


@dataclass(frozen=True, slots=True)
class AgendaMoveArgs:
    meeting: MeetingNumber
    item: ItemNumber
    to: Annotated[int, Arg("its new position", min_value=1, max_value=500)]
    occurrence: NextDate = None


async def _agenda_move(ctx: Context, args: AgendaMoveArgs) -> Reply:
    occ, items = await meetings.move_agenda(ctx, args.meeting, args.item, args.to,
                                            args.occurrence)
    return Reply(title=f"Agenda of {occ.meeting.title}, {_when(occ)}",
                 text="\n".join(f"{i}. {t}" for i, t in enumerate(items, 1)))


async def _agenda(ctx: Context, args: MeetingArgs) -> Reply:
    meeting = await meetings.get_meeting(ctx, args.meeting)
    occ = await meetings.find_occurrence(ctx, meeting, args.occurrence)
    items = await meetings.agenda_items(ctx, occ)
    text = "\n".join(f"{i}. {t} ({who})" for i, (t, who) in enumerate(items, 1))
    return Reply(title=f"Agenda: {meeting.title}, {_when(occ)}",
                 text=text or "Nothing yet. Add with "
                 + CommandRef(f"meeting agenda add #{meeting.number} TEXT") + ".")


@dataclass(frozen=True, slots=True)
class NoteArgs:
    meeting: MeetingNumber
    kind: Annotated[NoteKind, Arg("action, decision or info")]
    text: Annotated[str, Arg("what to record", max_length=TEXT_MAX, rest=True)]
    owner: Annotated[Person | None, Arg(
        "who does it (actions; default you)", keyword_only=True, max_length=80)] = None
    due: Annotated[datetime | None, Arg(
        "when it is due (actions)", keyword_only=True, max_length=80)] = None
    occurrence: NextDate = None


async def _note(ctx: Context, args: NoteArgs) -> Reply:
    occ, note = await meetings.add_note(ctx, args.meeting, args.kind, args.text,
                                        args.owner, args.due, args.occurrence)
    if note.kind == "action":
        due = ", due " + When(note.due_at, ctx.coalition.timezone) if note.due_at else ""
        return Reply(title=f"Action #{note.action_number}",
                     text=f"{note.text} ({note.owner_name}" + due + "). Close it with "
                          + CommandRef(f"meeting done {note.action_number}") + ".")
    return Reply(text=f"{note.kind.capitalize()} noted for {occ.meeting.title} on "
                 + _when(occ) + ".")


async def _minutes(ctx: Context, args: MeetingArgs) -> Reply:
    m = await meetings.minutes(ctx, args.meeting, args.occurrence)
    occ = m.occurrence
    doc = meetings.minutes_markdown(m, ctx.coalition.name)
    tz = ctx.coalition.timezone

    def lines(kind: str) -> str:
        found = m.of_kind(kind)
        if kind == "action":
            return join("\n", (
                f"#{n.action_number} {n.text} ({n.owner_name or 'nobody yet'}"
                + (", due " + When(n.due_at, tz) if n.due_at else "") + ")"
                + _closed(n, tz) for n in found)) or "none"
        return "\n".join(n.text for n in found) or "none"

    return Reply(
        title=f"Minutes: {occ.meeting.title}, {_when(occ)}",
        fields=(Field("Attendees", ", ".join(p.display_name for p in m.attendees) or "nobody "
                                   "said yes"),
                Field("Decisions", lines("decision")), Field("Actions", lines("action")),
                Field("Information", lines("info"))),
        files=(Attachment(f"minutes-meeting-{occ.meeting.number}-{occ.key[:10]}.md", doc,
                          "text/markdown"),))


@dataclass(frozen=True, slots=True)
class ActionsArgs:
    which: Annotated[Literal["open", "mine", "all"] | None, Arg("open, mine or all")] = None


async def _actions(ctx: Context, args: ActionsArgs) -> Reply:
    which = args.which or "open"
    found = await meetings.action_list(ctx, which)
    if not found:
        return Reply(title=f"Action items ({which})", text="None.", private=which == "mine")
    tz = ctx.coalition.timezone
    lines = []
    for n in found:
        due = ", due " + When(n.due_at, tz) if n.due_at else ""
        late = " OVERDUE" if n.due_at and not n.done_at and n.due_at < ctx.now else ""
        done = _closed(n, tz)
        lines.append(f"#{n.action_number} {n.text} ({n.owner_name or 'nobody'}" + due
                     + f"; meeting #{n.meeting_number}){late}" + done)
    return Reply(title=f"Action items ({which})", text=join("\n", lines),
                 private=which == "mine")


@dataclass(frozen=True, slots=True)
class ActionArgs:
    action: Annotated[int, Arg("the action's number", type=OptionType.NUMBER, kind="action")]


async def _done(ctx: Context, args: ActionArgs) -> Reply:
    note = await meetings.finish_action(ctx, args.action)
    return Reply(text=f"Action #{note.action_number} done: {note.text}")


def _action_line(n: Note, tz: str) -> Text:
    due = ", due " + When(n.due_at, tz) if n.due_at else ""
    return Text(f"#{n.action_number} {n.text} ({n.owner_name or 'nobody'}", due, ")")


def _closed(n: Note, tz: str) -> str:
    """` (done by Bob, Tue 1 Dec 2026, 18:00 (zone))` for a closed item, else ``."""
    if n.done_at is None:
        return ""
    return f" (done by {n.done_by_name or 'someone'}, " + When(n.done_at, tz) + ")"


@dataclass(frozen=True, slots=True)
class ActionEditArgs:
    action: ActionNumber
    text: Annotated[str | None, Arg("the new text", keyword_only=True, max_length=TEXT_MAX)] = None
    # text, not TIME: `none` clears it, so the handler reads the time itself
    due: Annotated[str | None, Arg(
        "the new due time, or none", keyword_only=True, max_length=80)] = None


async def _action_edit(ctx: Context, args: ActionEditArgs) -> Reply:
    raw_due = args.due
    clear = raw_due is not None and raw_due.strip().lower() == "none"
    due = parse_when(raw_due, ctx.coalition.timezone, ctx.now) if raw_due and not clear else None
    note = await meetings.edit_action(ctx, args.action, text=args.text, due=due,
                                      clear_due=clear)
    return Reply(text="Action " + _action_line(note, ctx.coalition.timezone) + " updated.")


@dataclass(frozen=True, slots=True)
class ReassignArgs:
    action: ActionNumber
    user: Annotated[Person, Arg("the new owner", max_length=80)]


async def _action_reassign(ctx: Context, args: ReassignArgs) -> Reply:
    owner = args.user
    note, changed = await meetings.reassign_action(ctx, args.action, owner)
    if not changed:
        return Reply(private=True, text=f"Action #{note.action_number} already is "
                                        f"{owner.display_name}'s.")
    told = "" if owner.id == ctx.caller.person.id else f" {owner.display_name} was told."
    return Reply(text="Action " + _action_line(note, ctx.coalition.timezone)
                 + f" reassigned.{told}")


async def _action_reopen(ctx: Context, args: ActionArgs) -> Reply:
    note = await meetings.reopen_action(ctx, args.action)
    return Reply(text="Action " + _action_line(note, ctx.coalition.timezone)
                 + " is open again.")


async def _ical(ctx: Context, args: NoArgs) -> Reply:
    file = await ical(ctx.conn, ctx.coalition, ctx.now)
    return Reply(private=True, text="The coalition's meetings as a calendar file: import it "
                                    "into any calendar app.", files=(file,))


@dataclass(frozen=True, slots=True)
class FeedArgs:
    reset: Annotated[Literal["reset"] | None, Arg(
        "reset: a new address, the old one stops working")] = None


async def _feed(ctx: Context, args: FeedArgs) -> Reply:
    token, new = await feeds.my_feed(ctx, args.reset is not None)
    path = feeds.feed_path(token)
    address = ctx.site.url(path)
    text = ("Subscribe to it in your calendar app (\"add calendar from URL\"): it has the "
            "meetings you said yes or maybe to. Keep it to yourself; "
            + CommandRef("meeting feed reset") + " gives a new address and stops the old one.")
    if not address:
        text += " This bot does not serve web pages yet: its operator turns on [web]."
    fields = [Field("Your calendar feed", address or path)]
    if address:
        fields.append(Field("Open in a calendar app", webcal(address)))
    return Reply(private=True, title="Your new calendar feed" if new else "Your calendar feed",
                 text=text, fields=tuple(fields))


COMMAND = Command(
    name="meeting",
    help="Regular strategy meetings: schedule them, RSVP, build the agenda, take notes, "
         "get minutes, and follow up on action items.",
    subcommands=(
        Subcommand(("schedule",), "Schedule a meeting, once or recurring. Times are read in the "
                   "coalition's time zone.", Level.COORDINATOR, _schedule,
                   example='/meeting schedule "Strategy call" "tuesday 18:00" '
                           'every:weekly duration:90m where:https://meet.example/abc',
                   form=True),
        Subcommand(("list",), "List upcoming (default) or past meetings.", Level.MEMBER, _list),
        Subcommand(("info",), "The next occurrence of a meeting: RSVPs, organizations "
                   "represented, agenda.", Level.MEMBER, _info),
        Subcommand(("cancel",), "Cancel the next occurrence, one date, or all of a meeting.",
                   Level.COORDINATOR, _cancel),
        Subcommand(("reschedule",), "Move one occurrence (occurrence:DATE) or the whole "
                   "meeting.", Level.COORDINATOR, _reschedule),
        Subcommand(("update",), "Change a meeting's title, place, length or reminders (every "
                   "occurrence).", Level.COORDINATOR, _update,
                   example="/meeting update 1 where:https://meet.example/new remind:2h"),
        Subcommand(("rsvp",), "Say whether you are coming.", Level.MEMBER, _rsvp, private=True),
        Subcommand(("attended",), "Record who actually came to a meeting (default: the "
                   "latest occurrence); health reports count this, not RSVPs.",
                   Level.REPRESENTATIVE, _attended,
                   private=True, example="/meeting attended #1 @bob @dan"),
        Subcommand(("agenda", "add"), "Add an item to the next meeting's agenda.", Level.MEMBER,
                   _agenda_add),
        Subcommand(("agenda", "remove"), "Take an item off a meeting's agenda (whoever added "
                   "it, or a coordinator).", Level.MEMBER, _agenda_remove,
                   example="/meeting agenda remove #1 2"),
        Subcommand(("agenda", "move"), "Move an agenda item to another position.",
                   Level.COORDINATOR, _agenda_move, example="/meeting agenda move #1 3 1"),
        Subcommand(("agenda",), "Show the next meeting's agenda.", Level.MEMBER, _agenda),
        Subcommand(("note",), "Record an action, decision or information during or after a "
                   "meeting.", Level.REPRESENTATIVE, _note,
                   example='/meeting note #1 action Book the hall owner:Bob '
                           'due:"friday 17:00"'),
        Subcommand(("minutes",), "The minutes of a meeting (default: the latest), with a "
                   "Markdown file.", Level.MEMBER, _minutes),
        Subcommand(("actions",), "Action items: open (default), mine or all.", Level.MEMBER,
                   _actions),
        Subcommand(("done",), "Mark an action item done.", Level.MEMBER, _done),
        Subcommand(("action", "edit"), "Change an action item's text or due time "
                   "(its owner, whoever wrote it down, or a coordinator).", Level.MEMBER,
                   _action_edit, example='/meeting action edit 4 due:"friday 17:00"'),
        Subcommand(("action", "reassign"), "Give an action item to someone else; they are "
                   "told privately.", Level.MEMBER, _action_reassign,
                   example="/meeting action reassign 4 @dan"),
        Subcommand(("action", "reopen"), "Open a done action item again.", Level.MEMBER,
                   _action_reopen),
        Subcommand(("ical",), "All meetings as an iCalendar (.ics) file.", Level.MEMBER, _ical,
                   private=True),
        Subcommand(("feed",), "Your own calendar feed (the meetings you said yes or maybe "
                   "to), to subscribe to; reset gives it a new address.", Level.MEMBER, _feed,
                   private=True, example="/meeting feed reset"),
    ),
)
