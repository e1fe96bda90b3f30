"""Rules for user-supplied names and text."""

from __future__ import annotations

import unicodedata

__all__ = ["clean_line", "name_key", "quote_arg"]


def clean_line(text: str) -> str:
    """One line of user text: control characters dropped, runs of spaces folded."""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(kept.split())


def name_key(name: str) -> str:
    """The form two names are compared in: NFKC, case-folded, spaces folded."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def quote_arg(value: str) -> str:
    """A value as the command grammar reads it back: in double quotes when it needs them."""
    if value and not any(ch.isspace() or ch in '"“”„\\:' for ch in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
