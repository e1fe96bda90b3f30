"""Matching text against the coalition's agreed off-limits topics. Pure, no I/O.

Both phrases and messages are normalized the same way: invisible format characters
dropped (a zero-width space inside `un\u200bion`), words that display as Latin spelled in
Latin (a Cyrillic `о` in `uniоn`, see `rules.text.latin_lookalike`), Unicode NFKC,
case-folded, accents removed, split into words (letters and digits; an apostrophe
inside a word stays with it). A phrase matches a run of consecutive words of the text,
whatever spaces or punctuation lie between them, where a word matches when both have a
base form in common after dropping a simple plural or possessive ending (`union` matches
`unions`, `union's`, `unions'`; `party` matches `parties`; `endorsements` matches
`endorsement`). Nothing is a regular expression: a phrase like `C++ (v2)` is taken as
the words it contains. A word never matches inside a longer word (`union` ≠ `reunion`).

`compile_topics` builds one `Matcher` for a coalition's whole list: a dictionary from
each phrase's first word to its phrases, so checking a message costs one lookup per
word of the message, however many topics there are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from coalition_bot.rules.text import drop_format, latin_lookalike

__all__ = [
    "Matcher", "TopicPhrase", "compile_topics", "normalize_words", "phrase_key", "phrase_words",
    "word_forms",
]

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*['’]?")  # letters and digits; `_` separates
_POSSESSIVE = ("'s", "’s", "'", "’")


@dataclass(frozen=True, slots=True)
class TopicPhrase:
    """A topic as the matcher needs it: its id (returned on a match) and its phrase."""

    topic_id: int
    phrase: str


def _fold(text: str) -> str:
    """Format characters dropped, look-alikes respelled, NFKC, case-folded, accents
    dropped: `ＣＡＦÉ` → `cafe`, `un\u00adion` → `union`."""
    if text.isascii():  # the common case, and NFKC, NFKD and casefold change nothing else
        return text.lower()
    folded = latin_lookalike(drop_format(text)).casefold()
    stripped = "".join(ch for ch in unicodedata.normalize("NFKD", folded)
                       if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def _strip_possessive(word: str) -> str:
    for ending in _POSSESSIVE:  # a word starts with a letter or digit: never all ending
        if word.endswith(ending):
            return word[: -len(ending)]
    return word


def normalize_words(text: str) -> list[str]:
    """The words of a text as the matcher compares them (possessive endings dropped)."""
    folded = _fold(text)
    words = _WORD.findall(folded)
    if "'" in folded or "’" in folded:
        words = [_strip_possessive(w) for w in words]
    return words


def phrase_words(phrase: str) -> tuple[str, ...]:
    """A phrase as the words it must match; empty if it has no letters or digits."""
    return tuple(w.replace("’", "'") for w in normalize_words(phrase))


def phrase_key(phrase: str) -> str:
    """One name for all the spellings the matcher treats alike (`Unions` = `union`,
    `bus` = `buses`, `tie` = `ties`, `party` = `parties`): two phrases whose words match
    one another always get one key.

    The matcher's relation is not transitive (`bu` matches `bus`, `bus` matches `buses`,
    `bu` does not match `buses`), so no key can be exact; this one errs on the side of
    calling two phrases one topic: each word loses every trailing `s` and `e` (one letter
    is always kept) and a final `i` becomes `y`. Every plural ending `_forms` drops is
    made of those letters (or `ies` for `y`), so a word and any of its forms share a key;
    the price is a rare merge of different words (`hoe` and `hose`).
    """
    return " ".join(_word_key(w) for w in phrase_words(phrase))


def _word_key(word: str) -> str:
    stem = word[:1] + word[1:].rstrip("se")
    return stem[:-1] + "y" if stem.endswith("i") else stem


def word_forms(word: str) -> tuple[str, ...]:
    """The base forms a normalized word may stand for (two words match when they share
    one): `parties` → parties, party, parti, partie."""
    return _forms(word)


def _forms(word: str) -> tuple[str, ...]:
    """The base forms a text word may stand for: itself, and itself less a plural ending."""
    word = word.replace("’", "'")
    forms = [word]
    if len(word) > 4 and word.endswith("ies"):  # `skies` → `sky`, but `ties` is no `ty`
        forms.append(word[:-3] + "y")
    if len(word) > 2 and word.endswith("es"):
        forms.append(word[:-2])
    if len(word) > 1 and word.endswith("s"):
        forms.append(word[:-1])
    return tuple(forms)


class Matcher:
    """All of a coalition's topics compiled for fast checking."""

    __slots__ = ("_by_first", "size")

    def __init__(self, topics: Iterable[TopicPhrase]) -> None:
        self._by_first: dict[str, list[tuple[tuple[frozenset[str], ...], int]]] = {}
        self.size = 0
        for topic in topics:
            words = phrase_words(topic.phrase)
            if not words:
                continue
            phrase = tuple(frozenset(_forms(w)) for w in words)
            for form in phrase[0]:
                self._by_first.setdefault(form, []).append((phrase, topic.topic_id))
            self.size += 1
        for entries in self._by_first.values():
            entries.sort(key=lambda e: -len(e[0]))  # the longest phrase wins a tie

    def matches(self, text: str) -> list[int]:
        """Ids of the topics the text touches, in the order they first appear."""
        if not self._by_first:
            return []
        words = normalize_words(text)
        forms: list[tuple[str, ...] | None] = [None] * len(words)  # computed when needed
        by_first = self._by_first
        found: list[int] = []
        for i, word in enumerate(words):
            candidates = by_first.get(word)
            if word[-1:] == "s" or "’" in word:  # a plural may hide a phrase's first word
                forms[i] = word_forms = _forms(word)
                candidates = sorted((e for f in word_forms for e in by_first.get(f, ())),
                                    key=lambda e: -len(e[0]))
            if not candidates:
                continue
            for phrase, topic_id in candidates:
                if topic_id not in found and _continues(phrase, words, forms, i):
                    found.append(topic_id)
        return found


def _continues(phrase: tuple[frozenset[str], ...], words: list[str],
               forms: list[tuple[str, ...] | None], start: int) -> bool:
    if start + len(phrase) > len(words):
        return False
    for k in range(1, len(phrase)):
        at = start + k
        if forms[at] is None:
            forms[at] = _forms(words[at])
        if phrase[k].isdisjoint(forms[at]):  # type: ignore[arg-type]
            return False
    return True


def compile_topics(topics: Iterable[TopicPhrase]) -> Matcher:
    """One matcher for a whole topic list."""
    return Matcher(topics)
