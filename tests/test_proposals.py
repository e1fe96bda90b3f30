"""The life of a proposal: details, edit, withdraw, the written outcome, percentages and
choosing up to K choices, through the real bot on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers import Chat, snapshot

from coalition_bot.replies import Notice, Reply


def field(reply: Reply | Notice, name: str) -> str:
    values = [f.value for f in reply.fields if f.name == name]
    assert len(values) == 1, f"no single field {name!r} in {[f.name for f in reply.fields]}"
    return values[0]


def query(db_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


async def refused(chat: Chat, db_path: Path, user: str, line: str) -> str:
    before = snapshot(db_path)
    reply = await chat.say(user, line)
    assert reply.error, reply.text
    assert reply.private, reply.text
    assert snapshot(db_path) == before
    return reply.text


@pytest.fixture
async def two_orgs(coalition: Chat) -> Chat:
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    return coalition


async def test_details_go_with_the_poll_and_its_status(two_orgs: Chat) -> None:
    created = await two_orgs.ok("Alice", 'poll create Join the march? details:"Route: '
                                         'https://example.org/route"')
    assert field(created, "Details") == "Route: https://example.org/route"
    status = await two_orgs.ok("Bob", "poll status 1")
    assert field(status, "Details") == "Route: https://example.org/route"


async def test_edit_changes_question_and_details_quietly_before_anyone_votes(
        two_orgs: Chat) -> None:
    await two_orgs.ok("Alice", "poll create Join the march?")
    before = len(two_orgs.notices)
    await two_orgs.ok("Alice", 'poll edit 1 question:"Join the May Day march?" '
                               'details:"Starts 10:00"')
    status = await two_orgs.ok("Bob", "poll status 1")
    assert status.title == "Poll #1: Join the May Day march?"
    assert field(status, "Details") == "Starts 10:00"
    assert len(two_orgs.notices) == before


async def test_after_a_vote_only_the_details_change_and_it_is_announced(
        two_orgs: Chat, db_path: Path) -> None:
    await two_orgs.ok("Alice", "poll create Join the march?")
    await two_orgs.ok("Bob", "poll vote 1 agree")
    message = await refused(two_orgs, db_path, "Alice",
                            'poll edit 1 question:"Skip the march?"')
    assert message.startswith("1 vote(s) were cast on poll #1's question, so it can no "
                              "longer change")
    reply = await two_orgs.ok("Alice", 'poll edit 1 details:"We meet at the park"')
    assert "the home channel(s) are told" in reply.text
    notice = two_orgs.notices[-1]
    assert notice.title == "Poll #1: details changed"
    assert field(notice, "Details now") == "We meet at the park"
    assert "after 1 vote(s)" in notice.text


async def test_only_coordinators_edit_and_closed_polls_cannot_be(two_orgs: Chat,
                                                                 db_path: Path) -> None:
    await two_orgs.ok("Alice", "poll create Join the march?")
    assert "is for coordinators" in await refused(two_orgs, db_path, "Bob",
                                                  'poll edit 1 details:"x"')
    await two_orgs.ok("Alice", "poll close 1 confirm:yes")
    message = await refused(two_orgs, db_path, "Alice", 'poll edit 1 details:"x"')
    assert "it can no longer be edited" in message


async def test_a_withdrawn_poll_leaves_the_open_list_and_decides_nothing(
        two_orgs: Chat, db_path: Path) -> None:
    await two_orgs.ok("Alice", "poll create Join the march?")
    await two_orgs.ok("Bob", "poll vote 1 agree")
    reply = await two_orgs.ok("Alice", "poll withdraw 1 The city cancelled the march")
    assert reply.text.startswith("You withdrew poll #1: it takes no more votes (1 were cast)")
    notice = two_orgs.notices[-1]
    assert notice.title == "Poll #1 withdrawn"
    assert "Reason: The city cancelled the march" in notice.text
    assert "\nDecision log head: " in notice.text
    listed = await two_orgs.ok("Bob", "poll list")
    assert "#1" not in listed.text
    everything = await two_orgs.ok("Bob", "poll list all")
    assert "#1 [withdrawn] Join the march?" in everything.text
    status = await two_orgs.ok("Bob", "poll status 1")
    assert "Withdrawn" in status.text
    assert "Reason: The city cancelled the march" in status.text
    assert "Outcome" not in [f.name for f in status.fields]
    assert query(db_path, "SELECT count(*) FROM decision") == [(0,)]
    assert "takes no more votes" in await refused(two_orgs, db_path, "Dan",
                                                  "poll vote 1 agree")
    assert "already closed" in await refused(two_orgs, db_path, "Alice", "poll close 1 confirm:yes")
    log = json.loads((await two_orgs.ok("Bob", "coalition export log")).files[0].content)
    last = log["entries"][-1]
    assert (last["kind"], last["entry"]["poll"], last["entry"]["reason"],
            last["entry"]["votes"]) == ("poll-withdrawn", 1, "The city cancelled the march", 1)
    assert (await two_orgs.ok("Bob", "coalition log verify")).title == \
        "The decision log is intact"


async def test_the_written_outcome_is_posted_logged_and_exported(two_orgs: Chat,
                                                                 db_path: Path) -> None:
    await two_orgs.ok("Alice", "poll create Join the march?")
    await two_orgs.ok("Bob", "poll vote 1 agree")
    message = await refused(two_orgs, db_path, "Alice", "poll outcome 1 We march.")
    assert message.startswith("Poll #1 is still open")
    await two_orgs.ok("Alice", "poll close 1 confirm:yes")
    await two_orgs.ok("Alice", "poll outcome 1 We march. Tenants United brings the banner.")
    notice = two_orgs.notices[-1]
    assert notice.title == "Poll #1: the outcome"
    assert "Decided: passed. Written by Alice:\nWe march. Tenants United brings the " \
           "banner.\nDecision log head: " in notice.text
    log = await two_orgs.ok("Bob", "coalition log")
    assert "Written outcome: We march. Tenants United brings the banner." in \
        log.fields[0].value
    records = json.loads((await two_orgs.ok("Bob", "coalition export decisions json")
                          ).files[0].content)
    assert records[0]["statement"] == "We march. Tenants United brings the banner."
    await two_orgs.ok("Alice", "poll outcome 1 We march at 10.")
    assert "(replacing the earlier one)" in two_orgs.notices[-1].text
    status = await two_orgs.ok("Bob", "poll status 1")
    assert field(status, "Written outcome") == "We march at 10."
    chain = json.loads((await two_orgs.ok("Bob", "coalition export log")).files[0].content)
    assert [e["entry"]["text"] for e in chain["entries"] if e["kind"] == "poll-outcome"] == [
        "We march. Tenants United brings the banner.", "We march at 10."]
    query(db_path, "SELECT 1")  # the file is readable by anyone's sqlite3


async def test_tallies_show_each_choices_share_of_those_who_voted(coalition: Chat) -> None:
    await coalition.ok("Alice", 'coalition org add "Food Bank"')
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await coalition.ok("Alice", 'coalition rep add Erin "Food Bank"')
    await coalition.ok("Alice", "poll create Join the march?")
    await coalition.ok("Bob", "poll vote 1 agree")
    await coalition.ok("Dan", "poll vote 1 agree")
    await coalition.ok("Erin", "poll vote 1 abstain")
    status = await coalition.ok("Bob", "poll status 1")
    assert field(status, "Tally") == "agree: 2 (67%)\nabstain: 1 (33%)\ndisagree: 0 (0%)"
    await coalition.ok("Alice", "poll close 1 confirm:yes")
    assert field(coalition.notices[-1], "Tally") == field(status, "Tally")


async def test_pick_k_lets_each_organization_choose_up_to_k(coalition: Chat,
                                                            db_path: Path) -> None:
    await coalition.ok("Alice", 'coalition org add "Food Bank"')
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    created = await coalition.ok("Alice", 'poll create Which days? choices:"Sat|Sun|Mon" '
                                          "rule:plurality pick:2 quorum:100")
    assert "Each voter chooses up to 2 choices" in created.text
    await coalition.ok("Bob", "poll vote 1 Sat|Sun")
    await coalition.ok("Dan", "poll vote 1 sun|3")
    message = await refused(coalition, db_path, "Dan", "poll vote 1 Sat|Sun|Mon")
    assert message.startswith("Poll #1 lets you choose up to 2, not 3.")
    status = await coalition.ok("Alice", "poll status 1")
    # shares of the two organizations that voted: they add up to more than 100%
    assert field(status, "Tally") == "Sat: 1 (50%)\nSun: 2 (100%)\nMon: 1 (50%)"
    assert field(status, "Quorum").startswith("2 of 3 voted (67%)")  # voters, not votes
    assert field(status, "If it closed now").startswith("Quorum not met: 2 of 3 voted")


async def test_pick_k_wins_by_plurality_and_anonymous_ballots_count_each_choice(
        coalition: Chat) -> None:
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await coalition.ok("Alice", 'poll create Which days? choices:"Sat|Sun|Mon" '
                                "rule:plurality pick:2 anonymous:yes")
    await coalition.ok("Bob", "poll vote 1 Sat|Sun confirm:yes")
    await coalition.ok("Dan", "poll vote 1 Sun confirm:yes")
    await coalition.ok("Alice", "poll close 1 confirm:yes")
    notice = coalition.notices[-1]
    assert notice.title == "Poll #1 closed: Sun"
    assert field(notice, "Tally") == "Sat: 1 (50%)\nSun: 2 (100%)\nMon: 0 (0%)"
    assert "Sun has the most votes: 2 (2 of 2 voted)." in notice.text


@pytest.mark.parametrize(("line", "expected"), [
    ("poll create Go? pick:2", "pick: is for polls with choices"),
    ('poll create Day? choices:"Sat|Sun|Mon" pick:2', "only rule:plurality can count it"),
    ('poll create Day? choices:"Sat|Sun" rule:plurality pick:2', "must be less than"),
])
async def test_pick_k_is_refused_where_it_cannot_count(coalition: Chat, db_path: Path,
                                                       line: str, expected: str) -> None:
    assert expected in await refused(coalition, db_path, "Alice", line)


async def test_a_withdrawn_poll_is_not_counted_in_health(two_orgs: Chat) -> None:
    await two_orgs.ok("Alice", "poll create Join the march?")
    await two_orgs.ok("Alice", "poll withdraw 1")
    health = await two_orgs.ok("Alice", "coalition health")
    assert "Polls: none closed in the period that it could vote in." in health.fields[0].value
