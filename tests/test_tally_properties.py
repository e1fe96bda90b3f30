"""Laws of the pure tally rules (`rules/tally.py`), pinned with hypothesis, plus examples."""

from __future__ import annotations

import random

import pytest
from budget import law_settings
from hypothesis import assume, given
from hypothesis import strategies as st

from coalition_bot.rules.tally import (
    ABSTAIN,
    BLOCK,
    PROPOSAL_CHOICES,
    Ballot,
    Outcome,
    count,
    decide,
    latest_votes,
)

AGREE, DISAGREE = "agree", "disagree"
DECIDING = (AGREE, DISAGREE, BLOCK)
OPTIONS = ("Saturday", "Sunday", "Monday", "Tuesday")

FAST = law_settings(400)
MANY = law_settings(600)

voters = st.sampled_from([f"org:{i}" for i in range(1, 9)])


@st.composite
def ballot_lists(draw, choices: tuple[str, ...] = PROPOSAL_CHOICES) -> list[Ballot]:
    """Ballots with distinct `seq`s (the order they were cast), in arbitrary list order."""
    size = draw(st.integers(min_value=0, max_value=25))
    seqs = draw(st.lists(st.integers(min_value=0, max_value=10_000), min_size=size,
                         max_size=size, unique=True))
    return [Ballot(draw(voters), draw(st.sampled_from(choices)), seq) for seq in seqs]


@st.composite
def proposal_tallies(draw) -> dict[str, int]:
    return {c: draw(st.integers(min_value=0, max_value=30)) for c in PROPOSAL_CHOICES}


def run(tallies: dict[str, int], *, rule: str, electorate: int | None = None,
        quorum_pct: int = 0, proposal: bool = True) -> Outcome:
    voted = sum(tallies.values())
    return decide(tallies, rule=rule, electorate=voted if electorate is None else electorate,
                  quorum_pct=quorum_pct, proposal=proposal)


def reference_latest(ballots: list[Ballot]) -> dict[str, str]:
    """The latest choice per voter, computed the obvious way: sort by seq, last one wins."""
    result: dict[str, str] = {}
    for ballot in sorted(ballots, key=lambda b: b.seq):
        result[ballot.voter] = ballot.choice
    return result


# --- latest_votes and count --------------------------------------------------------------


@MANY
@given(ballots=ballot_lists(), seed=st.integers(min_value=0, max_value=2**32 - 1),
       rule=st.sampled_from(("majority", "supermajority", "consensus", "plurality")),
       quorum=st.integers(min_value=0, max_value=100))
def test_the_order_of_ballots_in_the_list_does_not_change_the_outcome(
        ballots: list[Ballot], seed: int, rule: str, quorum: int) -> None:
    shuffled = list(ballots)
    random.Random(seed).shuffle(shuffled)
    assert latest_votes(shuffled) == latest_votes(ballots)
    first = decide(count(PROPOSAL_CHOICES, latest_votes(ballots)), rule=rule, electorate=8,
                   quorum_pct=quorum, proposal=True)
    second = decide(count(PROPOSAL_CHOICES, latest_votes(shuffled)), rule=rule, electorate=8,
                    quorum_pct=quorum, proposal=True)
    assert first == second


@MANY
@given(ballots=ballot_lists())
def test_only_the_latest_ballot_of_each_voter_counts(ballots: list[Ballot]) -> None:
    latest = latest_votes(ballots)
    assert latest == reference_latest(ballots)
    assert set(latest) == {b.voter for b in ballots}


@FAST
@given(ballots=ballot_lists(), earlier=st.lists(st.sampled_from(PROPOSAL_CHOICES), max_size=5),
       seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_ballots_cast_before_a_voters_latest_never_change_their_vote(
        ballots: list[Ballot], earlier: list[str], seed: int) -> None:
    assume(ballots)
    latest = latest_votes(ballots)
    voter = ballots[0].voter
    lowest = min(b.seq for b in ballots)
    stale = [Ballot(voter, choice, lowest - 1 - i) for i, choice in enumerate(earlier)]
    mixed = ballots + stale
    random.Random(seed).shuffle(mixed)
    assert latest_votes(mixed) == latest


@FAST
@given(ballots=ballot_lists())
def test_a_recast_with_a_higher_seq_replaces_the_voters_choice(ballots: list[Ballot]) -> None:
    assume(ballots)
    voter = ballots[-1].voter
    top = max(b.seq for b in ballots)
    for choice in PROPOSAL_CHOICES:
        latest = latest_votes([Ballot(voter, choice, top + 1), *ballots])
        assert latest[voter] == choice
        # one vote per voter: recasting never adds a vote
        assert sum(count(PROPOSAL_CHOICES, latest).values()) == len({b.voter for b in ballots})


@FAST
@given(ballots=ballot_lists(OPTIONS))
def test_count_lists_every_choice_in_order_and_one_vote_per_voter(
        ballots: list[Ballot]) -> None:
    latest = latest_votes(ballots)
    tallies = count(OPTIONS, latest)
    assert tuple(tallies) == OPTIONS
    assert sum(tallies.values()) == len(latest)
    for choice in OPTIONS:
        assert tallies[choice] == sum(1 for c in latest.values() if c == choice)


# --- quorum ------------------------------------------------------------------------------


@MANY
@given(tallies=proposal_tallies(), extra=st.integers(min_value=0, max_value=60),
       quorum=st.integers(min_value=0, max_value=100),
       rule=st.sampled_from(("majority", "supermajority", "consensus", "plurality")),
       proposal=st.booleans())
def test_below_quorum_nothing_passes_and_at_quorum_the_rule_decides(
        tallies: dict[str, int], extra: int, quorum: int, rule: str, proposal: bool) -> None:
    if not proposal and rule == "consensus":
        rule = "majority"
    voted = sum(tallies.values())
    electorate = voted + extra
    assume(electorate > 0)
    outcome = decide(tallies, rule=rule, electorate=electorate, quorum_pct=quorum,
                     proposal=proposal)
    if voted * 100 < quorum * electorate:
        assert outcome.passed is False
        assert outcome.quorum_met is False
        assert outcome.winner is None
        assert outcome.tied == ()
        assert "Quorum not met" in outcome.summary
    else:
        assert outcome.quorum_met is True


@FAST
@given(abstain=st.integers(min_value=1, max_value=20), extra=st.integers(min_value=0,
                                                                          max_value=20))
def test_abstentions_count_towards_quorum(abstain: int, extra: int) -> None:
    tallies = {AGREE: 0, ABSTAIN: abstain, DISAGREE: 0, BLOCK: 0}
    outcome = decide(tallies, rule="majority", electorate=abstain + extra,
                     quorum_pct=100 * abstain // (abstain + extra), proposal=True)
    assert outcome.quorum_met is True
    assert outcome.passed is False  # only abstentions decide nothing


@FAST
@given(quorum=st.integers(min_value=0, max_value=100), rule=st.sampled_from(
    ("majority", "supermajority", "consensus", "plurality")))
def test_an_empty_electorate_never_meets_quorum(quorum: int, rule: str) -> None:
    outcome = decide(dict.fromkeys(PROPOSAL_CHOICES, 0), rule=rule, electorate=0,
                     quorum_pct=quorum, proposal=True)
    assert outcome.quorum_met is False
    assert outcome.passed is False


# --- consensus ---------------------------------------------------------------------------


@MANY
@given(tallies=proposal_tallies(), blocks=st.integers(min_value=1, max_value=10),
       extra=st.integers(min_value=0, max_value=10),
       quorum=st.integers(min_value=0, max_value=100))
def test_one_block_fails_consensus_whatever_else(tallies: dict[str, int], blocks: int,
                                                 extra: int, quorum: int) -> None:
    tallies[BLOCK] = blocks
    outcome = decide(tallies, rule="consensus", electorate=sum(tallies.values()) + extra,
                     quorum_pct=quorum, proposal=True)
    assert outcome.passed is False
    assert outcome.winner is None


@FAST
@given(tallies=proposal_tallies())
def test_consensus_passes_iff_someone_agrees_and_nobody_blocks(
        tallies: dict[str, int]) -> None:
    outcome = run(tallies, rule="consensus")
    assume(sum(tallies.values()) > 0)
    expected = tallies[AGREE] > 0 and tallies[BLOCK] == 0
    assert outcome.passed is expected
    assert outcome.winner == (AGREE if expected else None)


# --- majority and supermajority ----------------------------------------------------------


@MANY
@given(tallies=proposal_tallies(), extra=st.integers(min_value=0, max_value=10))
def test_majority_passes_iff_agree_is_more_than_half_of_the_deciding_votes(
        tallies: dict[str, int], extra: int) -> None:
    voted = sum(tallies.values())
    assume(voted > 0)
    outcome = decide(tallies, rule="majority", electorate=voted + extra, quorum_pct=0,
                     proposal=True)
    deciding = sum(tallies[c] for c in DECIDING)  # abstentions excluded
    expected = tallies[AGREE] * 2 > deciding
    assert outcome.quorum_met is True
    assert outcome.passed is expected
    assert outcome.winner == (AGREE if expected else None)


@MANY
@given(tallies=proposal_tallies(), extra=st.integers(min_value=0, max_value=10))
def test_supermajority_passes_iff_agree_is_at_least_two_thirds_of_the_deciding_votes(
        tallies: dict[str, int], extra: int) -> None:
    voted = sum(tallies.values())
    assume(voted > 0)
    outcome = decide(tallies, rule="supermajority", electorate=voted + extra, quorum_pct=0,
                     proposal=True)
    deciding = sum(tallies[c] for c in DECIDING)
    expected = deciding > 0 and tallies[AGREE] * 3 >= 2 * deciding
    assert outcome.passed is expected
    assert outcome.winner == (AGREE if expected else None)


@FAST
@given(tallies=proposal_tallies(), more_abstain=st.integers(min_value=1, max_value=20),
       rule=st.sampled_from(("majority", "supermajority")))
def test_adding_abstentions_never_changes_a_majority_decision(
        tallies: dict[str, int], more_abstain: int, rule: str) -> None:
    assume(sum(tallies[c] for c in DECIDING) > 0)
    before = run(tallies, rule=rule)
    after = run({**tallies, ABSTAIN: tallies[ABSTAIN] + more_abstain}, rule=rule)
    assert (before.passed, before.winner) == (after.passed, after.winner)


@FAST
@given(counts=st.lists(st.integers(min_value=0, max_value=20), min_size=2, max_size=4),
       rule=st.sampled_from(("majority", "supermajority")))
def test_a_choice_poll_passes_with_its_leading_choice_when_it_has_the_share(
        counts: list[int], rule: str) -> None:
    choices = OPTIONS[:len(counts)]
    tallies = dict(zip(choices, counts, strict=True))
    total = sum(counts)
    assume(total > 0)
    outcome = run(tallies, rule=rule, proposal=False)
    top = max(counts)
    share_ok = top * 2 > total if rule == "majority" else top * 3 >= 2 * total
    leaders = [c for c in choices if tallies[c] == top]
    if share_ok and len(leaders) == 1:
        assert outcome.passed is True
        assert outcome.winner == leaders[0]
    else:
        assert outcome.passed is False
        assert outcome.winner is None
    if len(leaders) > 1:
        assert set(outcome.tied) == set(leaders)


# --- plurality ---------------------------------------------------------------------------


@MANY
@given(counts=st.lists(st.integers(min_value=0, max_value=12), min_size=2, max_size=4),
       tied_at=st.integers(min_value=1, max_value=12), data=st.data())
def test_plurality_reports_a_tie_and_never_breaks_it(counts: list[int], tied_at: int,
                                                      data) -> None:
    choices = OPTIONS[:len(counts)]
    # make at least two choices share the top count
    first, second = data.draw(st.lists(st.sampled_from(range(len(choices))), min_size=2,
                                       max_size=2, unique=True))
    counts = [min(n, tied_at) for n in counts]
    counts[first] = counts[second] = tied_at
    tallies = dict(zip(choices, counts, strict=True))
    outcome = run(tallies, rule="plurality", proposal=False)
    leaders = {c for c in choices if tallies[c] == tied_at}
    assert outcome.passed is None
    assert outcome.winner is None
    assert set(outcome.tied) == leaders
    assert len(outcome.tied) == len(leaders)
    assert "Tie" in outcome.summary


@MANY
@given(counts=st.lists(st.integers(min_value=0, max_value=12), min_size=2, max_size=4),
       proposal=st.booleans())
def test_plurality_names_the_unique_leader_or_reports_the_tie(counts: list[int],
                                                              proposal: bool) -> None:
    choices = PROPOSAL_CHOICES if proposal else OPTIONS[:len(counts)]
    tallies = dict(zip(choices, counts + [0] * (len(choices) - len(counts)), strict=True))
    deciding = {c: n for c, n in tallies.items() if c != ABSTAIN}
    assume(sum(deciding.values()) > 0)
    outcome = run(tallies, rule="plurality", proposal=proposal)
    top = max(deciding.values())
    leaders = [c for c, n in deciding.items() if n == top]
    if len(leaders) > 1:
        assert outcome.passed is None
        assert set(outcome.tied) == set(leaders)
    else:
        assert outcome.winner == leaders[0]
        assert outcome.tied == ()
        assert outcome.passed is ((leaders[0] == AGREE) if proposal else True)


@FAST
@given(tallies=proposal_tallies(), quorum=st.integers(min_value=0, max_value=100),
       extra=st.integers(min_value=0, max_value=10),
       rule=st.sampled_from(("majority", "supermajority", "consensus", "plurality")))
def test_decide_is_consistent_whatever_the_rule(tallies: dict[str, int], quorum: int,
                                                extra: int, rule: str) -> None:
    voted = sum(tallies.values())
    outcome = decide(tallies, rule=rule, electorate=voted + extra, quorum_pct=quorum,
                     proposal=True)
    if outcome.passed is True:
        assert outcome.quorum_met
        assert outcome.winner in PROPOSAL_CHOICES
    if outcome.passed is None:
        assert outcome.quorum_met
        assert len(outcome.tied) >= 2
    if outcome.tied:
        assert outcome.passed is not True
    assert f"{voted} of {voted + extra} voted" in outcome.summary


# --- examples ----------------------------------------------------------------------------


def proposal(agree: int = 0, abstain: int = 0, disagree: int = 0,
             block: int = 0) -> dict[str, int]:
    return {AGREE: agree, ABSTAIN: abstain, DISAGREE: disagree, BLOCK: block}


def test_two_agree_one_disagree_passes_by_majority() -> None:
    outcome = run(proposal(agree=2, disagree=1), rule="majority")
    assert outcome.passed is True
    assert outcome.winner == AGREE
    assert outcome.summary == ("agree has 2 of 3 deciding votes, more than half "
                               "(3 of 3 voted).")


def test_two_agree_one_disagree_one_abstain_passes_by_supermajority() -> None:
    outcome = run(proposal(agree=2, disagree=1, abstain=1), rule="supermajority")
    assert outcome.passed is True
    assert "2 of 3 deciding votes, at least two thirds (4 of 4 voted)" in outcome.summary


def test_one_agree_one_disagree_fails_by_majority() -> None:
    outcome = run(proposal(agree=1, disagree=1), rule="majority")
    assert outcome.passed is False
    assert outcome.winner is None
    assert "not more than half" in outcome.summary


def test_one_of_three_voting_misses_a_fifty_percent_quorum() -> None:
    outcome = run(proposal(agree=1), rule="majority", electorate=3, quorum_pct=50)
    assert outcome == Outcome(False, None, False,
                              "Quorum not met: 1 of 3 voted, 50% needed.")


def test_two_of_four_voting_meets_a_fifty_percent_quorum() -> None:
    outcome = run(proposal(agree=2), rule="majority", electorate=4, quorum_pct=50)
    assert outcome.quorum_met is True
    assert outcome.passed is True


def test_a_single_block_among_many_agrees_fails_consensus() -> None:
    outcome = run(proposal(agree=9, block=1), rule="consensus")
    assert outcome.passed is False
    assert outcome.summary == "Blocked by 1 (10 of 10 voted)."


def test_supermajority_includes_exactly_two_thirds_but_not_three_fifths() -> None:
    assert run(proposal(agree=2, disagree=1), rule="supermajority").passed is True
    assert run(proposal(agree=3, disagree=2), rule="supermajority").passed is False


def test_a_plurality_tie_between_two_choices_names_both() -> None:
    outcome = run({"Saturday": 2, "Sunday": 2, "Monday": 1}, rule="plurality",
                  proposal=False)
    assert outcome.passed is None
    assert outcome.tied == ("Saturday", "Sunday")
    assert outcome.summary == "Tie between Saturday, Sunday with 2 each (5 of 5 voted)."


def test_only_abstentions_decide_nothing() -> None:
    outcome = run(proposal(abstain=3), rule="majority")
    assert outcome.passed is False
    assert outcome.quorum_met is True
    assert outcome.summary.startswith("Only abstentions")


@pytest.mark.parametrize("ballots, expected", [
    ([Ballot("org:1", AGREE, 1), Ballot("org:1", DISAGREE, 2)], {"org:1": DISAGREE}),
    ([Ballot("org:1", DISAGREE, 2), Ballot("org:1", AGREE, 1)], {"org:1": DISAGREE}),
    ([Ballot("org:1", AGREE, 5), Ballot("org:2", BLOCK, 1), Ballot("org:2", AGREE, 3)],
     {"org:1": AGREE, "org:2": AGREE}),
])
def test_latest_votes_examples(ballots: list[Ballot], expected: dict[str, str]) -> None:
    assert latest_votes(ballots) == expected


# --- gaps found by mutation testing (rules/MUTANTS.md) -----------------------------------


@pytest.mark.parametrize("tallies", [proposal(disagree=2), proposal(abstain=1, disagree=1),
                                     proposal(abstain=3)])
def test_consensus_with_no_agree_fails_with_its_quorum_met(tallies: dict[str, int]) -> None:
    outcome = run(tallies, rule="consensus", electorate=3, quorum_pct=50)
    voted = sum(tallies.values())
    assert outcome == Outcome(False, None, True, f"No one agreed ({voted} of 3 voted).")


@pytest.mark.parametrize(("rule", "bar"), [("majority", "more than half"),
                                           ("supermajority", "at least two thirds")])
def test_a_tie_under_a_share_rule_in_a_choice_poll_names_the_tied_choices(
        rule: str, bar: str) -> None:
    outcome = run({"Saturday": 2, "Sunday": 2, "Monday": 0}, rule=rule, electorate=5,
                  proposal=False)
    assert outcome == Outcome(
        False, None, True,
        f"No choice has {bar} of the deciding votes: tie between Saturday, Sunday "
        "(4 of 5 voted).", tied=("Saturday", "Sunday"))


@pytest.mark.parametrize(("rule", "tallies", "summary"), [
    ("majority", {"Saturday": 2, "Sunday": 1}, "Saturday has 2 of 3 deciding votes, "
                                                "more than half (3 of 3 voted)."),
    ("supermajority", {"Saturday": 3, "Sunday": 2}, "Saturday has 3 of 5 deciding votes, "
                                                     "not at least two thirds (5 of 5 voted)."),
    ("plurality", {"Saturday": 1, "Sunday": 3}, "Sunday has the most votes: 3 (4 of 4 voted)."),
])
def test_choice_poll_summaries(rule: str, tallies: dict[str, int], summary: str) -> None:
    assert run(tallies, rule=rule, proposal=False).summary == summary


def test_a_plurality_win_of_a_proposal_passes_only_for_agree() -> None:
    assert run(proposal(agree=2, disagree=1), rule="plurality").passed is True
    assert run(proposal(agree=1, disagree=2), rule="plurality").passed is False
    assert run(proposal(agree=1, disagree=2), rule="plurality").winner == DISAGREE


def test_quorum_is_met_exactly_at_its_share() -> None:
    assert run(proposal(agree=1), rule="majority", electorate=2, quorum_pct=50).quorum_met
    assert not run(proposal(agree=1), rule="majority", electorate=3,
                   quorum_pct=34).quorum_met
    assert run(proposal(agree=1), rule="majority", electorate=3, quorum_pct=33).quorum_met


def test_count_adds_a_choice_it_was_not_given() -> None:
    assert count(("a",), {"org:1": "b", "org:2": "b"}) == {"a": 0, "b": 2}


def test_consensus_reached_is_a_pass_with_its_quorum_met() -> None:
    assert run(proposal(agree=2, abstain=1), rule="consensus", electorate=4,
               quorum_pct=50) == Outcome(True, AGREE, True, "Consensus reached (3 of 4 voted).")


def test_a_quorum_a_hair_above_the_turnout_is_not_met() -> None:
    assert not run(proposal(agree=2), rule="majority", electorate=3, quorum_pct=67).quorum_met
    assert run(proposal(agree=2), rule="majority", electorate=3, quorum_pct=66).quorum_met


@pytest.mark.parametrize(("tallies", "rule", "summary"), [
    ({AGREE: 2}, "consensus", "Consensus reached (2 of 2 voted)."),
    ({DISAGREE: 1}, "consensus", "No one agreed (1 of 1 voted)."),
    ({DISAGREE: 2}, "majority",
     "agree has 0 of 2 deciding votes, not more than half (2 of 2 voted)."),
    ({AGREE: 2}, "supermajority",
     "agree has 2 of 2 deciding votes, at least two thirds (2 of 2 voted)."),
])
def test_a_tally_without_some_choice_counts_it_as_zero(tallies: dict[str, int], rule: str,
                                                      summary: str) -> None:
    assert run(tallies, rule=rule).summary == summary
