"""Replies and notices as Discord messages: embeds, buttons, files and mentions.

Everything in a `Reply` or `Notice` is plain text; this module adds Discord markup:

- **Escaping.** Plain text is escaped for Discord Markdown and `@everyone`, `@here`, user
  and role mentions (`discord.utils.escape_markdown` / `escape_mentions`); `code spans`
  the core writes in plain text are kept when the backticks pair up.
- **Mentions.** `allowed_mentions` pings nobody by default. A notice pings exactly the
  Discord users in `Notice.mentions`, one by one, in the message content.
- **Times.** A `When` span becomes a Discord timestamp,
  `<t:UNIX:F> (<t:UNIX:R>; 18:00 America/New_York)`: each reader sees their own local
  time and how far off it is, with the coalition's wall time and zone named beside it.
  Titles and field names show no timestamps: there a time reads as on the console.
  Plain text that merely looks like a time stays as it was typed.
- **Commands.** A `CommandRef` is `/line` (in a code span unless it says otherwise).
- **Buttons** carry their command line in custom_id (`buttons.py`); a line too long for
  Discord's 100 characters gets no button, and the command to type is shown instead.
- **Files** (exports, minutes, .ics) become `discord.File`.
- Discord's size limits are kept: text is cut with `…` where it would not fit.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import discord

from coalition_bot.adapters.discord.buttons import CommandButton, command_id
from coalition_bot.replies import (
    Attachment,
    Button,
    Code,
    CommandRef,
    Field,
    Notice,
    Reply,
    When,
    spans,
)

__all__ = [
    "Outgoing",
    "escape",
    "markup",
    "render_notice",
    "render_reply",
]

log = logging.getLogger(__name__)

PLATFORM = "discord"
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
EMBED_TOTAL_MAX = 6000
CONTENT_MAX = 2000
BUTTONS_MAX = 25
MENTIONS_MAX = 100  # allowed_mentions.users takes at most 100 ids

COLOR = discord.Colour.blurple()
NOTICE_COLOR = discord.Colour.gold()
ERROR_COLOR = discord.Colour.red()



def escape(text: str) -> str:
    """User text as literal Discord text: no Markdown, no mentions."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def _timestamp(when: When) -> str:
    """`<t:UNIX:F> (<t:UNIX:R>; HH:MM Zone)`: the reader's own time, and the wall time."""
    unix = int(when.instant.timestamp())
    local = when.instant.astimezone(ZoneInfo(when.zone))
    return f"<t:{unix}:F> (<t:{unix}:R>; {local:%H:%M} {escape(when.zone)})"


def _prose(text: str) -> str:
    """Plain text: escaped, its `code spans` kept when the backticks pair up."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an odd number of backticks: no code spans, escape them all
        return escape(text)
    return "".join(f"`{discord.utils.escape_mentions(p)}`" if i % 2 else escape(p)
                   for i, p in enumerate(parts))


def markup(text: str, *, stamps: bool = True) -> str:
    """Core text as Discord text: plain text escaped, each span shown its own way. Times
    are timestamps unless `stamps` is False (titles and field names, where Discord shows
    no timestamps)."""
    out: list[str] = []
    for span in spans(text):
        if isinstance(span, str):
            out.append(_prose(span))
        elif isinstance(span, When):
            out.append(_timestamp(span) if stamps else escape(span.plain()))
        elif isinstance(span, CommandRef) and not span.code:
            out.append(escape(span.plain()))
        elif isinstance(span, CommandRef):
            out.append(f"`{discord.utils.escape_mentions('/' + span.line)}`")
        elif isinstance(span, Code):
            out.append(f"`{discord.utils.escape_mentions(span.code)}`")
    return "".join(out)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _field_value(f: Field) -> str:
    """A channel link for a field naming a channel (a link never pings), else the text."""
    if f.channel_id.isdigit():  # a snowflake: nothing else may become markup
        return f"<#{f.channel_id}>"
    return _clip(markup(f.value), FIELD_VALUE_MAX) if f.value else "\u200b"


def _embed(title: str, text: str, fields: Sequence[Field], color: discord.Colour,
           extra: Sequence[Field] = ()) -> discord.Embed:
    embed = discord.Embed(title=_clip(markup(title, stamps=False), TITLE_MAX) if title else None,
                          description=_clip(markup(text), DESCRIPTION_MAX) if text else None,
                          colour=color)
    all_fields = [*fields, *extra]
    shown = all_fields if len(all_fields) <= FIELDS_MAX else all_fields[:FIELDS_MAX - 1]
    total = len(embed.title or "") + len(embed.description or "")
    for f in shown:
        name = _clip(markup(f.name, stamps=False), FIELD_NAME_MAX) if f.name else "\u200b"
        value = _field_value(f)
        if total + len(name) + len(value) > EMBED_TOTAL_MAX - 100:
            break
        total += len(name) + len(value)
        embed.add_field(name=name, value=value, inline=f.inline)
    left = len(all_fields) - len(embed.fields)
    if left:
        embed.set_footer(text=f"{left} more not shown here.")
    return embed


def _buttons(buttons: Sequence[Button],
             guild: str | None = None) -> tuple[discord.ui.View | None, list[Field], int]:
    """A persistent view of command buttons, a field listing the commands of those that
    cannot be buttons (line too long, or too many), and how many those are."""
    view = discord.ui.View(timeout=None)
    typed: list[str] = []
    for b in buttons:
        if command_id(b.command, guild) is None or len(view.children) >= BUTTONS_MAX:
            log.warning("button %r not shown: its command line is %d characters, or there "
                        "are more than %d buttons", b.label, len(b.command), BUTTONS_MAX)
            typed.append(f"{b.label}: `/{b.command}`")
            continue
        view.add_item(CommandButton(b.command, b.label, b.style, guild))
    extra = [Field("Type instead", "\n".join(typed))] if typed else []
    return (view if view.children else None), extra, len(typed)


@dataclass
class Outgoing:
    """One Discord message, ready to send with `kwargs()` (or `edit_kwargs()`)."""

    embeds: list[discord.Embed]
    view: discord.ui.View | None = None
    attachments: tuple[Attachment, ...] = ()
    allowed_mentions: discord.AllowedMentions = field(
        default_factory=discord.AllowedMentions.none)
    content: str | None = None
    ephemeral: bool = False
    typed_instead: int = 0  # buttons shown as commands to type (too long for a custom_id)

    def files(self) -> list[discord.File]:
        """Fresh `discord.File`s (each can be sent once)."""
        return [discord.File(io.BytesIO(a.payload()), filename=a.filename)
                for a in self.attachments]

    def _common(self) -> dict[str, Any]:
        out: dict[str, Any] = {"embeds": self.embeds, "allowed_mentions": self.allowed_mentions}
        if self.content:
            out["content"] = self.content
        if self.view is not None:
            out["view"] = self.view
        return out

    def kwargs(self, *, ephemeral: bool | None = None) -> dict[str, Any]:
        """For `response.send_message`, `followup.send` and `Messageable.send`."""
        out = self._common()
        if self.attachments:
            out["files"] = self.files()
        if ephemeral is not None:
            out["ephemeral"] = ephemeral
        return out

    def edit_kwargs(self) -> dict[str, Any]:
        """For `edit_original_response` (the answer to a deferred interaction)."""
        out = self._common()
        if self.attachments:
            out["attachments"] = self.files()
        return out


def render_reply(reply: Reply) -> Outgoing:
    """A reply to the person who ran a command: ephemeral when private (errors always are)."""
    view, extra, skipped = _buttons(reply.buttons)
    color = ERROR_COLOR if reply.error else COLOR
    text = reply.text or ("" if reply.title or reply.fields else "Done.")
    embed = _embed(reply.title, text, reply.fields, color, extra)
    return Outgoing([embed], view, reply.files, ephemeral=reply.private or reply.error,
                    typed_instead=skipped)


def render_notice(notice: Notice, *, ping: bool = True, guild: str | None = None) -> Outgoing:
    """A notice: an embed, with only the Discord users it mentions pinged, one by one.
    Sent outside its server (a direct message), its buttons name the server `guild`."""
    view, extra, skipped = _buttons(notice.buttons, guild)
    embed = _embed(notice.title, notice.text, notice.fields, NOTICE_COLOR, extra)
    ids: list[int] = []
    for m in notice.mentions:
        if m.platform == PLATFORM and m.user_id.isdigit() and int(m.user_id) not in ids:
            ids.append(int(m.user_id))
    content = None
    allowed = discord.AllowedMentions.none()
    if ping and ids:
        shown: list[int] = []
        for uid in ids[:MENTIONS_MAX]:
            if len(" ".join(f"<@{u}>" for u in [*shown, uid])) > CONTENT_MAX:
                break
            shown.append(uid)
        content = " ".join(f"<@{u}>" for u in shown)
        allowed = discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                          users=[discord.Object(u) for u in shown])
    return Outgoing([embed], view, (), allowed, content=content, typed_instead=skipped)
