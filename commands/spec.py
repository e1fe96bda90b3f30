"""The spec format: what a slash command, its subcommands and their options are.

Discord builds its app commands from these specs; Slack and the console parse text
against them (see `grammar`). A spec says what its handler needs from the caller
(`level`); the dispatcher enforces it before the handler runs.

A subcommand's options are read from its handler's dataclass of arguments (see `args`),
the way discord.py reads an app command's options from its callback's signature: each
field is an option, in order, annotated with what the type cannot say:

    poll: Annotated[int, Arg("the poll's number", type=OptionType.NUMBER, kind="poll")]
    reason: Annotated[str | None, Arg("why, in a sentence", rest=True)] = None

A field with a default (None) is optional; a `Literal` or `StrEnum` field is a CHOICE of
its values. So the spec and the values the handler reads cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from coalition_bot.commands.args import Arg, args_type, field_types
from coalition_bot.model import Level, Org, Person
from coalition_bot.replies import CommandRef, Reply, Text

if TYPE_CHECKING:
    from coalition_bot.services.context import Context

__all__ = ["Arg", "Command", "Handler", "Option", "OptionType", "Subcommand", "options_of"]

# The second argument is the subcommand's frozen dataclass of typed values (`args`).
Handler = Callable[["Context", Any], Awaitable[Reply]]


class OptionType(enum.Enum):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"  # a `#N` reference to something with a per-coalition number
    TIME = "time"
    DATE = "date"
    DURATION = "duration"
    CHOICE = "choice"
    BOOL = "yes/no"
    USER = "user"
    ORG = "organization"
    TIMEZONE = "time zone"
    PERCENT = "percent"


_TYPE_METAVARS = {
    OptionType.PERCENT: "PERCENT",
    OptionType.TIME: "TIME",
    OptionType.DATE: "DATE",
    OptionType.DURATION: "DURATION",
    OptionType.USER: "USER",
    OptionType.ORG: "ORG",
    OptionType.TIMEZONE: "TIMEZONE",
}


@dataclass(frozen=True, slots=True)
class Option:
    """One typed value a subcommand takes.

    Required options come first and may be given by position; optional ones are given
    as `name:value` (or by position after the required ones, unless `keyword_only`).
    A `rest` option is the last positional one and takes every remaining positional
    word, so free text needs no quotes.
    """

    name: str
    type: OptionType
    help: str
    required: bool = True
    max_length: int = 200
    choices: tuple[str, ...] = ()
    rest: bool = False
    kind: str = ""  # for NUMBER: what the number refers to ("goal")
    min_value: int | None = None
    max_value: int | None = None
    keyword_only: bool = False

    @property
    def metavar(self) -> str:
        if self.type is OptionType.CHOICE:
            return "|".join(self.choices)
        if self.type is OptionType.BOOL:
            return "yes|no"
        if self.type is OptionType.NUMBER:
            return "#N"
        if self.type in _TYPE_METAVARS:
            return _TYPE_METAVARS[self.type]
        return self.name.upper()

    @property
    def usage(self) -> str:
        if self.required:
            return self.name.upper() if self.type is not OptionType.NUMBER else "#N"
        return f"[{self.name}:{self.metavar}]"


# The option type of each field type; NUMBER, PERCENT and TIMEZONE are named in `Arg`.
_TYPES: dict[Any, OptionType] = {
    str: OptionType.TEXT, int: OptionType.INTEGER, bool: OptionType.BOOL,
    datetime: OptionType.TIME, date: OptionType.DATE, timedelta: OptionType.DURATION,
    Person: OptionType.USER, Org: OptionType.ORG,
}


def options_of(cls: type[Any]) -> tuple[Option, ...]:
    """The options a dataclass of arguments declares, one per field, in field order."""
    hints = typing.get_type_hints(cls, include_extras=True)
    kinds = field_types(cls)
    options = []
    for field in dataclasses.fields(cls):
        arg = next((m for m in getattr(hints[field.name], "__metadata__", ())
                    if isinstance(m, Arg)), None)
        if arg is None:
            raise TypeError(f"{cls.__qualname__}.{field.name} needs Annotated[..., Arg(...)]")
        choices = _choices(kinds[field.name])
        otype = arg.type or (OptionType.CHOICE if choices else _TYPES[kinds[field.name]])
        options.append(Option(
            field.name, otype, arg.help, required=field.default is dataclasses.MISSING,
            max_length=arg.max_length, choices=choices, rest=arg.rest, kind=arg.kind,
            min_value=arg.min_value, max_value=arg.max_value, keyword_only=arg.keyword_only))
    return tuple(options)


def _choices(kind: Any) -> tuple[str, ...]:
    """The values of a `Literal` or an enum type; () for any other type."""
    if typing.get_origin(kind) is typing.Literal:
        return tuple(str(v) for v in typing.get_args(kind))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return tuple(str(m.value) for m in kind)
    return ()


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One subcommand. Its options are read from its handler's dataclass of arguments
    unless given (tests give them, with a handler that is never called)."""

    path: tuple[str, ...]
    help: str
    level: Level
    handler: Handler
    options: tuple[Option, ...] = ()
    private: bool = False  # the reply is for the caller only
    example: str = ""
    form: bool = False  # run with no values, platforms with forms (modals) show one

    def __post_init__(self) -> None:
        if not self.options:
            object.__setattr__(self, "options", options_of(args_type(self.handler)))
        seen_optional = False
        positional = [o for o in self.options if not o.keyword_only]
        for i, option in enumerate(positional):
            if option.rest and i != len(positional) - 1:
                raise ValueError(f"{self.path}: only the last positional option takes the rest")
        for option in self.options:
            if option.required and seen_optional:
                raise ValueError(f"{self.path}: required option after an optional one")
            seen_optional = seen_optional or not option.required

    @property
    def words(self) -> str:
        return " ".join(self.path)

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    help: str
    subcommands: tuple[Subcommand, ...]

    def usage(self, sub: Subcommand) -> Text:
        return Text(CommandRef(" ".join([self.name, *sub.path, *(o.usage for o in sub.options)]),
                               code=False))

    def find(self, path: tuple[str, ...]) -> Subcommand | None:
        return next((s for s in self.subcommands if s.path == path), None)
