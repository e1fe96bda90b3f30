"""The app command tree, built from the command specs; there is no second copy of them.

- Each `Command` becomes a top-level group (`/poll`), usable in servers only.
- Each `Subcommand` becomes an app command in it; a two-word path (`org add`) goes into
  a nested group (`/coalition org add`).
- Discord cannot have a command and a group of one name side by side, so a one-word
  path that also starts a two-word one (`/meeting agenda` next to `/meeting agenda add`)
  becomes `show` in that group: `/meeting agenda show` (see `discord_path`).
- Every group gets a `help` command (unless its spec has one) answered from the specs.
- Options keep their names, order, help (cut to Discord's 100 characters) and whether
  they are required. A subcommand with a form (`form=True`) takes every option as
  optional; run with none, it opens a modal (`modals.py`).

Option types: TEXT → string with max_length; INTEGER → integer with min/max; NUMBER
(`#N`) → string with autocomplete of its kind; CHOICE → string with choices
(autocomplete past Discord's 25); BOOL → boolean; USER → user; ORG and TIMEZONE →
string with autocomplete; TIME, DATE, DURATION, PERCENT → string with max_length.

A callback turns the values back into the raw strings the grammar reads (`<@id>` for a
user, with their display name in `user_names`; `yes`/`no`; numbers as digits) and hands
them to the front door on the client (`interaction.client.door`), which builds the
`Invocation`. Nothing here knows what a command does.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands

from coalition_bot.commands.spec import Command, Option, OptionType, Subcommand

__all__ = ["HELP", "SHOW", "add_commands", "build_groups", "discord_path"]

SHOW = "show"
HELP = "help"
DESCRIPTION_MAX = 100
CHOICES_MAX = 25
NUMBER_LENGTH = 12  # `#123456789`
STRING_MAX = 6000


def _describe(text: str) -> str:
    text = " ".join(text.split()) or "…"
    return text if len(text) <= DESCRIPTION_MAX else text[:DESCRIPTION_MAX - 1] + "…"


def discord_path(command: Command, sub: Subcommand) -> tuple[str, ...]:
    """Where a subcommand sits on Discord: its path, or `(word, "show")` when `word` is
    also a group there."""
    groups = {s.path[0] for s in command.subcommands if len(s.path) > 1}
    if len(sub.path) == 1 and sub.path[0] in groups:
        return (sub.path[0], SHOW)
    return sub.path


def completion_kind(option: Option) -> str | None:
    """The `services.suggest` kind that autocompletes an option, if any."""
    if option.type is OptionType.NUMBER:
        return option.kind or None
    if option.type is OptionType.ORG:
        return "org"
    if option.type is OptionType.TIMEZONE:
        return "timezone"
    return None


def _annotation(option: Option) -> Any:
    kind = option.type
    if kind is OptionType.INTEGER:
        if option.min_value is None and option.max_value is None:
            return int
        return app_commands.Range[int, option.min_value, option.max_value]
    if kind is OptionType.BOOL:
        return bool
    if kind is OptionType.USER:
        return discord.User
    if kind is OptionType.CHOICE:
        return str
    if kind is OptionType.NUMBER:
        return app_commands.Range[str, None, NUMBER_LENGTH]
    return app_commands.Range[str, None, min(option.max_length, STRING_MAX)]


def _raw(value: Any, names: dict[str, str]) -> str | None:
    """A typed Discord value as the raw string the grammar reads."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, discord.abc.User):
        names[str(value.id)] = value.display_name
        return f"<@{value.id}>"
    return str(value)


def _door(interaction: discord.Interaction[Any]) -> Any:
    door = getattr(interaction.client, "door", None)
    if door is None:
        raise RuntimeError("this client has no front door to run commands")
    return door


def _completer(kind: str) -> Any:
    async def complete(interaction: discord.Interaction[Any],
                       current: str) -> list[app_commands.Choice[str]]:
        choices: list[app_commands.Choice[str]] = await _door(interaction).complete(
            interaction, kind, current)
        return choices
    return complete


def _static_completer(choices: tuple[str, ...]) -> Any:
    async def complete(interaction: discord.Interaction[Any],
                       current: str) -> list[app_commands.Choice[str]]:
        key = current.strip().casefold()
        return [app_commands.Choice(name=c, value=c) for c in choices
                if key in c.casefold()][:CHOICES_MAX]
    return complete


def _leaf(command: Command, sub: Subcommand, name: str,
          parent: app_commands.Group) -> app_commands.Command[Any, ..., None]:
    params = [(f"o{i}", option) for i, option in enumerate(sub.options)]

    async def callback(interaction: discord.Interaction[Any], **values: Any) -> None:
        names: dict[str, str] = {}
        args = {option.name: raw for pname, option in params
                if (raw := _raw(values.get(pname), names)) is not None}
        door = _door(interaction)
        if sub.form and not args:
            await door.open_form(interaction, command, sub)
            return
        await door.run_command(interaction, command, sub, args, names)

    signature = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                   annotation=discord.Interaction)]
    for pname, option in params:
        optional = sub.form or not option.required
        signature.append(inspect.Parameter(
            pname, inspect.Parameter.KEYWORD_ONLY, annotation=_annotation(option),
            default=None if optional else inspect.Parameter.empty))
    callback.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    if params:
        app_commands.rename(**{p: o.name for p, o in params})(callback)
        app_commands.describe(**{p: _describe(o.help) for p, o in params})(callback)
    choices = {p: [app_commands.Choice(name=c, value=c) for c in o.choices]
               for p, o in params if o.type is OptionType.CHOICE and len(o.choices) <= CHOICES_MAX}
    if choices:
        app_commands.choices(**choices)(callback)
    completers = {p: _completer(kind) for p, o in params if (kind := completion_kind(o))}
    completers |= {p: _static_completer(o.choices) for p, o in params
                   if o.type is OptionType.CHOICE and len(o.choices) > CHOICES_MAX}
    if completers:
        app_commands.autocomplete(**completers)(callback)
    return app_commands.Command(name=name, description=_describe(sub.help), callback=callback,
                                parent=parent, extras={"spec": (command.name, sub.path)})


def _help_leaf(command: Command,
               parent: app_commands.Group) -> app_commands.Command[Any, ..., None]:
    words = [s.words for s in command.subcommands][:CHOICES_MAX]

    async def callback(interaction: discord.Interaction[Any], about: str | None = None) -> None:
        await _door(interaction).run_line(interaction, f"{command.name} help {about or ''}")

    app_commands.describe(about="the subcommand to explain (default: all of them)")(callback)
    app_commands.choices(about=[app_commands.Choice(name=w, value=w) for w in words])(callback)
    return app_commands.Command(name=HELP, description=_describe(f"How /{command.name} works."),
                                callback=callback, parent=parent)


def _group(command: Command) -> app_commands.Group:
    top = app_commands.Group(name=command.name, description=_describe(command.help),
                             guild_only=True)
    nested: dict[str, app_commands.Group] = {}
    for sub in command.subcommands:
        path = discord_path(command, sub)
        if len(path) > 2:
            raise ValueError(f"/{command.name} {sub.words}: Discord nests at most two words")
        parent = top
        if len(path) == 2:
            if path[0] not in nested:
                words = [s.path[-1] for s in command.subcommands if s.path[0] == path[0]]
                nested[path[0]] = app_commands.Group(
                    name=path[0], parent=top,
                    description=_describe(f"{path[0]}: {', '.join(words)}"))  # joins top
            parent = nested[path[0]]
        parent.add_command(_leaf(command, sub, path[-1], parent))
    if not command.find((HELP,)) and HELP not in nested:
        top.add_command(_help_leaf(command, top))
    return top


def build_groups(commands: Mapping[str, Command]) -> list[app_commands.Group]:
    """One app command group per command spec, in the registry's order."""
    return [_group(c) for c in commands.values()]


def add_commands(tree: app_commands.CommandTree[Any], commands: Mapping[str, Command]) -> None:
    """Add every command of the registry to the tree (as global commands)."""
    for group in build_groups(commands):
        tree.add_command(group)
