"""Help, built from the specs: in chat (`help`, `--help`) and as the README reference."""

from __future__ import annotations

from collections.abc import Mapping

from coalition_bot.commands.spec import Command, Option, Subcommand
from coalition_bot.model import Level
from coalition_bot.replies import CommandRef, Field, Reply, Text, join

__all__ = ["help_reply", "markdown_reference"]

_WHO = {Level.ANYONE: "anyone", Level.MEMBER: "members",
        Level.REPRESENTATIVE: "representatives", Level.COORDINATOR: "coordinators"}


def _option_line(option: Option) -> str:
    need = "" if option.required else " (optional)"
    return f"{option.name}{need}: " + option.help


def help_reply(commands: Mapping[str, Command], command: Command | None,
               sub: Subcommand | None) -> Reply:
    """Help for everything, one command, or one subcommand; always private."""
    if command is None:
        fields = tuple(
            Field(Text(CommandRef(c.name, code=False)),
                  c.help + f"\n{', '.join(s.words for s in c.subcommands)}")
            for c in commands.values())
        return Reply(title="coalition-bot commands", private=True, fields=fields,
                     text="Type `/COMMAND help` or add `--help` to any command for details. "
                          "Values go in option order or as name:value; "
                          "values with spaces go in double quotes.")
    if sub is None:
        fields = tuple(Field(command.usage(s), s.help + f" ({_WHO[s.level]})")
                       for s in command.subcommands)
        return Reply(title=Text(CommandRef(command.name, code=False)), text=command.help,
                     fields=fields, private=True)
    lines = [sub.help, f"Who: {_WHO[sub.level]}."]
    if sub.example:
        lines.append("Example: " + CommandRef(sub.example.removeprefix("/"), code=False))
    fields = tuple(Field(o.usage, _option_line(o)) for o in sub.options)
    return Reply(title=command.usage(sub), text=join("\n", lines), fields=fields, private=True)


def markdown_reference(commands: Mapping[str, Command]) -> str:
    """The command reference as Markdown, for README.md (`coalition-bot help --markdown`)."""
    out: list[str] = []
    for command in commands.values():
        out += [f"### /{command.name}", "", command.help, "",
                "| command | who | what it does |", "|---|---|---|"]
        for sub in command.subcommands:
            what = sub.help
            if sub.options:
                what += "<br>" + "<br>".join(_option_line(o) for o in sub.options)
            usage = command.usage(sub).replace("|", "\\|")
            out.append(f"| `{usage}` | {_WHO[sub.level]} | "
                       f"{what.replace('|', '&#124;')} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
