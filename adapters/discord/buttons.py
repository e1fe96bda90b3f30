"""Buttons that are commands: the custom_id carries the command line it stands for.

A `Button("agree", "poll vote 3 agree")` goes out with custom_id `cb:poll vote 3 agree`.
`CommandButton` is a `discord.ui.DynamicItem` registered once in `setup_hook`, so a click
on any message the bot ever sent is routed by its custom_id alone: it works after a
restart, and a click runs the same path as the typed command, as the clicking user.

A click in a server runs in that server's coalition. A button in a direct message (an
action item's "Mark done") names its server: `cb@GUILD_ID:meeting done 4`.

Discord caps custom_id at 100 characters, so a line may be at most 97 (about 77 in a
direct message). Longer lines get no button: `command_id` returns None, and the renderer
lists the command to type instead (and logs it), so nothing is silently cut.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

__all__ = ["CUSTOM_ID_MAX", "PREFIX", "CommandButton", "command_id", "parse_id"]

log = logging.getLogger(__name__)

PREFIX = "cb:"
CUSTOM_ID_MAX = 100  # Discord's limit
LABEL_MAX = 80  # Discord's limit for a button label

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "danger": discord.ButtonStyle.danger,
}


_TEMPLATE = re.compile(r"cb(?:@(?P<guild>[0-9]{1,20}))?:(?P<line>.+)", re.DOTALL)


def command_id(line: str, guild: str | None = None) -> str | None:
    """The custom_id for a command line (naming its server when sent in a direct
    message), or None when it does not fit in 100 characters."""
    custom_id = (f"cb@{guild}:" if guild else PREFIX) + line
    return custom_id if len(custom_id) <= CUSTOM_ID_MAX else None


def parse_id(custom_id: str) -> tuple[str | None, str] | None:
    """(server or None, command line) of one of our custom_ids, else None."""
    match = _TEMPLATE.fullmatch(custom_id)
    return (match["guild"], match["line"]) if match else None


class CommandButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=_TEMPLATE):
    """A button whose click runs the command line in its custom_id."""

    def __init__(self, line: str, label: str = "…", style: str = "secondary",
                 guild: str | None = None) -> None:
        custom_id = command_id(line, guild)
        if custom_id is None:
            raise ValueError(f"command line too long for a button: {line!r}")
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label[:LABEL_MAX], custom_id=custom_id,
            style=_STYLES.get(style, discord.ButtonStyle.secondary))
        super().__init__(button)
        self.line = line
        self.guild = guild

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]) -> CommandButton:
        made = cls(match["line"], getattr(item, "label", None) or "…", guild=match["guild"])
        made.item.style = getattr(item, "style", discord.ButtonStyle.secondary)
        return made

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        door = getattr(interaction.client, "door", None)
        if door is None:
            log.warning("a button was clicked on a client with no front door")
            return
        await door.click(interaction, self.line, self.guild)
