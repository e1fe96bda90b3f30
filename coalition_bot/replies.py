"""The platform-neutral types that every front door translates to and from.

An adapter builds an `Invocation` from a platform event; the core answers with a
`Reply` to the caller and zero or more `Notice`s for the coalition's home channel(s).
Their text is plain text, or a `Text`: plain text with spans the core means as
structure (a `When`, a `CommandRef`, a `Code`). Adapters escape plain text for their
platform and show each span their own way; nothing is ever recovered from the words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from coalition_bot.rules.times import format_local

__all__ = [
    "Attachment", "Button", "Code", "CommandRef", "Field", "Invocation", "Mention", "Message",
    "Notice", "Reply", "Span", "Text", "When", "join", "spans", "text_from_data",
    "text_to_data",
]

ButtonStyle = Literal["primary", "secondary", "danger"]


class _Joins:
    """`+` between a span and text gives a `Text`: `"Closes " + When(t, tz) + "."`."""

    __slots__ = ()

    def plain(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:  # in an f-string: the plain reading, as the console shows it
        return self.plain()

    def __add__(self, other: str | Span) -> Text:
        return Text(self, other)  # type: ignore[arg-type]

    def __radd__(self, other: str | Span) -> Text:
        return Text(other, self)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class When(_Joins):
    """A moment, read in `zone` (the coalition's or the meeting's). The console shows
    `Tue 1 Dec 2026, 18:00 (America/New_York)`; chat platforms show it in each
    reader's own time zone."""

    instant: datetime
    zone: str

    def plain(self) -> str:
        return format_local(self.instant, self.zone)


@dataclass(frozen=True, slots=True)
class CommandRef(_Joins):
    """A command to type, without its slash (`poll vote #3 CHOICE`): shown as `code`
    unless `code` is False, with the platform's own name for the command (Slack's
    prefix)."""

    line: str
    code: bool = True

    def plain(self) -> str:
        return f"`/{self.line}`" if self.code else f"/{self.line}"


@dataclass(frozen=True, slots=True)
class Code(_Joins):
    """Literal text shown as code."""

    code: str

    def plain(self) -> str:
        return f"`{self.code}`"


Span = str | When | CommandRef | Code


class Text(str):
    """Text with structure. As a `str` it is its plain reading, as the console shows it
    (so handlers and tests read it like any text); `spans` keeps what each part is, for
    the renderers. `+` keeps the spans; f-strings and other `str` methods give plain
    text, so build with `Text(...)`, `+` and `join`."""

    spans: tuple[Span, ...]

    def __new__(cls, *parts: Span) -> Text:
        flat: list[Span] = []
        for part in parts:
            for span in part.spans if isinstance(part, Text) else (part,):
                if isinstance(span, str) and flat and isinstance(flat[-1], str):
                    flat[-1] = flat[-1] + span
                elif span != "":
                    flat.append(str(span) if isinstance(span, str) else span)
        self = super().__new__(cls, "".join(_plain(s) for s in flat))
        self.spans = tuple(flat)
        return self

    def __add__(self, other: Span) -> Text:
        return Text(self, other)

    def __radd__(self, other: Span) -> Text:
        return Text(other, self)

    def __repr__(self) -> str:
        return f"Text{self.spans!r}"


def _plain(span: Span) -> str:
    return span if isinstance(span, str) else span.plain()


def spans(text: str) -> tuple[Span, ...]:
    """The spans of any text: a plain `str` is one plain span."""
    if isinstance(text, Text):
        return text.spans
    return (text,) if text else ()


def join(separator: str, parts: Iterable[Span]) -> Text:
    """`separator.join(parts)`, keeping the spans."""
    out: list[Span] = []
    for i, part in enumerate(parts):
        out += [separator, part] if i else [part]
    return Text(*out)


def text_to_data(text: str) -> str | list[Any]:
    """Text as JSON data: a plain string as it is, a `Text` as a list of its spans."""
    if not isinstance(text, Text) or all(isinstance(s, str) for s in text.spans):
        return str(text)
    return [s if isinstance(s, str)
            else {"when": s.instant.isoformat(), "zone": s.zone} if isinstance(s, When)
            else {"command": s.line, "code": s.code} if isinstance(s, CommandRef)
            else {"code": s.code} for s in text.spans]


def text_from_data(data: str | list[Any]) -> str:
    """The text `text_to_data` wrote."""
    if isinstance(data, str):
        return data
    out: list[Span] = []
    for item in data:
        if isinstance(item, str):
            out.append(item)
        elif "when" in item:
            out.append(When(datetime.fromisoformat(item["when"]), item["zone"]))
        elif "command" in item:
            out.append(CommandRef(item["command"], bool(item.get("code", True))))
        else:
            out.append(Code(item["code"]))
    return Text(*out)


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
    `content`; binary ones (a PNG) carry `data` instead. The console writes it to disk.

    A handler may leave a costly file to `draw` instead (a chart): the dispatcher calls
    it once the command's transaction is over, in a worker thread, and fills `data`, so
    neither the event loop nor other people's commands wait for the drawing."""

    filename: str
    content: str = ""
    media_type: str = "text/plain"
    data: bytes = b""
    draw: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)

    def payload(self) -> bytes:
        """The file's bytes: `data`, or `content` as UTF-8."""
        return self.data or self.content.encode("utf-8")


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to one invocation. `private` replies are seen by the caller only. An
    error reply may name the `option` it is about (a form shows it under that input)."""

    title: str = ""
    text: str = ""
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    private: bool = False
    error: bool = False
    files: tuple[Attachment, ...] = ()
    option: str = ""


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
