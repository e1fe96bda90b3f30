"""Rules for user-supplied names and text."""

from __future__ import annotations

import unicodedata

__all__ = ["clean_line", "name_key", "quote_arg"]


_BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_line(text: str) -> str:
    """One line of user text: control characters (newlines, escapes) become spaces,
    bidirectional overrides are dropped, runs of spaces folded. Joiners stay, so emoji
    sequences and Persian words keep their shape."""
    kept = "".join(" " if unicodedata.category(ch) == "Cc" else ch
                   for ch in text if ch not in _BIDI_OVERRIDES)
    return " ".join(kept.split())


def name_key(name: str) -> str:
    """The form two names are compared in: NFKC, case-folded, spaces folded."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def quote_arg(value: str) -> str:
    """A value as the command grammar reads it back: in double quotes when it needs them."""
    if value and not any(ch.isspace() or ch in '"“”„\\:' for ch in value) \
            and value.lower() not in ("help", "--help", "-h"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
