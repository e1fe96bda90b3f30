"""Forms: a subcommand with `form=True` (`/poll create`, `/meeting schedule`) run with no
options opens a modal built from its spec; the submission runs the same command.

Discord allows five fields in a modal. The form shows the required options, then the
optional ones that are free text or a time (in spec order), then dates and durations,
up to four; a last field, "More options", takes any other option as `name:value`
(values with spaces in double quotes, as everywhere). So every option stays reachable.

Forms keep no state in the process: the modal's custom_id names the command
(`cbf:poll create`) and each field's custom_id names its option, and the submission
is read from the interaction itself (`read_submission`). A form opened before a restart
still works after it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import discord

from coalition_bot.commands.grammar import tokenize
from coalition_bot.commands.spec import Command, Option, OptionType, Subcommand
from coalition_bot.errors import UsageError

__all__ = ["MORE_ID", "PREFIX", "FormModal", "form_fields", "read_submission", "spec_of"]

PREFIX = "cbf:"
MORE_ID = "+more"  # the "More options" field (no option name starts with +)
FIELDS_MAX = 5
LABEL_MAX = 45
DESCRIPTION_MAX = 100
INPUT_MAX = 4000
_RANK = {OptionType.TEXT: 1, OptionType.TIME: 1, OptionType.DATE: 2, OptionType.DURATION: 2}


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def form_fields(sub: Subcommand) -> tuple[list[Option], list[Option]]:
    """The options that get a field of their own, and those left to "More options"."""
    required = [o for o in sub.options if o.required]
    optional = sorted((o for o in sub.options if not o.required),
                      key=lambda o: _RANK.get(o.type, 3))  # stable: spec order within a rank
    own = required + optional
    if len(own) <= FIELDS_MAX:
        return own, []
    rest = own[FIELDS_MAX - 1:]
    return own[:FIELDS_MAX - 1], [o for o in sub.options if o in rest]  # rest in spec order


def _placeholder(option: Option) -> str:
    if option.type is OptionType.CHOICE:
        return _clip(" | ".join(option.choices), DESCRIPTION_MAX)
    if option.type is OptionType.BOOL:
        return "yes or no"
    return ""


class FormModal(discord.ui.Modal):
    """The form of one subcommand. It is sent stopped: its submission is handled by the
    front door from the interaction (see module doc), not by this object."""

    def __init__(self, command: Command, sub: Subcommand) -> None:
        super().__init__(title=_clip(f"/{command.name} {sub.words}", LABEL_MAX),
                         custom_id=f"{PREFIX}{command.name} {sub.words}", timeout=None)
        own, rest = form_fields(sub)
        for option in own:
            long = option.max_length > 200
            self.add_item(discord.ui.Label(
                text=_clip(option.name.capitalize(), LABEL_MAX),
                description=_clip(option.help, DESCRIPTION_MAX),
                component=discord.ui.TextInput(
                    custom_id=option.name, required=option.required,
                    style=discord.TextStyle.paragraph if long else discord.TextStyle.short,
                    max_length=min(option.max_length, INPUT_MAX),
                    placeholder=_placeholder(option) or None)))
        if rest:
            names = " ".join(f"{o.name}:{o.metavar}" for o in rest)
            self.add_item(discord.ui.Label(
                text="More options",
                description=_clip("Any of these, as name:value (quote values with spaces): "
                                  + ", ".join(o.name for o in rest), DESCRIPTION_MAX),
                component=discord.ui.TextInput(
                    custom_id=MORE_ID, required=False, style=discord.TextStyle.paragraph,
                    max_length=INPUT_MAX, placeholder=_clip(names, DESCRIPTION_MAX))))
        self.stop()  # nothing listens on this object; see read_submission


def spec_of(custom_id: str, commands: Mapping[str, Command]) -> tuple[Command, Subcommand] | None:
    """The command and subcommand a form's custom_id names, or None if not one of ours."""
    if not custom_id.startswith(PREFIX):
        return None
    name, _, words = custom_id[len(PREFIX):].partition(" ")
    command = commands.get(name)
    sub = command.find(tuple(words.split())) if command else None
    return (command, sub) if command and sub else None


def _inputs(components: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for component in components:
        if component.get("type") == 1:  # action row (older modals)
            yield from _inputs(component.get("components", []))
        elif component.get("type") == 18:  # label
            yield from _inputs([component.get("component", {})])
        elif component.get("type") == 4:  # text input
            yield component.get("custom_id", ""), component.get("value") or ""


def read_submission(sub: Subcommand, data: Mapping[str, Any]) -> dict[str, str]:
    """The raw values of a submitted form, by option name (empty fields left out).

    "More options" is read with the command grammar's tokenizer; a value there that is
    not `name:value`, or an option given twice, is a `UsageError`.
    """
    values: dict[str, str] = {}
    more = ""
    for custom_id, value in _inputs(list(data.get("components", []))):
        if custom_id == MORE_ID:
            more = value
        elif value.strip():
            values[custom_id] = value.strip()
    for token in tokenize(more):
        if not token.key:
            raise UsageError(f"`{token.text}` in More options is not name:value.",
                             hint="Write each option as name:value, like duration:90m.")
        if token.key in values:
            raise UsageError(f"`{token.key}` is given twice.")
        values[token.key] = token.text
    return values
