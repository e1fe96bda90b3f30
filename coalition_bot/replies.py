"""The platform-neutral types that every front door translates to and from.

An adapter builds an `Invocation` from a platform event; the core answers with a
`Reply` to the caller and zero or more `Notice`s for the coalition's home channel(s).
All text in them is plain text: adapters escape it for their platform and add markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Attachment", "Button", "Field", "Invocation", "Mention", "Message", "Notice", "Reply",
]

ButtonStyle = Literal["primary", "secondary", "danger"]


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who ran what, where.

    `line` is the command as text (`coalition org add "Tenants United"`); a front door
    with typed options (Discord) may instead give `command`, `path` and `args` as raw
    strings keyed by option name. `user_names` maps platform user ids mentioned in the
    arguments to their display names, when the platform told us.
    """

    platform: str
    workspace_id: str
    channel_id: str
    user_id: str
    user_name: str
    line: str = ""
    command: str = ""
    path: tuple[str, ...] = ()
    args: Mapping[str, str] | None = None
    user_names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Field:
    """A named value. With `channel_id` the value names that channel of the reader's own
    platform: adapters show a link to it (never a ping), and `value` where they cannot."""

    name: str
    value: str
    inline: bool = False
    channel_id: str = ""


@dataclass(frozen=True, slots=True)
class Button:
    """A button is a command: clicking it runs `command` as the clicking user."""

    label: str
    command: str
    style: ButtonStyle = "secondary"


@dataclass(frozen=True, slots=True)
class Mention:
    """A person a notice means to ping, individually. Adapters ping only these, and only
    people of their own platform; nothing else in any text ever pings anyone."""

    platform: str
    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that goes with a reply (an export, minutes, a chart). Text files carry
    `content`; binary ones (a PNG) carry `data` instead. The console writes it to disk."""

    filename: str
    content: str = ""
    media_type: str = "text/plain"
    data: bytes = b""

    def payload(self) -> bytes:
        """The file's bytes: `data`, or `content` as UTF-8."""
        return self.data or self.content.encode("utf-8")


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to one invocation. `private` replies are seen by the caller only."""

    title: str = ""
    text: str = ""
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    private: bool = False
    error: bool = False
    files: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Notice:
    """A post to a coalition's home channel(s), sent after the transaction commits."""

    coalition_id: int
    title: str
    text: str = ""
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    """A message someone posted in a channel the bot can see. Only checked against the
    coalition's off-limits topics, never stored."""

    platform: str
    workspace_id: str
    channel_id: str
    user_id: str
    user_name: str
    text: str
