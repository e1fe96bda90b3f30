"""Rules for user-supplied names and text."""

from __future__ import annotations

import unicodedata

__all__ = ["clean_line", "name_key"]


def clean_line(text: str) -> str:
    """One line of user text: control characters dropped, runs of spaces folded."""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(kept.split())


def name_key(name: str) -> str:
    """The form two names are compared in: NFKC, case-folded, spaces folded."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
