"""Counting votes and deciding an outcome: one pure function per step, no I/O.

Rules (Loomio's proposal, with an electorate that may be organizations):

- majority: the leading choice (for a proposal: agree) has more than half of the
  non-abstaining votes;
- supermajority: it has at least two thirds of the non-abstaining votes;
- consensus (proposals only): quorum met, at least one agree, and no block;
- plurality: the choice with most votes wins; a tie is reported as a tie.

Quorum is the share of the electorate that voted (an abstention counts as voting);
below quorum nothing passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "ABSTAIN",
    "BLOCK",
    "PROPOSAL_CHOICES",
    "Ballot",
    "Outcome",
    "count",
    "count_picks",
    "decide",
    "latest_votes",
]

AGREE, ABSTAIN, DISAGREE, BLOCK = "agree", "abstain", "disagree", "block"
PROPOSAL_CHOICES = (AGREE, ABSTAIN, DISAGREE, BLOCK)


@dataclass(frozen=True, slots=True)
class Ballot:
    """One vote as cast: `seq` orders the casts (later wins), whatever the list order."""

    voter: str
    choice: str
    seq: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a count means. `passed` is True/False for a decision, None for a tie."""

    passed: bool | None
    winner: str | None
    quorum_met: bool
    summary: str
    tied: tuple[str, ...] = ()


def latest_votes(ballots: Iterable[Ballot]) -> dict[str, str]:
    """Each voter's latest choice (highest `seq`); earlier casts do not count."""
    latest: dict[str, Ballot] = {}
    for ballot in ballots:
        seen = latest.get(ballot.voter)
        if seen is None or ballot.seq > seen.seq:
            latest[ballot.voter] = ballot
    return {voter: b.choice for voter, b in latest.items()}


def count(choices: Sequence[str], votes: Mapping[str, str]) -> dict[str, int]:
    """Votes per choice, every choice present (zero if nobody chose it), in choice order."""
    tallies = dict.fromkeys(choices, 0)
    for choice in votes.values():
        tallies[choice] = tallies.get(choice, 0) + 1
    return tallies


def count_picks(choices: Sequence[str], picks: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Votes per choice when each voter may choose several (`pick:K`): every choice a
    voter chose gets one vote from them."""
    tallies = dict.fromkeys(choices, 0)
    for chosen in picks.values():
        for choice in chosen:
            tallies[choice] = tallies.get(choice, 0) + 1
    return tallies


def _leaders(tallies: Mapping[str, int]) -> list[str]:
    """The choices with the most votes (`tallies` holds at least one vote)."""
    top = max(tallies.values())
    return [c for c, n in tallies.items() if n == top]


def decide(tallies: Mapping[str, int], *, rule: str, electorate: int, quorum_pct: int,
           proposal: bool, voters: int | None = None) -> Outcome:
    """The outcome of a count under `rule` for an electorate of `electorate` voters.
    `voters`: how many voted, when a voter may give several votes (`count_picks`);
    otherwise every vote is one voter."""
    voted = sum(tallies.values()) if voters is None else voters
    quorum_met = electorate > 0 and Fraction(voted, electorate) * 100 >= quorum_pct
    turnout = f"{voted} of {electorate} voted"
    if not quorum_met:
        return Outcome(False, None, False,
                       f"Quorum not met: {turnout}, {quorum_pct}% needed.")
    deciding = {c: n for c, n in tallies.items() if c != ABSTAIN}
    considered = sum(deciding.values())
    if rule == "consensus":
        blocks = tallies.get(BLOCK, 0)
        if blocks > 0:
            return Outcome(False, None, True, f"Blocked by {blocks} ({turnout}).")
        if tallies.get(AGREE, 0) == 0:
            return Outcome(False, None, True, f"No one agreed ({turnout}).")
        return Outcome(True, AGREE, True, f"Consensus reached ({turnout}).")
    if considered == 0:
        return Outcome(False, None, True, f"Only abstentions ({turnout}).")
    leaders = _leaders(deciding)
    if rule == "plurality":
        if len(leaders) > 1:
            return Outcome(None, None, True,
                           f"Tie between {', '.join(leaders)} with {max(deciding.values())} "
                           f"each ({turnout}).", tied=tuple(leaders))
        winner = leaders[0]
        return Outcome(winner == AGREE if proposal else True, winner, True,
                       f"{winner} has the most votes: {deciding[winner]} ({turnout}).")
    bar = "more than half" if rule == "majority" else "at least two thirds"
    if not proposal and len(leaders) > 1:  # tied leaders have half or less each
        return Outcome(False, None, True,
                       f"No choice has {bar} of the deciding votes: tie between "
                       f"{', '.join(leaders)} ({turnout}).", tied=tuple(leaders))
    candidate = AGREE if proposal else leaders[0]
    votes = deciding.get(candidate, 0)
    share = Fraction(votes, considered)
    if share > Fraction(1, 2) if rule == "majority" else share >= Fraction(2, 3):
        return Outcome(True, candidate, True,
                       f"{candidate} has {votes} of {considered} deciding votes, "
                       f"{bar} ({turnout}).")
    return Outcome(False, None, True,
                   f"{candidate} has {votes} of {considered} deciding votes, not {bar} "
                   f"({turnout}).")
