"""Buttons that are commands: the custom_id carries the command line it stands for.

A `Button("agree", "poll vote 3 agree")` goes out with custom_id `cb:poll vote 3 agree`.
`CommandButton` is a `discord.ui.DynamicItem` registered once in `setup_hook`, so a click
on any message the bot ever sent is routed by its custom_id alone: it works after a
restart, and a click runs the same path as the typed command, as the clicking user.

Discord caps custom_id at 100 characters, so a line may be at most 97. Longer lines
get no button: `command_id` returns None, and the renderer lists the command to type
instead (and logs it), so nothing is silently cut.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

__all__ = ["CUSTOM_ID_MAX", "PREFIX", "CommandButton", "command_id", "line_of"]

log = logging.getLogger(__name__)

PREFIX = "cb:"
CUSTOM_ID_MAX = 100  # Discord's limit
LABEL_MAX = 80  # Discord's limit for a button label

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "danger": discord.ButtonStyle.danger,
}


def command_id(line: str) -> str | None:
    """The custom_id for a command line, or None when it does not fit in 100 characters."""
    custom_id = PREFIX + line
    return custom_id if len(custom_id) <= CUSTOM_ID_MAX else None


def line_of(custom_id: str) -> str | None:
    """The command line a custom_id carries, or None if it is not one of ours."""
    return custom_id[len(PREFIX):] if custom_id.startswith(PREFIX) else None


class CommandButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                    template=re.compile(re.escape(PREFIX) + r"(?P<line>.+)", re.DOTALL)):
    """A button whose click runs the command line in its custom_id."""

    def __init__(self, line: str, label: str = "…", style: str = "secondary") -> None:
        custom_id = command_id(line)
        if custom_id is None:
            raise ValueError(f"command line too long for a button: {line!r}")
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label[:LABEL_MAX], custom_id=custom_id,
            style=_STYLES.get(style, discord.ButtonStyle.secondary))
        super().__init__(button)
        self.line = line

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]) -> CommandButton:
        label = getattr(item, "label", None) or "…"
        made = cls(match["line"], label)
        made.item.style = getattr(item, "style", discord.ButtonStyle.secondary)
        return made

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        door = getattr(interaction.client, "door", None)
        if door is None:
            log.warning("a button was clicked on a client with no front door")
            return
        await door.click(interaction, self.line)
