"""What a handler knows about the call it is serving, inside its transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from coalition_bot.errors import NotSetUp
from coalition_bot.model import Binding, Coalition, Level, Person
from coalition_bot.replies import Invocation, Notice
from coalition_bot.services.site import Site
from coalition_bot.store.database import Conn

__all__ = ["Caller", "Context"]


@dataclass(frozen=True, slots=True)
class Caller:
    """The person running the command and their standing in the coalition."""

    person: Person
    level: Level
    org_ids: tuple[int, ...]  # organizations they represent


@dataclass(slots=True)
class Context:
    """One command's view of the world: its open transaction, who, where and when."""

    conn: Conn
    invocation: Invocation
    now: datetime
    site: Site = field(default_factory=Site)  # where its web pages are ([web] base_url)
    binding: Binding | None = None
    coalition_record: Coalition | None = None
    caller_record: Caller | None = None
    notices: list[Notice] = field(default_factory=list)
    private_notices: list[tuple[Person, Notice]] = field(default_factory=list)

    @property
    def coalition(self) -> Coalition:
        if self.coalition_record is None:
            raise NotSetUp("There is no coalition here yet.")
        return self.coalition_record

    @property
    def caller(self) -> Caller:
        if self.caller_record is None:
            raise NotSetUp("There is no coalition here yet.")
        return self.caller_record

    def notify(self, notice: Notice) -> None:
        """Queue a post to the home channel(s); sent only if the transaction commits."""
        self.notices.append(notice)

    def notify_person(self, person: Person, notice: Notice) -> None:
        """Queue a private post to one person (a direct message on their platform); sent
        only if the transaction commits."""
        self.private_notices.append((person, notice))
