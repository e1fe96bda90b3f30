"""Typed arguments: each handler takes one frozen dataclass of its subcommand's values.

A handler's second parameter names the dataclass (`async def _vote(ctx, args: VoteArgs)`),
the way discord.py reads an app command's options from its callback's signature. Its
fields are the subcommand's options, in order, with the types the grammar and the
dispatcher resolve them to:

    TEXT, TIMEZONE → str        INTEGER, NUMBER (#N), PERCENT → int     BOOL → bool
    TIME → datetime             DATE → date                             DURATION → timedelta
    USER → Person               ORG → Org           CHOICE → a `Literal` or a `StrEnum`

An optional option is `T | None = None`. The spec reads its options from these fields
(`spec.options_of`), so the two cannot drift apart; `tests/test_command_args.py` checks
that each field's type is what its option type resolves to.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

if TYPE_CHECKING:
    from coalition_bot.commands.spec import OptionType

__all__ = ["Arg", "Confirm", "NoArgs", "args_type", "build_args", "field_types"]


@dataclasses.dataclass(frozen=True, slots=True)
class Arg:
    """What an argument field says about its option beyond its name, type and default."""

    help: str
    type: OptionType | None = None  # None: read from the field's type (see `spec._TYPES`)
    max_length: int = 200
    rest: bool = False
    kind: str = ""
    min_value: int | None = None
    max_value: int | None = None
    keyword_only: bool = False


# The option of a subcommand that cannot be undone: yes skips the question (`services.confirm`).
Confirm = Annotated[bool | None, Arg(
    "yes: do it without asking first (it cannot be undone)", keyword_only=True)]


@dataclasses.dataclass(frozen=True, slots=True)
class NoArgs:
    """The arguments of a subcommand that takes none."""


@functools.cache
def args_type(handler: Callable[..., Any]) -> type[Any]:
    """The dataclass a handler takes its values in: its second parameter's annotation."""
    names = list(inspect.signature(handler).parameters)
    if len(names) != 2:
        raise TypeError(f"{handler.__qualname__} must take (ctx, args)")
    cls = typing.get_type_hints(handler).get(names[1])
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"{handler.__qualname__} must take a dataclass of its arguments, "
                        f"not {cls!r}")
    return cls


def field_types(cls: type[Any]) -> dict[str, Any]:
    """Each field's type, with `X | None` unwrapped to `X`."""
    return {name: _without_none(t) for name, t in typing.get_type_hints(cls).items()}


def _without_none(t: Any) -> Any:
    if isinstance(t, types.UnionType) or typing.get_origin(t) is typing.Union:
        rest = [a for a in typing.get_args(t) if a is not type(None)]
        return rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
    return t


def build_args(handler: Callable[..., Any], values: Mapping[str, Any]) -> Any:
    """The handler's dataclass, from typed values (a CHOICE becomes its `StrEnum` member)."""
    enums = _enum_fields(handler)
    return args_type(handler)(**{
        name: enums[name](value) if name in enums and value is not None else value
        for name, value in values.items()})


@functools.cache
def _enum_fields(handler: Callable[..., Any]) -> dict[str, type[enum.Enum]]:
    return {name: kind for name, kind in field_types(args_type(handler)).items()
            if isinstance(kind, type) and issubclass(kind, enum.Enum)}
