"""Fairness and privacy: anonymous tallies, fixed electorates, reachable coordinators,
joint decisions that one coordinator cannot quietly undo, blocks, observers.

Everything runs through the real bot on a real SQLite file (the `Chat` front door).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import Chat, field, query, refused_without_change, snapshot, text_of

from coalition_bot.replies import Invocation

CODE = re.compile(r"`([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})`")


@pytest.fixture
async def three_orgs(coalition: Chat) -> Chat:
    """The coalition plus Dan (Climate Now's representative) and a third organization."""
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await coalition.ok("Alice", 'coalition org add "Food Bank"')
    await coalition.ok("Alice", 'coalition rep add Erin "Food Bank"')
    return coalition


# --- 1. anonymous polls show no live tally ------------------------------------------------


async def test_an_open_anonymous_poll_never_shows_a_tally_beside_who_voted(
        three_orgs: Chat) -> None:
    created = await three_orgs.ok("Alice", 'poll create Which? choices:"Kestrel|Osprey" '
                                           "anonymous:yes results:live")
    assert "the tally is shown only when the poll closes" in created.text
    await three_orgs.ok("Bob", "poll vote 1 Kestrel confirm:yes")
    first = await three_orgs.ok("Alice", "poll status 1")
    await three_orgs.ok("Dan", "poll vote 1 Osprey confirm:yes")
    second = await three_orgs.ok("Alice", "poll status 1")
    for status in (first, second):
        assert field(status, "Tally").startswith("shown when the poll closes")
        assert "Kestrel:" not in text_of(status)
        assert "Osprey:" not in text_of(status)
        assert "If it closed now" not in [f.name for f in status.fields]
    assert field(second, "Voted").splitlines() == ["Tenants United (by Bob)",
                                                   "Climate Now (by Dan)"]
    await three_orgs.ok("Alice", "poll close 1 confirm:yes")
    closed = await three_orgs.ok("Alice", "poll status 1")
    assert field(closed, "Tally") == "Kestrel: 1 (50%)\nOsprey: 1 (50%)"


# --- 6. observers ---------------------------------------------------------------------------


async def test_a_representative_of_an_observer_is_not_told_they_can_vote(
        three_orgs: Chat) -> None:
    await three_orgs.ok("Alice", 'coalition org add "City Library" observer:yes')
    reply = await three_orgs.ok("Alice", 'coalition rep add Olga "City Library"')
    assert "can vote" not in reply.text
    assert reply.text == ("Olga now represents City Library, an observer organization: it "
                          "takes part in the coalition but does not vote in its polls.")
    voting = await three_orgs.ok("Alice", 'coalition rep add Olga "Food Bank"')
    assert voting.text == "Olga now represents Food Bank and can vote for it."


# --- 2. a poll's electorate is fixed when it opens ---------------------------------------


async def test_someone_new_using_the_bot_does_not_grow_an_open_member_polls_quorum(
        three_orgs: Chat, db_path: Path) -> None:
    await three_orgs.ok("Alice", "poll create Pizza? electorate:members")
    await three_orgs.ok("Bob", "poll vote 1 agree")
    await three_orgs.ok("Dan", "poll vote 1 agree")
    before = field(await three_orgs.ok("Alice", "poll status 1"), "Quorum")
    assert before.startswith("2 of 4 voted")  # Alice, Bob, Dan, Erin
    await three_orgs.ok("Zed", "coalition info")  # first sight of Zed, mid-poll
    status = await three_orgs.ok("Alice", "poll status 1")
    assert field(status, "Quorum") == before
    assert "Zed" not in field(status, "Not voted")
    message = await refused_without_change(three_orgs, db_path, "Zed", "poll vote 1 agree")
    assert message.startswith("You are not in the electorate of member poll #1")
    await three_orgs.ok("Alice", "poll create Again? electorate:members")
    assert field(await three_orgs.ok("Zed", "poll status 2"),
                 "Quorum").startswith("0 of 5 voted")  # the next poll counts Zed


async def test_an_organization_added_mid_poll_waits_for_the_next_poll(
        three_orgs: Chat, db_path: Path) -> None:
    await three_orgs.ok("Alice", "poll create Go? quorum:100")
    await three_orgs.ok("Alice", 'coalition org add "Bike Club"')
    await three_orgs.ok("Alice", 'coalition rep add Gus "Bike Club"')
    status = await three_orgs.ok("Alice", "poll status 1")
    assert field(status, "Quorum").startswith("0 of 3 voted")
    message = await refused_without_change(three_orgs, db_path, "Gus", "poll vote 1 agree")
    assert message.startswith("Bike Club was not a voting partner when poll #1 opened")
    await three_orgs.ok("Alice", "poll create Again?")
    await three_orgs.ok("Gus", "poll vote 2 agree")


async def test_a_coordinator_removes_a_person_who_left_from_open_member_polls(
        three_orgs: Chat, db_path: Path) -> None:
    await three_orgs.ok("Eve", "coalition info")
    await three_orgs.ok("Alice", "poll create Pizza? electorate:members quorum:100")
    await three_orgs.ok("Alice", "poll create Pasta? electorate:members")
    await three_orgs.ok("Eve", "poll vote 2 agree")  # Eve voted in #2, not in #1
    assert field(await three_orgs.ok("Alice", "poll status 1"),
                 "Quorum").startswith("0 of 5 voted")
    removed = await three_orgs.ok("Alice", "coalition member remove Eve")
    assert removed.title == "Eve removed"
    assert "Taken out of 1 open poll(s) Eve had not voted in" in removed.text
    first = await three_orgs.ok("Alice", "poll status 1")
    assert field(first, "Quorum").startswith("0 of 4 voted")
    assert "Eve" not in field(first, "Not voted")
    second = await three_orgs.ok("Alice", "poll status 2")
    assert field(second, "Quorum").startswith("1 of 5 voted")  # her vote stays counted
    await three_orgs.ok("Alice", "coalition member remove Erin")  # a representative
    assert "Erin" not in text_of(await three_orgs.ok("Alice", "coalition org list"))
    await three_orgs.ok("Alice", "poll create Later? electorate:members")
    assert field(await three_orgs.ok("Alice", "poll status 3"),
                 "Quorum").startswith("0 of 3 voted")  # Alice, Bob, Dan
    await three_orgs.ok("Eve", "coalition info")  # Eve is back: a member again
    message = await refused_without_change(three_orgs, db_path, "Eve", "poll vote 1 agree")
    assert message.startswith("You are not in the electorate of member poll #1")
    await three_orgs.ok("Alice", "poll create Even later? electorate:members")
    assert field(await three_orgs.ok("Alice", "poll status 4"),
                 "Quorum").startswith("0 of 4 voted")
    assert query(db_path, "SELECT left_at FROM person WHERE display_name = 'Eve'") == [(None,)]


async def test_removing_a_person_is_for_coordinators(three_orgs: Chat, db_path: Path) -> None:
    message = await refused_without_change(three_orgs, db_path, "Bob",
                                           "coalition member remove Dan")
    assert "is for coordinators" in message


# --- 3. every workspace keeps a coordinator who can act there ----------------------------

DISCORD_ERIN = "323456789012345678"


async def _with_discord(coalition: Chat) -> Invocation:
    """The coalition connected to a Discord server by Erin (its coordinator there); an
    invocation from that server, as the Discord adapter builds it."""
    code = CODE.search((await coalition.ok("Alice", "coalition link")).text)[1]
    discord = Invocation(platform="discord", workspace_id="123456789012345678",
                         channel_id="223456789012345678", user_id=DISCORD_ERIN,
                         user_name="Erin", line=f"coalition connect {code}")
    assert not (await coalition.bot.handle(discord)).error
    return discord


async def test_the_last_coordinator_of_a_workspace_cannot_step_down(
        coalition: Chat, db_path: Path) -> None:
    discord = await _with_discord(coalition)
    workspaces = await coalition.bot.handle(replace(discord, line="coalition workspaces"))
    console = next(f.name for f in workspaces.fields if "console" in f.name)
    await coalition.bot.handle(replace(discord, line=f"coalition disconnect {console[:2]}"))
    assert query(db_path, "SELECT platform FROM binding") == [("discord",)]
    # Alice (console) is still a coordinator but can reach the coalition from nowhere
    await coalition.bot.drain()  # the disconnect notice is out before the snapshot
    before = snapshot(db_path)
    step_down = await coalition.bot.handle(replace(
        discord, line=f"coalition coordinator remove <@{DISCORD_ERIN}> confirm:yes",
        user_names={DISCORD_ERIN: "Erin"}))
    assert step_down.error
    assert step_down.private
    assert step_down.text.startswith("Erin is the last coordinator on Discord;")
    assert snapshot(db_path) == before
    # removing the unreachable one is fine: Erin still coordinates
    removed = await coalition.bot.handle(replace(discord, line="coalition coordinator remove "
                                                               "Alice confirm:yes"))
    assert not removed.error, removed.text


async def test_no_workspace_loses_its_last_coordinator_while_bound(
        coalition: Chat, db_path: Path) -> None:
    discord = await _with_discord(coalition)
    await coalition.bot.drain()  # the connect notice is out before the snapshot
    before = snapshot(db_path)
    for line in ("coalition coordinator remove Alice confirm:yes",
                 "coalition member remove Alice"):
        refused = await coalition.bot.handle(replace(discord, line=line))  # from Discord
        assert refused.error, refused.text
        assert refused.text.startswith(
            "Alice is the last coordinator on the console;"), refused.text
    message = await refused_without_change(coalition, db_path, "Alice",
                                           "coalition coordinator remove Alice confirm:yes")
    assert message.startswith("Alice is the last coordinator on the console;")
    assert snapshot(db_path) == before
    await coalition.ok("Alice", "coalition coordinator add Carol")
    await coalition.ok("Alice", "coalition coordinator remove Alice confirm:yes")  # may go now


# --- 5. blocks are announced, named, and offered only where they weigh ------------------


async def test_a_block_is_announced_when_cast_and_named_with_its_reason_at_the_close(
        three_orgs: Chat) -> None:
    await three_orgs.ok("Alice", "poll create March? rule:consensus")
    await three_orgs.ok("Bob", "poll vote 1 agree")
    three_orgs.outlet.posted.clear()
    await three_orgs.ok("Dan", "poll vote 1 block Not without a safety plan")
    (notice,) = three_orgs.notices
    assert notice.title == "Poll #1: Climate Now blocks"
    assert "Reason: Not without a safety plan" in notice.text
    await three_orgs.ok("Dan", "poll vote 1 block Still no safety plan")  # no second notice
    await three_orgs.ok("Erin", "poll vote 1 block")
    assert [n.title for n in three_orgs.notices] == ["Poll #1: Climate Now blocks",
                                                   "Poll #1: Food Bank blocks"]
    await three_orgs.ok("Erin", "poll vote 1 agree")
    assert three_orgs.notices[-1].title == "Poll #1: Food Bank withdrew the block"
    await three_orgs.ok("Erin", "poll vote 1 block")
    await three_orgs.ok("Alice", "poll close 1 confirm:yes")
    closed = three_orgs.notices[-1]
    assert closed.title == "Poll #1 closed: failed"
    assert ("Blocked by Climate Now: Still no safety plan; Food Bank (no reason given) "
            "(3 of 3 voted).") in closed.text
    log = await three_orgs.ok("Alice", "coalition log")
    assert "Blocked by Climate Now: Still no safety plan" in text_of(log)


async def test_an_anonymous_block_is_counted_but_never_tied_to_a_voter(
        three_orgs: Chat) -> None:
    await three_orgs.ok("Alice", "poll create March? rule:consensus anonymous:yes")
    three_orgs.outlet.posted.clear()
    await three_orgs.ok("Dan", "poll vote 1 block confirm:yes")
    await three_orgs.ok("Bob", "poll vote 1 agree confirm:yes")
    assert three_orgs.notices == []  # the timing would tell whose block it was
    await three_orgs.ok("Alice", "poll close 1 confirm:yes")
    text = three_orgs.notices[-1].text
    assert "Blocked: 1 block(s); the poll is anonymous, so who blocked is not recorded" in text
    assert "Climate Now" not in text


async def test_block_is_offered_only_under_consensus_and_elsewhere_counts_as_disagree(
        three_orgs: Chat, db_path: Path) -> None:
    majority = await three_orgs.ok("Alice", "poll create March?")
    assert [b.label for b in majority.buttons] == ["agree", "abstain", "disagree"]
    consensus = await three_orgs.ok("Alice", "poll create Rally? rule:consensus")
    assert [b.label for b in consensus.buttons] == ["agree", "abstain", "disagree", "block"]
    three_orgs.outlet.posted.clear()
    reply = await three_orgs.ok("Dan", "poll vote 1 block")
    assert reply.text.startswith("Recorded Climate Now's vote on poll #1: disagree. Poll #1 "
                                 "is decided by majority, where a block has no special "
                                 "weight: it was recorded as disagree.")
    assert query(db_path, "SELECT choice FROM vote") == [("disagree",)]
    assert three_orgs.notices == []
    status = await three_orgs.ok("Alice", "poll status 1")
    assert field(status, "Tally") == "agree: 0 (0%)\nabstain: 0 (0%)\ndisagree: 1 (100%)"


# --- 4. what three_orgs decided together is undone together, or at least in the open -------


async def _adopt_by_poll(three_orgs: Chat, line: str) -> None:
    await three_orgs.ok("Bob", line)
    await three_orgs.ok("Bob", "poll vote 1 agree")
    await three_orgs.ok("Dan", "poll vote 1 agree")
    await three_orgs.ok("Erin", "poll vote 1 agree")
    await three_orgs.ok("Alice", "poll close 1 confirm:yes")


async def test_partners_take_a_topic_off_the_list_by_a_consensus_poll(
        three_orgs: Chat, db_path: Path) -> None:
    await _adopt_by_poll(three_orgs, "topic propose pipeline")
    proposed = await three_orgs.ok("Dan", "topic propose-remove PIPELINE")
    assert proposed.title == "Poll #2: Take “pipeline” off the coalition's off-limits topics?"
    assert "Partner organizations decide, rule consensus" in proposed.text
    assert [b.label for b in proposed.buttons][-1] == "block"
    for user in ("Bob", "Dan", "Erin"):
        await three_orgs.ok(user, "poll vote 2 agree")
    assert "“pipeline”" in text_of(await three_orgs.ok("Eve", "topic list"))  # not yet
    await three_orgs.ok("Alice", "poll close 2 confirm:yes")
    closed = three_orgs.notices[-1]
    assert closed.title == "Poll #2 closed: passed"
    assert "“pipeline” is no longer an off-limits topic." in closed.text
    assert (await three_orgs.ok("Eve", "topic list")).text == "None agreed yet."
    message = await refused_without_change(three_orgs, db_path, "Dan",
                                           "topic propose-remove pipeline")
    assert message.startswith("“pipeline” is not an off-limits topic here.")


async def test_a_failed_removal_poll_keeps_the_topic(three_orgs: Chat) -> None:
    await _adopt_by_poll(three_orgs, "topic propose pipeline")
    await three_orgs.ok("Dan", "topic propose-remove pipeline")
    await three_orgs.ok("Bob", "poll vote 2 agree")
    await three_orgs.ok("Erin", "poll vote 2 block We agreed on this")
    await three_orgs.ok("Alice", "poll close 2 confirm:yes")
    assert "no longer" not in three_orgs.notices[-1].text
    assert "“pipeline”" in text_of(await three_orgs.ok("Eve", "topic list"))


async def test_removing_a_topic_partners_adopted_by_poll_is_announced_and_logged(
        three_orgs: Chat) -> None:
    await _adopt_by_poll(three_orgs, "topic propose pipeline")
    three_orgs.outlet.posted.clear()
    reply = await three_orgs.ok("Alice", "topic remove pipeline")
    assert "let them decide with `/topic propose-remove`" in reply.text
    (notice,) = three_orgs.notices
    assert notice.title == "Off-limits topic removed: “pipeline”"
    assert notice.text.startswith("Off-limits topic removed by Alice, without a poll. Partners "
                                  "adopted it together by poll #1 (decision #1).")
    log = text_of(await three_orgs.ok("Eve", "coalition log"))
    assert "Partners adopted it together by poll #1 (decision #1)." in log


async def test_an_organization_leaving_is_announced_and_logged(three_orgs: Chat) -> None:
    three_orgs.outlet.posted.clear()
    await three_orgs.ok("Alice", 'coalition org remove "Food Bank" confirm:yes')
    (notice,) = three_orgs.notices
    assert notice.title == "Food Bank left the coalition"
    assert "Recorded by Alice" in notice.text
    log = await three_orgs.ok("Eve", "coalition log")
    assert any(f.name.startswith("#1 Food Bank leaves the coalition") for f in log.fields)
