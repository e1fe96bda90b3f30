"""The spec format: what a slash command, its subcommands and their options are.

Discord builds its app commands from these specs; Slack and the console parse text
against them (see `grammar`). A spec says what its handler needs from the caller
(`level`); the dispatcher enforces it before the handler runs.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coalition_bot.model import Level
from coalition_bot.replies import CommandRef, Reply, Text

if TYPE_CHECKING:
    from coalition_bot.services.context import Context

__all__ = ["Command", "Handler", "Option", "OptionType", "Subcommand"]

Handler = Callable[["Context", dict[str, Any]], Awaitable[Reply]]


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


@dataclass(frozen=True, slots=True)
class Subcommand:
    path: tuple[str, ...]
    help: str
    level: Level
    handler: Handler
    options: tuple[Option, ...] = ()
    private: bool = False  # the reply is for the caller only
    example: str = ""
    form: bool = False  # run with no values, platforms with forms (modals) show one

    def __post_init__(self) -> None:
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
