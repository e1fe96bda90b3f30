"""Plain records the core passes around. No behaviour beyond small derived facts."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

__all__ = [
    "GOAL_STATUSES",
    "Binding",
    "Coalition",
    "Decision",
    "DeliveryKind",
    "Electorate",
    "Goal",
    "GoalStatus",
    "GoalUpdate",
    "Level",
    "Meeting",
    "Note",
    "NoteKind",
    "Occurrence",
    "Org",
    "Person",
    "Poll",
    "PollStatus",
    "Resource",
    "ResourceKind",
    "ResourceStatus",
    "ResourceTake",
    "Results",
    "Role",
    "RoleHolder",
    "Rule",
    "Vote",
]


# The words the database stores and users type. A `StrEnum` member is its string: it
# compares equal to it, formats as it and is stored as it, so rows and replies read alike.
class Electorate(enum.StrEnum):
    """Who votes in a poll: one vote per organization, or one per member."""

    ORGS = "orgs"
    MEMBERS = "members"


class Rule(enum.StrEnum):
    """How a poll passes (see `rules.tally`)."""

    MAJORITY = "majority"
    SUPERMAJORITY = "supermajority"
    CONSENSUS = "consensus"
    PLURALITY = "plurality"


class Results(enum.StrEnum):
    """When a poll's tally shows: as votes come in, or once it closes."""

    LIVE = "live"
    HIDDEN = "hidden"


class PollStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class GoalStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in-progress"
    BLOCKED = "blocked"
    DONE = "done"
    DROPPED = "dropped"


GOAL_STATUSES = tuple(s.value for s in GoalStatus)


class NoteKind(enum.StrEnum):
    """What a meeting note records."""

    ACTION = "action"
    DECISION = "decision"
    INFO = "info"


class ResourceKind(enum.StrEnum):
    OFFER = "offer"
    ASK = "ask"


class ResourceStatus(enum.StrEnum):
    OPEN = "open"
    MET = "met"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


# What an outbox delivery carries; each kind is rendered when it is sent. Only the code
# names kinds, never a user, so a `Literal` checks them without converting any.
DeliveryKind = Literal["notice", "meeting-reminder", "poll-closing", "poll-result",
                       "action-due", "resource-expiring", "digest"]


class Level(enum.IntEnum):
    """What a command needs from its caller. Higher levels include the lower ones."""

    ANYONE = 0  # works before a coalition exists (setup, help)
    MEMBER = 1
    REPRESENTATIVE = 2
    COORDINATOR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Coalition:
    id: int
    name: str
    timezone: str
    created_by: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Binding:
    """One platform workspace (Slack team, Discord guild, console) bound to a coalition."""

    id: int
    coalition_id: int
    platform: str
    workspace_id: str
    home_channel_id: str | None


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    coalition_id: int
    platform: str
    platform_user_id: str
    display_name: str
    org_id: int | None  # the organization they declared with `join`
    left_at: datetime | None = None  # removed by a coordinator; back when they next call


@dataclass(frozen=True, slots=True)
class Org:
    id: int
    coalition_id: int
    number: int
    name: str
    observer: bool
    left_at: datetime | None = None  # left the coalition: no vote, in no electorate


@dataclass(frozen=True, slots=True)
class Goal:
    id: int
    coalition_id: int
    number: int
    text: str
    status: GoalStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class GoalUpdate:
    goal_id: int
    status: GoalStatus
    note: str
    author: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Poll:
    id: int
    coalition_id: int
    number: int
    question: str
    proposal: bool
    choices: tuple[str, ...]
    electorate: Electorate
    rule: Rule
    quorum_pct: int
    anonymous: bool
    results: Results
    closes_at: datetime
    status: PollStatus
    closed_at: datetime | None
    created_at: datetime
    details: str = ""  # background text and links
    pick: int = 1  # how many choices a voter may choose
    withdrawn_at: datetime | None = None  # taken back: closed, with no decision
    withdraw_reason: str = ""
    outcome_text: str = ""  # the written outcome statement, after the close

    def accepts_votes(self, now: datetime) -> bool:
        """Open and not past its closing time (whether or not anything closed it yet)."""
        return self.status == "open" and now < self.closes_at


@dataclass(frozen=True, slots=True)
class Vote:
    """A voter's counted vote. `choice` and `reason` are None in anonymous polls."""

    voter: str  # 'org:ID' or 'person:ID'
    voter_name: str  # the organization's or the person's name
    cast_by: str  # the person who cast it
    cast_by_id: int
    choice: str | None
    reason: str | None
    cast_at: datetime
    changes: int
    by_proxy: bool = False  # cast by the holder of the organization's proxy


@dataclass(frozen=True, slots=True)
class Decision:
    number: int
    poll_number: int | None
    question: str
    rule: str  # a `Rule`, or 'coordinator' for a decision that no poll made
    outcome: str
    summary: str
    tallies: dict[str, int]
    voters: list[dict[str, str]]
    electorate: int
    voted: int
    quorum_met: bool
    anonymous: bool
    decided_at: datetime
    closed_by: str
    quorum_pct: int | None = None  # the quorum its poll required; None without a poll
    statement: str = ""  # the written outcome (`/poll outcome`), if any


@dataclass(frozen=True, slots=True)
class Meeting:
    id: int
    coalition_id: int
    number: int
    title: str
    timezone: str
    start_local: datetime  # naive: wall-clock time in `timezone`
    rrule: str | None
    until_local: datetime | None
    duration_min: int
    location: str
    remind_min: tuple[int, ...]
    cancelled: bool


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One meeting occurrence: `key` names it (its original local start); `start` is
    when it actually happens (moved occurrences differ), timezone-aware."""

    meeting: Meeting
    key: str
    start: datetime
    cancelled: bool = False

    @property
    def end(self) -> datetime:
        """Elapsed time, not wall-clock: a 60-minute meeting across a DST change lasts 60."""
        return (self.start.astimezone(UTC) + timedelta(minutes=self.meeting.duration_min)
                ).astimezone(self.start.tzinfo)


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    meeting_number: int
    occurrence: str
    kind: NoteKind
    text: str
    action_number: int | None
    owner_id: int | None
    owner_name: str | None
    due_at: datetime | None
    done_at: datetime | None
    added_at: datetime
    added_by: int | None
    done_by_name: str | None = None  # who closed it


@dataclass(frozen=True, slots=True)
class Role:
    id: int
    number: int
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class RoleHolder:
    role: Role
    person: Person
    org_id: int | None


@dataclass(frozen=True, slots=True)
class ResourceTake:
    """An organization committed to meet an ask or to use an offer."""

    org_id: int
    org_name: str
    person_name: str
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Resource:
    """An offer or an ask an organization posted on the coalition's board."""

    id: int
    coalition_id: int
    number: int
    kind: ResourceKind
    org_id: int
    org_name: str
    text: str
    tags: tuple[str, ...]
    ends_at: datetime | None  # the end of its until:/by: day; None: open until closed
    status: ResourceStatus
    posted_by: int | None
    created_at: datetime
    closed_at: datetime | None
    close_note: str
    takes: tuple[ResourceTake, ...] = ()

    def state(self, now: datetime) -> ResourceStatus:
        """Its status as of `now`: an open item past its date is expired."""
        if self.status == "open" and self.ends_at is not None and self.ends_at <= now:
            return ResourceStatus.EXPIRED
        return self.status

    def is_open(self, now: datetime) -> bool:
        return self.state(now) == "open"
