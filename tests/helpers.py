"""Test helpers: a clock tests can move, a recording outlet, a chat front door, snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db_access import connect, tables

from coalition_bot.bot import Bot
from coalition_bot.replies import Invocation, Notice, Reply
from coalition_bot.services.people import console_user_id

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@dataclass
class MovableClock:
    """A clock the test sets and advances; the bot asks it for `now`."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class RecordingOutlet:
    """An outlet that keeps what the bot posts to home channels (`posted`) and to people
    privately (`private`: user id and notice)."""

    platform: str
    posted: list[tuple[str, Notice]] = field(default_factory=list)
    private: list[tuple[str, Notice]] = field(default_factory=list)

    async def post_notice(self, notice: Notice, channel_id: str, *,
                          workspace_id: str = "") -> None:
        self.posted.append((channel_id, notice))

    async def post_private(self, user_id: str, notice: Notice, *,
                           workspace_id: str = "") -> None:
        self.private.append((user_id, notice))


@dataclass
class Chat:
    """Talk to the bot as named console users of one workspace."""

    bot: Bot
    outlet: RecordingOutlet
    workspace: str = "local"
    channel: str = "console"

    def invocation(self, user: str, line: str, *, workspace: str | None = None) -> Invocation:
        return Invocation(platform="console", workspace_id=workspace or self.workspace,
                          channel_id=self.channel, user_id=console_user_id(user),
                          user_name=user, line=line)

    async def say(self, user: str, line: str, *, workspace: str | None = None) -> Reply:
        reply = await self.bot.handle(self.invocation(user, line, workspace=workspace))
        await self.bot.drain()
        return reply

    async def ok(self, user: str, line: str, **kwargs: str) -> Reply:
        """Say a line that must succeed."""
        reply = await self.say(user, line, **kwargs)
        assert not reply.error, f"{line!r} failed: {reply.text}"
        return reply

    @property
    def notices(self) -> list[Notice]:
        return [n for _, n in self.outlet.posted]


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, read behind the bot's back (tests/db_access.py)."""
    with connect(path) as conn:
        return {t: sorted((tuple(r) for r in conn.execute(f'SELECT * FROM "{t}"')),
                          key=repr)
                for t in tables(conn)}


def text_of(reply: Reply) -> str:
    """A reply's title, text and fields as one string, for assertions."""
    parts = [reply.title, reply.text]
    for f in reply.fields:
        parts += [f.name, f.value]
    parts += [f"{b.label} {b.command}" for b in reply.buttons]
    return "\n".join(parts)


APOLOGY = "Sorry, something went wrong on my side"


def field(reply: Reply, name: str) -> str:
    """The value of the field called `name` (fails when there is not exactly one)."""
    values = [f.value for f in reply.fields if f.name == name]
    assert len(values) == 1, f"no single field {name!r} in {[f.name for f in reply.fields]}"
    return values[0]


def query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with connect(db_path) as conn:
        return conn.execute(sql, params).fetchall()


async def error(chat: Chat, user: str, line: str, **kwargs: str) -> str:
    """Say a line that must fail with a private error meant for the user; its message."""
    reply = await chat.say(user, line, **kwargs)
    assert reply.error, f"{line!r} should have failed but said: {text_of(reply)}"
    assert reply.private
    assert not reply.text.startswith(APOLOGY), reply.text
    return reply.text


async def refused_without_change(chat: Chat, db_path: Path, user: str, line: str,
                                 **kwargs: str) -> str:
    """Say a line that must fail privately and leave every table as it was; its message."""
    before = snapshot(db_path)
    message = await error(chat, user, line, **kwargs)
    assert snapshot(db_path) == before, f"{line!r} changed the database"
    return message
