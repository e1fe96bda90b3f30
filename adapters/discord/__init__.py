"""The Discord front door (discord.py 2.x): slash commands built from the command specs,
replies as embeds, buttons that carry their command, forms, autocomplete, notices.

`coalition-bot run` calls `build(bot, config.discord)` and then `start()` / `stop()`;
`coalition-bot discord-sync` registers the commands (`sync.py`).
"""

from __future__ import annotations

from coalition_bot.adapters.discord.adapter import DiscordAdapter
from coalition_bot.bot import Bot
from coalition_bot.config import DiscordConfig

__all__ = ["DiscordAdapter", "build"]


def build(bot: Bot, config: DiscordConfig) -> DiscordAdapter:
    """The Discord front door of `bot`, configured by `[discord]` of the config file."""
    return DiscordAdapter(bot, config)
