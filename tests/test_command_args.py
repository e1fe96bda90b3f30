"""Typed commands: each handler takes a frozen dataclass, and its spec's options are read
from that dataclass's fields."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Annotated, Any, Literal

import pytest
from helpers import Chat

from coalition_bot.bot import Bot
from coalition_bot.commands.args import Confirm, NoArgs, args_type, build_args, field_types
from coalition_bot.commands.registry import COMMANDS
from coalition_bot.commands.spec import (
    Arg,
    Command,
    Option,
    OptionType,
    Subcommand,
    options_of,
)
from coalition_bot.model import (
    Electorate,
    GoalStatus,
    NoteKind,
    Org,
    Person,
    PollStatus,
    ResourceKind,
    ResourceStatus,
    Results,
    Rule,
)
from coalition_bot.store import goals as goal_sql
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import polls as poll_sql
from coalition_bot.store import resources as resource_sql

# What each option type arrives as (CHOICE: a Literal or a StrEnum of exactly its choices).
PYTHON_TYPE: dict[OptionType, type] = {
    OptionType.TEXT: str,
    OptionType.TIMEZONE: str,
    OptionType.INTEGER: int,
    OptionType.NUMBER: int,
    OptionType.PERCENT: int,
    OptionType.BOOL: bool,
    OptionType.TIME: datetime,
    OptionType.DATE: date,
    OptionType.DURATION: timedelta,
    OptionType.USER: Person,
    OptionType.ORG: Org,
}

SUBCOMMANDS = [(c, s) for c in COMMANDS.values() for s in c.subcommands]
NAMES = [f"{c.name} {s.words}" for c, s in SUBCOMMANDS]


@pytest.mark.parametrize(("command", "sub"), SUBCOMMANDS, ids=NAMES)
def test_every_handler_takes_a_frozen_dataclass_not_a_dict(command: Command,
                                                           sub: Subcommand) -> None:
    params = list(inspect.signature(sub.handler).parameters)
    assert len(params) == 2, f"{sub.handler.__qualname__} takes {params}"
    hint = typing.get_type_hints(sub.handler)[params[1]]
    assert typing.get_origin(hint) is None, f"{sub.handler.__qualname__} takes {hint}"
    assert hint is not dict
    assert dataclasses.is_dataclass(hint), f"{sub.handler.__qualname__} takes {hint}"
    assert hint.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert args_type(sub.handler) is hint


@pytest.mark.parametrize(("command", "sub"), SUBCOMMANDS, ids=NAMES)
def test_spec_options_are_read_from_the_args_dataclass(command: Command,
                                                       sub: Subcommand) -> None:
    assert sub.options == options_of(args_type(sub.handler))
    assert [o.name for o in sub.options] == [f.name for f in
                                             dataclasses.fields(args_type(sub.handler))]


@pytest.mark.parametrize(("command", "sub"), SUBCOMMANDS, ids=NAMES)
def test_args_field_is_optional_exactly_when_the_option_is(command: Command,
                                                           sub: Subcommand) -> None:
    cls = args_type(sub.handler)
    hints = typing.get_type_hints(cls)
    for option, field in zip(sub.options, dataclasses.fields(cls), strict=False):
        may_be_none = type(None) in typing.get_args(hints[field.name])
        assert may_be_none is (not option.required), f"{option.name}: {hints[field.name]}"
        expected = None if not option.required else dataclasses.MISSING
        assert field.default is expected, f"{option.name} defaults to {field.default}"


@pytest.mark.parametrize(("command", "sub"), SUBCOMMANDS, ids=NAMES)
def test_args_field_type_is_what_the_option_type_resolves_to(command: Command,
                                                             sub: Subcommand) -> None:
    kinds = field_types(args_type(sub.handler))
    for option in sub.options:
        kind = kinds[option.name]
        if option.type is OptionType.CHOICE:
            if isinstance(kind, type) and issubclass(kind, Enum):
                assert tuple(m.value for m in kind) == option.choices, option.name
            else:
                assert typing.get_origin(kind) is Literal, f"{option.name}: {kind}"
                assert typing.get_args(kind) == option.choices, option.name
        else:
            assert kind is PYTHON_TYPE[option.type], f"{option.name}: {kind}"


def test_a_subcommand_without_options_takes_no_args() -> None:
    empty = [s for _, s in SUBCOMMANDS if not s.options]
    assert empty  # `coalition info`, `role list`, ...
    assert all(args_type(s.handler) is NoArgs for s in empty)


def test_a_choice_becomes_its_enum_member_and_a_literal_stays_text() -> None:
    update = COMMANDS["coalition"].find(("goal", "update"))
    export = COMMANDS["coalition"].find(("export",))
    assert update is not None
    assert export is not None
    args = build_args(update.handler, {"goal": 1, "status": "in-progress", "note": None})
    assert args.status is GoalStatus.IN_PROGRESS
    assert args.note is None
    plain = build_args(export.handler, {"what": "votes", "format": None})
    assert type(plain.what) is str


@dataclasses.dataclass(frozen=True)
class _Every:
    """One field of each kind an argument can be."""

    count: Annotated[int, Arg("how many", min_value=1, max_value=9)]
    goal: Annotated[int, Arg("the goal", type=OptionType.NUMBER, kind="goal")]
    status: Annotated[GoalStatus, Arg("its status")]
    who: Annotated[Person, Arg("who", max_length=80)]
    where: Annotated[Org | None, Arg("for whom", keyword_only=True)] = None
    when: Annotated[datetime | None, Arg("when")] = None
    day: Annotated[date | None, Arg("which day")] = None
    length: Annotated[timedelta | None, Arg("how long")] = None
    loud: Annotated[bool | None, Arg("shout")] = None
    share: Annotated[int | None, Arg("share", type=OptionType.PERCENT)] = None
    zone: Annotated[str | None, Arg("zone", type=OptionType.TIMEZONE)] = None
    which: Annotated[Literal["open", "all"] | None, Arg("which")] = None
    note: Annotated[str | None, Arg("a note", max_length=300, rest=True)] = None


def test_options_are_read_from_field_names_types_defaults_and_arg() -> None:
    assert options_of(_Every) == (
        Option("count", OptionType.INTEGER, "how many", min_value=1, max_value=9),
        Option("goal", OptionType.NUMBER, "the goal", kind="goal"),
        Option("status", OptionType.CHOICE, "its status",
               choices=("open", "in-progress", "blocked", "done", "dropped")),
        Option("who", OptionType.USER, "who", max_length=80),
        Option("where", OptionType.ORG, "for whom", required=False, keyword_only=True),
        Option("when", OptionType.TIME, "when", required=False),
        Option("day", OptionType.DATE, "which day", required=False),
        Option("length", OptionType.DURATION, "how long", required=False),
        Option("loud", OptionType.BOOL, "shout", required=False),
        Option("share", OptionType.PERCENT, "share", required=False),
        Option("zone", OptionType.TIMEZONE, "zone", required=False),
        Option("which", OptionType.CHOICE, "which", required=False, choices=("open", "all")),
        Option("note", OptionType.TEXT, "a note", required=False, max_length=300, rest=True),
    )


def test_a_field_without_arg_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Bare:
        name: str

    with pytest.raises(TypeError, match="Arg"):
        options_of(Bare)


def test_a_handler_that_takes_a_dict_is_refused() -> None:
    async def old_style(ctx: Any, args: dict[str, Any]) -> None:
        return None

    with pytest.raises(TypeError, match="dataclass"):
        args_type(old_style)


async def test_records_read_back_carry_their_enum_members(bot: Bot, partners: Chat) -> None:
    chat = partners
    await chat.ok("Alice", "poll create March? rule:consensus electorate:members "
                           "results:hidden")
    await chat.ok("Alice", "coalition goal add Pass the ordinance")
    await chat.ok("Alice", 'meeting schedule "Strategy" "tomorrow 18:00"')
    await chat.ok("Alice", "meeting note #1 action Book the hall")
    await chat.ok("Bob", "resource offer A hall for 80")
    async with bot.db.transaction() as conn:
        poll = await poll_sql.find_poll(conn, 1, 1)
        goal = (await goal_sql.list_goals(conn, 1))[0]
        note = (await meeting_sql.actions(conn, 1, open_only=True))[0]
        item = (await resource_sql.all_resources(conn, 1))[0]
    assert poll is not None
    assert poll.rule is Rule.CONSENSUS
    assert poll.electorate is Electorate.MEMBERS
    assert poll.results is Results.HIDDEN
    assert poll.status is PollStatus.OPEN
    assert goal.status is GoalStatus.OPEN
    assert note.kind is NoteKind.ACTION
    assert item.kind is ResourceKind.OFFER
    assert item.status is ResourceStatus.OPEN


def test_every_confirm_option_is_the_one_confirm_alias():
    """`confirm:yes` says the same everywhere because it is declared once (`args.Confirm`):
    every subcommand field named `confirm` carries that alias's very Arg."""
    (shared,) = Confirm.__metadata__
    found = []
    for command, sub in SUBCOMMANDS:
        hints = typing.get_type_hints(args_type(sub.handler), include_extras=True)
        if "confirm" in hints:
            found.append(f"{command.name} {sub.words}")
            assert hints["confirm"].__metadata__[0] is shared, found[-1]
    assert {"role delete", "poll close"} <= set(found), found


async def test_a_line_said_again_starts_from_its_text_each_time(coalition: Chat) -> None:
    """Typed lines are kept parsed and bound (`Dispatcher._parse`), and the dispatcher
    turns USER and ORG values into records in place: a line said again gets its values
    as text again, and a line refused is refused again."""
    line = 'coalition rep add Carol "Climate Now"'
    await coalition.ok("Alice", line)
    again = await coalition.say("Alice", line)
    assert "Carol" in again.text, again.text
    assert "Climate Now" in again.text, again.text
    assert "went wrong" not in again.text
    for _ in range(2):
        refused = await coalition.say("Alice", 'coalition rep add Carol "No Such Org"')
        assert refused.error
        assert "No Such Org" in refused.text, refused.text
