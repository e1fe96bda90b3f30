"""Slack's text format, both ways.

Outbound, user text is escaped (`&`, `<`, `>` become entities) so nothing anyone typed
can become a link, a user mention or a `<!channel>` ping. Inbound, Slack sends text
with those characters escaped and with its own markup (`<@U123|ana>`, `<#C1|general>`,
`<!channel>`, `<https://x|x>`); `from_slack` turns it into the plain text the core
reads. User mentions stay as `<@U123>`, the form the grammar reads as a USER value.
"""

from __future__ import annotations

import re

__all__ = ["escape", "from_slack", "mentioned_users", "valid_user_id"]

_MARKUP = re.compile(r"<([^<>]*)>")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^<>]*)?>")
_SPECIAL = {"channel": "@channel", "here": "@here", "everyone": "@everyone"}


def escape(text: str) -> str:
    """User text as Slack shows it literally: never a link, a mention or a ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def valid_user_id(user_id: str) -> bool:
    """Whether `user_id` looks like a Slack user id (so `<@…>` around it is a mention)."""
    return bool(_USER_ID.match(user_id))


def _token(markup: str, keep_mentions: bool) -> str:
    body, _, label = markup.partition("|")
    if body.startswith("@"):
        if keep_mentions and valid_user_id(body[1:]):
            return f"<{body}>"
        return "@" + (label or body[1:])
    if body.startswith("#"):
        return "#" + (label or body[1:])
    if body.startswith("!"):
        word = body[1:].split("^", 1)[0]
        if word in _SPECIAL:
            return _SPECIAL[word]
        if word == "subteam":
            return label if label.startswith("@") else "@" + (label or "group")
        return label or word  # dates and the like: Slack's fallback text
    if body.startswith("mailto:"):
        return label or body[len("mailto:"):]
    return body  # a link: its address, so a pasted call link stays usable


def from_slack(text: str, *, keep_mentions: bool = True) -> str:
    """Text Slack sent us (a command, a message) as plain text.

    Markup tokens become readable words (`<!channel>` → `@channel`, `<#C1|general>` →
    `#general`, a link → its address), then the three entities are decoded. With
    `keep_mentions`, user mentions stay `<@U123>` for the grammar; otherwise they
    become `@name` too.
    """
    tokens: list[str] = []

    def keep(match: re.Match[str]) -> str:
        tokens.append(_token(_unescape(match[1]), keep_mentions))
        return f"\x00{len(tokens) - 1}\x00"

    marked = _MARKUP.sub(keep, text.replace("\x00", ""))
    plain = _unescape(marked)
    return re.sub(r"\x00(\d+)\x00", lambda m: tokens[int(m[1])], plain)


def mentioned_users(text: str) -> dict[str, str]:
    """User ids mentioned in raw Slack text, each with the name Slack put next to it."""
    return {m[1]: m[0].partition("|")[2].rstrip(">") for m in _MENTION.finditer(text)}
