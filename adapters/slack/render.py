"""Replies and notices as Slack Block Kit messages.

Every piece of plain text from the core is escaped (`text.escape`), titles and labels
included, so nothing a user typed into a poll question or a meeting title can ping or
link. The only mentions are the ones a `Notice` asks for, of Slack users, rendered
`<@U123>`. A button carries the command line it stands for in its `value`.

Spans are shown Slack's way: a `When` as `<!date^UNIX^{date_short_pretty} at {time}|…>`
(each reader's own time zone; the fallback is the time as the console shows it) where
text is mrkdwn, as that fallback in plain_text (headers) and field names; a
`CommandRef` with the workspace's command prefix (`/cb-poll vote`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from coalition_bot.adapters.slack.text import escape, valid_user_id
from coalition_bot.replies import (
    Button,
    CommandRef,
    Field,
    Mention,
    Notice,
    Reply,
    Span,
    When,
    spans,
)

__all__ = ["ACTION_ID", "ACTION_PATTERN", "Renderer", "truncate"]

PLATFORM = "slack"
ACTION_PREFIX = "coalition-run-"
ACTION_PATTERN = re.compile(rf"^{ACTION_PREFIX}\d+$")
ACTION_ID = ACTION_PREFIX + "{}"
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")  # a Slack conversation id

# Block Kit limits (characters unless said otherwise)
HEADER_MAX = 150
SECTION_MAX = 3000
FIELD_MAX = 2000
FIELDS_PER_SECTION = 10
BUTTON_LABEL_MAX = 75
BUTTON_VALUE_MAX = 2000
BUTTONS_PER_BLOCK = 25
BLOCKS_MAX = 50
FALLBACK_MAX = 3000
DATE_FORMAT = "{date_short_pretty} at {time}"


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int) -> dict[str, Any]:
    # Entities count against the limit, so cut first and escape after, with headroom.
    return {"type": "plain_text", "text": truncate(escape(truncate(text, limit)), limit),
            "emoji": True}


def _date(when: When) -> str:
    """A time each reader sees in their own zone; the fallback as the console shows it."""
    return f"<!date^{int(when.instant.timestamp())}^{DATE_FORMAT}|{escape(when.plain())}>"


def _mrkdwn(escaped: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": escaped}


def _outside_markup(escaped: str, cut: int) -> int:
    """`cut`, or the start of the `<…>` token (a date, a channel) it would split. Every
    `<` in escaped text is our own markup: user text has `&lt;`."""
    start = escaped.rfind("<", 0, cut)
    return start if start > 0 and start > escaped.rfind(">", 0, cut) else cut


def _chunks(escaped: str, limit: int) -> list[str]:
    """Split escaped text into pieces Slack accepts, at line ends where possible, never
    inside an entity or a `<…>` token."""
    out: list[str] = []
    while len(escaped) > limit:
        cut = escaped.rfind("\n", 0, limit)
        if cut <= 0:
            cut = _outside_markup(escaped, limit)
            amp = escaped.rfind("&", cut - 5, cut)
            if amp > 0 and ";" not in escaped[amp:cut]:
                cut = amp
        out.append(escaped[:cut])
        escaped = escaped[cut:].lstrip("\n")
    if escaped:
        out.append(escaped)
    return out


class Renderer:
    """Turns core output into Slack message payloads (`text` + `blocks`).

    With a command prefix (`cb-`), the core's references to its commands (`CommandRef`,
    `/poll vote`) are shown as the commands this workspace actually has (`/cb-poll vote`).
    """

    def __init__(self, command_names: Iterable[str] = (), prefix: str = "") -> None:
        self._prefix = prefix
        self._names = frozenset(command_names)  # the commands the prefix goes on

    def _command(self, ref: CommandRef) -> str:
        prefix = self._prefix if ref.line.split(" ", 1)[0] in self._names else ""
        line = f"/{prefix}{ref.line}"
        return f"`{line}`" if ref.code else line

    def _span(self, span: Span) -> str:
        """One span as plain text: a time as the console shows it, a command prefixed."""
        if isinstance(span, CommandRef):
            return self._command(span)
        return span if isinstance(span, str) else span.plain()

    def plain(self, text: str) -> str:
        """Text as plain (unescaped) text: for plain_text objects, field names, the
        notification fallback and form errors."""
        return "".join(self._span(s) for s in spans(text))

    def mrkdwn(self, text: str) -> str:
        """Text as escaped mrkdwn, times as Slack dates."""
        return "".join(_date(s) if isinstance(s, When) else escape(self._span(s))
                       for s in spans(text))

    def reply(self, reply: Reply) -> dict[str, Any]:
        """A reply's message: `text` (the notification fallback) and `blocks`."""
        lead = ":warning: " if reply.error else ""
        return self._message(reply.title, reply.text, reply.fields, reply.buttons, (),
                             lead=lead)

    def notice(self, notice: Notice) -> dict[str, Any]:
        """A notice's message; it pings exactly the Slack users it mentions."""
        return self._message(notice.title, notice.text, notice.fields, notice.buttons,
                             notice.mentions)

    def _message(self, title: str, text: str, fields: tuple[Field, ...],
                 buttons: tuple[Button, ...], mentions: tuple[Mention, ...], *,
                 lead: str = "") -> dict[str, Any]:
        title = self.plain(title)
        blocks: list[dict[str, Any]] = []
        if title and len(escape(title)) <= HEADER_MAX:
            blocks.append({"type": "header", "text": _plain(title, HEADER_MAX)})
        elif title:  # a header would cut it: a long poll question is read whole
            blocks.append({"type": "section", "text": _plain(title, SECTION_MAX)})
        body = lead + self.mrkdwn(text) if text else ""
        if body:
            blocks += [{"type": "section", "text": _mrkdwn(chunk)}
                       for chunk in _chunks(body, SECTION_MAX)]
        blocks += self._fields(fields)
        who = mention_text(mentions)
        blocks += [{"type": "section", "text": _mrkdwn(chunk)}
                   for chunk in _word_chunks(who, SECTION_MAX)]
        actions = _buttons(buttons)
        room = BLOCKS_MAX - len(actions)
        if len(blocks) > room:
            blocks = [*blocks[: room - 1], {"type": "context", "elements": [
                _mrkdwn("(cut short: too long for one Slack message)")]}]
        blocks += actions
        fallback = "\n".join(p for p in (escape(title), lead + escape(self.plain(text)), who)
                             if p.strip())
        if len(fallback) > FALLBACK_MAX:  # cut between words: never inside a <@U…> mention
            fallback = fallback[: fallback.rfind(" ", 0, FALLBACK_MAX - 1)] + "…"
        return {"text": truncate(fallback or escape(title) or " ", FALLBACK_MAX),
                "blocks": blocks}

    def _fields(self, fields: tuple[Field, ...]) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        row: list[dict[str, Any]] = []

        def flush() -> None:
            if row:
                blocks.append({"type": "section", "fields": list(row)})
                row.clear()

        for f in fields:
            name, value = escape(self.plain(f.name)), self.mrkdwn(f.value)
            if _CHANNEL_ID.fullmatch(f.channel_id):  # a link to the channel, never a ping
                value = f"<#{f.channel_id}>"
            if f.inline:
                whole = f"*{name}*\n{value}"
                if len(whole) > FIELD_MAX:
                    whole = whole[:_outside_markup(whole, FIELD_MAX - 1)] + "…"
                row.append(_mrkdwn(whole))
                if len(row) == FIELDS_PER_SECTION:
                    flush()
                continue
            flush()
            for i, chunk in enumerate(_chunks(f"*{name}*\n{value}", SECTION_MAX)):
                blocks.append({"type": "section", "text": _mrkdwn(chunk)})
                if i == 2:  # a field that long is cut; the rest is in the fallback text
                    break
        flush()
        return blocks


def _word_chunks(text: str, limit: int) -> list[str]:
    """Split space-separated text (mentions) into pieces under `limit`, between words."""
    out: list[str] = []
    while len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        cut = cut if cut > 0 else limit
        out.append(text[:cut])
        text = text[cut:].lstrip(" ")
    return [*out, text] if text else out


def mention_text(mentions: Iterable[Mention]) -> str:
    """The pings a notice asks for: Slack users only, each once, only well-formed ids.
    People of other platforms are named, never pinged."""
    seen: dict[str, str] = {}
    for m in mentions:
        if m.platform == PLATFORM and valid_user_id(m.user_id):
            seen.setdefault(m.user_id, f"<@{m.user_id}>")
        elif m.name:
            seen.setdefault(f"{m.platform}:{m.user_id}", "@" + escape(m.name))
    return " ".join(seen.values())


def _buttons(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    elements = []
    for i, b in enumerate(buttons):
        if len(b.command) > BUTTON_VALUE_MAX:
            continue
        element: dict[str, Any] = {"type": "button", "action_id": ACTION_ID.format(i),
                                   "text": _plain(b.label, BUTTON_LABEL_MAX),
                                   "value": b.command}
        if b.style in ("primary", "danger"):
            element["style"] = b.style
        elements.append(element)
    return [{"type": "actions", "elements": elements[i:i + BUTTONS_PER_BLOCK]}
            for i in range(0, len(elements), BUTTONS_PER_BLOCK)]


def response(message: Mapping[str, Any], *, private: bool) -> dict[str, Any]:
    """A message as a `response_url` payload: ephemeral or for the whole channel."""
    return {**message, "response_type": "ephemeral" if private else "in_channel",
            "replace_original": False}
