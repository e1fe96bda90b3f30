"""Every slash command the bot answers, by name. Front doors read this one table."""

from __future__ import annotations

from coalition_bot.commands import coalition, meeting, poll, resource, role, topic
from coalition_bot.commands.spec import Command

__all__ = ["COMMANDS"]

COMMANDS: dict[str, Command] = {
    c.name: c for c in (coalition.COMMAND, meeting.COMMAND, role.COMMAND, poll.COMMAND,
                        topic.COMMAND, resource.COMMAND)
}
