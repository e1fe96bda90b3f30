"""The pure rules of the resource board: tags and the match score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coalition_bot.errors import UsageError
from coalition_bot.rules.resources import Candidate, parse_tags, rank, same_tag, score


def test_tags_are_normalized_like_topic_words_and_kept_once_in_order() -> None:
    assert parse_tags("Hall, ÉCOLES  #spanish,halls,meeting_room") == (
        "hall", "ecoles", "spanish", "meeting-room")
    assert parse_tags("") == ()


def test_a_tag_like_one_in_use_takes_its_spelling() -> None:
    assert parse_tags("Parties,buses", known=("party", "bus")) == ("party", "bus")
    assert same_tag("bus", "buses")
    assert same_tag("party", "parties")
    assert not same_tag("union", "reunion")
    assert not same_tag("hall", "hall-rental")


@pytest.mark.parametrize(("text", "expected"), [
    ("#, !", "has no tag in it"),
    ("x" * 31, "longer than 30 characters"),
    (",".join(f"t{i}" for i in range(11)), "11 tags given; at most 10 fit"),
])
def test_bad_tags_are_refused_saying_why(text: str, expected: str) -> None:
    with pytest.raises(UsageError, match=expected):
        parse_tags(text)


def test_the_score_counts_shared_tags_then_other_shared_words() -> None:
    fit = score("Spanish speaking canvassers for Saturday", ("canvass", "spanish"),
                "Volunteers who canvass in Spanish on Saturdays", ("spanish",))
    assert (fit.score, fit.tags, fit.words) == (5, ("spanish",), ("saturday", "canvass"))
    assert fit.reason() == ("shared tags: spanish (3 points each); shared words: saturday, "
                            "canvass (1 point each)")
    nothing = score("A hall for 80", (), "80 chairs and a van", ())
    assert (nothing.score, nothing.reason()) == (0, "nothing in common")


def test_rank_is_best_first_ties_to_the_newest_and_drops_nothing_in_common() -> None:
    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    pool = [Candidate(1, "Meeting hall", ("hall",), t0),
            Candidate(2, "Big hall downtown", ("hall",), t0 + timedelta(hours=1)),
            Candidate(3, "Vans", ("transport",), t0),
            Candidate(4, "Hall and chairs for a meeting", ("hall", "chairs"), t0)]
    ranked = rank("A hall for our meeting", ("hall",), pool)
    assert [(c.number, f.score) for c, f in ranked] == [(4, 4), (1, 4), (2, 3)]  # 4 is newer
