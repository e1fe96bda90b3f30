"""What may reach the log: never a channel message's text, never a platform token.

At DEBUG, discord.py logs every gateway event whole (message text, interaction tokens)
and every REST call with its URL and body (interaction callbacks and webhooks carry the
interaction token in the path); slack_sdk and slack_bolt log request and response
bodies; and bolt logs the whole body of a badly signed request at INFO. `PayloadFilter`
sits on the log handlers (installed by the CLI), so it sees every record of the process
whatever logger it came from: it drops those libraries' DEBUG records, and redacts the
few records at INFO and above that can carry a body or a token.
"""

from __future__ import annotations

import logging
import re

__all__ = ["PayloadFilter", "install"]

# Loggers whose DEBUG records carry raw payloads (prefixes: their children too).
PAYLOAD_LOGGERS = ("discord.gateway", "discord.http", "discord.webhook", "discord.state",
                   "discord.client", "slack_bolt", "slack_sdk",
                   "coalition_bot.adapters.slack.app.bolt")
_TOKEN_IN_PATH = re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/\s?'\"]+")
_BAD_SIGNATURE = "Invalid request signature detected"


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith((p + ".", p + ":")) for p in prefixes)


class PayloadFilter(logging.Filter):
    """Keeps message text and tokens out of the log (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO and _under(record.name, PAYLOAD_LOGGERS):
            return False
        if record.name.startswith(("discord", "slack", "coalition_bot.adapters")):
            try:
                message = record.getMessage()
            except Exception:  # a library's own formatting bug: leave it as it is
                return True
            cleaned = message
            if _BAD_SIGNATURE in cleaned:
                cleaned = f"{_BAD_SIGNATURE}; the request is not logged."
            cleaned = _TOKEN_IN_PATH.sub(r"\1[token]", cleaned)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


def install(root: logging.Logger | None = None) -> None:
    """Put a `PayloadFilter` on every handler of `root` (the root logger by default)."""
    root = root or logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, PayloadFilter) for f in handler.filters):
            handler.addFilter(PayloadFilter())
