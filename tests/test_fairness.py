"""Fairness and privacy: anonymous tallies, fixed electorates, reachable coordinators,
joint decisions that one coordinator cannot quietly undo, blocks, observers.

Everything runs through the real bot on a real SQLite file (the `Chat` front door).
"""

from __future__ import annotations

import pytest
from helpers import Chat, field, text_of


@pytest.fixture
async def partners(coalition: Chat) -> Chat:
    """The coalition plus Dan (Climate Now's representative) and a third organization."""
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await coalition.ok("Alice", 'coalition org add "Food Bank"')
    await coalition.ok("Alice", 'coalition rep add Erin "Food Bank"')
    return coalition


# --- 1. anonymous polls show no live tally ------------------------------------------------


async def test_an_open_anonymous_poll_never_shows_a_tally_beside_who_voted(
        partners: Chat) -> None:
    created = await partners.ok("Alice", 'poll create Which? choices:"Kestrel|Osprey" '
                                         "anonymous:yes results:live")
    assert "the tally is shown only when the poll closes" in created.text
    await partners.ok("Bob", "poll vote 1 Kestrel")
    first = await partners.ok("Alice", "poll status 1")
    await partners.ok("Dan", "poll vote 1 Osprey")
    second = await partners.ok("Alice", "poll status 1")
    for status in (first, second):
        assert field(status, "Tally").startswith("shown when the poll closes")
        assert "Kestrel:" not in text_of(status) and "Osprey:" not in text_of(status)
        assert "If it closed now" not in [f.name for f in status.fields]
    assert field(second, "Voted").splitlines() == ["Tenants United (by Bob)",
                                                   "Climate Now (by Dan)"]
    await partners.ok("Alice", "poll close 1")
    closed = await partners.ok("Alice", "poll status 1")
    assert field(closed, "Tally") == "Kestrel: 1\nOsprey: 1"


# --- 6. observers ---------------------------------------------------------------------------


async def test_a_representative_of_an_observer_is_not_told_they_can_vote(
        partners: Chat) -> None:
    await partners.ok("Alice", 'coalition org add "City Library" observer:yes')
    reply = await partners.ok("Alice", 'coalition rep add Olga "City Library"')
    assert "can vote" not in reply.text
    assert reply.text == ("Olga now represents City Library, an observer organization: it "
                          "takes part in the coalition but does not vote in its polls.")
    voting = await partners.ok("Alice", 'coalition rep add Olga "Food Bank"')
    assert voting.text == "Olga now represents Food Bank and can vote for it."
