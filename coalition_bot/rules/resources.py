"""Offers and asks: their tags, and how well an offer fits an ask. Pure, no I/O.

Tags and words are normalized the way off-limits topics are (`rules.topics`): NFKC,
case-folded, accents dropped, and two words are the same when they share a base form
(`halls` = `hall`, `parties` = `party`). A tag is one word or a hyphenated run of words
(`meeting-hall`); a tag the same as one already in use takes that one's spelling, so the
board keeps one `hall`, not `hall` and `Halls`.

The match score is plain enough to explain in one line: 3 points for each tag both
items carry, 1 point for each other word both use (their texts and tags, leaving out
short and common words). Ties go to the newer item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from coalition_bot.errors import UsageError
from coalition_bot.rules.topics import normalize_words, phrase_words, word_forms

__all__ = [
    "TAGS_MAX", "TAG_MAX", "TAG_POINTS", "WORD_POINTS", "Candidate", "Fit", "content_words",
    "parse_tags", "rank", "same_tag", "score", "tag_key",
]

TAG_MAX = 30  # characters in one tag
TAGS_MAX = 10  # tags on one item
TAG_POINTS = 3
WORD_POINTS = 1

# Words that say nothing about what is offered or asked.
_COMMON = frozenset("""
    a an and any are as at be but by can could for from get give has have help in into is
    it its need needed needs of offer offering offers on or our ours please some that the
    their them they this to us use using want we will with would you your ask asks asking
    looking someone anyone who can't cannot per more most one two
""".split())


def _same_word(a: str, b: str) -> bool:
    return a == b or not set(word_forms(a)).isdisjoint(word_forms(b))


def tag_key(raw: str) -> str:
    """One tag as written down: its normalized words joined by `-`; '' if it has none."""
    return "-".join(phrase_words(raw))


def same_tag(a: str, b: str) -> bool:
    """Whether two stored tags are the same words (`bus` = `buses`)."""
    pa, pb = a.split("-"), b.split("-")
    return len(pa) == len(pb) and all(_same_word(x, y) for x, y in zip(pa, pb, strict=True))


def parse_tags(text: str, known: Sequence[str] = ()) -> tuple[str, ...]:
    """`hall, Spanish venues` → ('hall', 'spanish', 'venues'): tags split on commas and
    spaces, normalized, each once, in the order given; a tag the same as one of `known`
    (the tags in use) is spelled as that one."""
    tags: list[str] = []
    for raw in re.split(r"[,\s]+", text.strip()):
        if not raw:
            continue
        if len(raw) > TAG_MAX:
            raise UsageError(f"The tag `{raw[:TAG_MAX]}…` is longer than {TAG_MAX} characters.",
                             hint="Tags are short words, like tags:hall,spanish.")
        key = tag_key(raw)
        key = next((k for k in known if same_tag(key, k)), key) if key else key
        if key and not any(same_tag(key, t) for t in tags):
            tags.append(key)
    if text.strip() and not tags:
        raise UsageError(f"`{text.strip()}` has no tag in it: tags are words.",
                         hint="For example tags:hall,spanish.")
    if len(tags) > TAGS_MAX:
        raise UsageError(f"{len(tags)} tags given; at most {TAGS_MAX} fit.",
                         hint="Keep the words people would look for.")
    return tuple(tags)


def content_words(text: str, tags: Iterable[str] = ()) -> list[str]:
    """The words of a text and its tags that can say what it is about: no short or
    common words, no bare numbers; each once (by base form), in order."""
    words: list[str] = []
    for word in [*normalize_words(text), *(p for t in tags for p in t.split("-"))]:
        word = word.replace("’", "'")
        if len(word) < 3 or word.isdigit() or word in _COMMON:
            continue
        if not any(_same_word(word, w) for w in words):
            words.append(word)
    return words


@dataclass(frozen=True, slots=True)
class Fit:
    """How well two items fit, and why."""

    score: int
    tags: tuple[str, ...]  # tags both carry
    words: tuple[str, ...]  # other words both use

    def reason(self) -> str:
        parts = []
        if self.tags:
            parts.append(f"shared tags: {', '.join(self.tags)} ({TAG_POINTS} points each)")
        if self.words:
            parts.append(f"shared words: {', '.join(self.words)} ({WORD_POINTS} point each)")
        return "; ".join(parts) or "nothing in common"


def score(text: str, tags: Sequence[str], other_text: str, other_tags: Sequence[str]) -> Fit:
    """How well one item fits another: shared tags, then shared words."""
    shared_tags = tuple(t for t in tags if any(same_tag(t, o) for o in other_tags))
    theirs = content_words(other_text, other_tags)
    counted = [p for t in shared_tags for p in t.split("-")]
    shared_words = tuple(
        w for w in content_words(text, tags)
        if any(_same_word(w, o) for o in theirs) and not any(_same_word(w, c) for c in counted))
    return Fit(TAG_POINTS * len(shared_tags) + WORD_POINTS * len(shared_words),
               shared_tags, shared_words)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item that could fit: its number, text, tags and when it was posted."""

    number: int
    text: str
    tags: tuple[str, ...]
    created_at: datetime


def rank(text: str, tags: Sequence[str], candidates: Iterable[Candidate],
         limit: int = 5) -> list[tuple[Candidate, Fit]]:
    """The candidates that share anything with the item, best first (ties: newest)."""
    scored = [(c, score(text, tags, c.text, c.tags)) for c in candidates]
    scored = [(c, f) for c, f in scored if f.score > 0]
    scored.sort(key=lambda cf: (-cf[1].score, -cf[0].created_at.timestamp(), -cf[0].number))
    return scored[:limit]
