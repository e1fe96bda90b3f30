"""Rules for user-supplied names and text.

In detail:

- **Names** (organizations, roles, poll choices) are compared by `rules.text.name_key`:
  format characters dropped, NFKC, case-folded, spaces folded, so `Tenants United` and
  `Tenants United` + zero-width space are one. A new organization whose name *looks*
  like an existing one (`lookalike_key`: Cyrillic/Greek look-alikes respelled) is
  refused, pointing at the existing one's number; names wholly in another alphabet are
  welcome.
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["clean_line", "drop_format", "latin_lookalike", "lookalike_key", "name_key",
           "quote_arg"]


_BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_line(text: str) -> str:
    """One line of user text: control characters (newlines, escapes) become spaces,
    bidirectional overrides are dropped, runs of spaces folded. Joiners stay, so emoji
    sequences and Persian words keep their shape."""
    if text.isprintable():  # no control or format character at all (most names)
        return " ".join(text.split())
    kept = "".join(" " if unicodedata.category(ch) == "Cc" else ch
                   for ch in text if ch not in _BIDI_OVERRIDES)
    return " ".join(kept.split())


# Unicode's format characters (category Cf, as of Unicode 15), as one character class so
# that dropping them is one C-speed pass; tests check it against `unicodedata`.
_FORMAT = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f]")


def drop_format(text: str) -> str:
    """Text without its invisible format characters (Unicode category Cf: zero-width space
    and joiners, soft hyphen, word joiner, bidi marks), which change how nothing looks."""
    if text.isascii():
        return text
    return _FORMAT.sub("", text)


@functools.lru_cache(maxsize=1024)
def name_key(name: str) -> str:
    """The form two names are compared in: format characters dropped, NFKC, case-folded,
    spaces folded (`Tenants United\u200b` = `tenants united`). Kept for the last 1 024
    names asked (a poll's choices are compared on every vote)."""
    return " ".join(unicodedata.normalize("NFKC", drop_format(name)).casefold().split())


# Cyrillic and Greek letters drawn like a Latin one, by case (upper case only where the
# capital looks Latin: Cyrillic `Н` is an H but its small `н` is no h). A hand-kept table
# of the common confusables (Unicode's confusables.txt has thousands): enough for
# someone swapping a few letters in a Latin word, not a full UTS #39 skeleton.
_LOOKALIKES = str.maketrans({
    # Cyrillic capitals and smalls
    "А": "A", "В": "B", "Е": "E", "Ѕ": "S", "І": "I", "Ј": "J", "К": "K", "М": "M",
    "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ү": "Y",
    "Һ": "H", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "I",
    "а": "a", "е": "e", "ѕ": "s", "і": "i", "ј": "j", "о": "o", "р": "p", "с": "c",
    "у": "y", "х": "x", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y",
    # Greek capitals and smalls
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "α": "a", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "υ": "u", "χ": "x",
})
_LOOKALIKE_CHARS = frozenset(chr(c) for c in _LOOKALIKES)
_ANY_LOOKALIKE = re.compile("[" + "".join(sorted(_LOOKALIKE_CHARS)) + "]")
_LETTERS = re.compile(r"[^\W\d_]+")


def _respell(word: str) -> str:
    if not any(ch in _LOOKALIKE_CHARS for ch in word):
        return word
    latin = any("a" <= ch.lower() <= "z" for ch in word)
    if latin or all(ch in _LOOKALIKE_CHARS for ch in word):
        return word.translate(_LOOKALIKES)
    return word  # a word of another script that merely has some such letters


def latin_lookalike(text: str) -> str:
    """Text with each word that displays as Latin spelled in Latin: a word mixing Latin
    letters with Cyrillic or Greek look-alikes (`Tenаnts` with a Cyrillic `а`), or made
    only of look-alikes (`сор`). Other words, Russian or Greek ones included, stay."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    if not _ANY_LOOKALIKE.search(text):  # the common case: nothing to respell
        return text
    return _LETTERS.sub(lambda m: _respell(m[0]), text)


def lookalike_key(name: str) -> str:
    """`name_key` of the name as it looks: two names with one key cannot be told apart."""
    return name_key(latin_lookalike(drop_format(name)))


def quote_arg(value: str) -> str:
    """A value as the command grammar reads it back: in double quotes when it needs them."""
    if value and not any(ch.isspace() or ch in '"“”„\\:' for ch in value) \
            and value.lower() not in ("help", "--help", "-h"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
