"""Decision polls through the real bot and a real SQLite file: votes, closes, the log."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
from db_access import connect, tables
from helpers import Chat, MovableClock, RecordingOutlet, snapshot, text_of

from coalition_bot.bot import Bot
from coalition_bot.replies import Invocation, Notice, Reply
from coalition_bot.services.people import console_user_id

BROADCASTS = ("@everyone", "@here", "@channel", "<!channel>", "<!here>", "<!everyone>")


pytestmark = pytest.mark.both_backends

def field(reply: Reply | Notice, name: str) -> str:
    """The value of the field called `name` (fails when there is not exactly one)."""
    values = [f.value for f in reply.fields if f.name == name]
    assert len(values) == 1, f"no single field {name!r} in {[f.name for f in reply.fields]}"
    return values[0]


def field_names(reply: Reply | Notice) -> list[str]:
    return [f.name for f in reply.fields]


def query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with connect(db_path) as conn:
        return conn.execute(sql, params).fetchall()


def vote_rows(db_path: Path, number: int = 1) -> list[tuple]:
    """(voter, org name, cast by, choice, reason, changes) of poll `number`, by voter."""
    return query(db_path, """
        SELECT v.voter, o.name, p.display_name, v.choice, v.reason, v.changes
        FROM vote v JOIN poll ON poll.id = v.poll_id
        JOIN person p ON p.id = v.cast_by LEFT JOIN org o ON o.id = v.org_id
        WHERE poll.number = ? ORDER BY v.voter""", (number,))


def poll_row(db_path: Path, number: int = 1) -> dict:
    with connect(db_path) as conn:
        conn.row_factory = sqlite3.Row  # (PostgreSQL: rows by name too)
        row = conn.execute("SELECT * FROM poll WHERE number = ?", (number,)).fetchone()
        return dict(row)


def decisions(db_path: Path) -> list[dict]:
    with connect(db_path) as conn:
        conn.row_factory = sqlite3.Row  # (PostgreSQL: rows by name too)
        return [dict(r) for r in conn.execute("SELECT * FROM decision ORDER BY number")]


async def error(chat: Chat, user: str, line: str, **kwargs: str) -> str:
    """Say a line that must fail; its message."""
    reply = await chat.say(user, line, **kwargs)
    assert reply.error, f"{line!r} should have failed but said: {text_of(reply)}"
    assert reply.private
    return reply.text


async def refused_without_change(chat: Chat, db_path: Path, user: str, line: str) -> str:
    """Say a line that must fail and leave every table as it was; its message."""
    before = snapshot(db_path)
    message = await error(chat, user, line)
    assert snapshot(db_path) == before
    return message


@pytest.fixture
async def two_reps(coalition: Chat) -> Chat:
    """The coalition plus Carol (Tenants United's second rep) and Dan (Climate Now)."""
    await coalition.ok("Alice", 'coalition rep add Carol "Tenants United"')
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    return coalition


# --- create ------------------------------------------------------------------------------


async def test_create_defaults_to_an_org_majority_poll_closing_in_three_days_local(
        coalition: Chat, db_path: Path) -> None:
    reply = await coalition.ok("Alice", "poll create Join the May Day march?")
    assert reply.title == "Poll #1: Join the May Day march?"
    assert not reply.private
    assert reply.text.splitlines()[:2] == [
        "Rule: more than half of the deciding votes; one vote per organization; quorum 50%.",
        # 15:00 UTC on Mon 23 Nov is 10:00 in New York; three days later
        "Closes Thu 26 Nov 2026, 10:00 (America/New_York).",
    ]
    assert [(b.label, b.command) for b in reply.buttons] == [
        ("agree", "poll vote 1 agree"), ("abstain", "poll vote 1 abstain"),
        ("disagree", "poll vote 1 disagree")]  # block weighs only under consensus
    row = poll_row(db_path)
    assert (row["electorate"], row["rule"], row["quorum_pct"], row["anonymous"],
            row["results"], row["status"], row["proposal"]) == (
        "orgs", "majority", 50, 0, "live", "open", 1)
    assert row["closes_at"] == "2026-11-26T15:00:00+00:00"
    assert json.loads(row["choices"]) == ["agree", "abstain", "disagree"]


async def test_quotation_marks_inside_a_question_are_kept(coalition: Chat,
                                                          db_path: Path) -> None:
    reply = await coalition.ok("Alice", 'poll create Sign on to the "Homes for All" letter?')
    assert reply.title == 'Poll #1: Sign on to the "Homes for All" letter?'
    assert poll_row(db_path)["question"] == 'Sign on to the "Homes for All" letter?'


async def test_a_misspelled_option_in_a_vote_reason_is_refused_not_kept_as_text(
        two_reps: Chat, db_path: Path) -> None:
    await two_reps.ok("Alice", 'coalition org add "Dock Workers"')
    await two_reps.ok("Alice", 'coalition rep add Bob "Dock Workers"')
    await two_reps.ok("Alice", "poll create Join the march?")
    message = await refused_without_change(two_reps, db_path, "Bob",
                                           'poll vote #1 agree orgg:"Dock Workers"')
    assert message.startswith(
        "`/poll vote #N CHOICE` has no option `orgg`. Did you mean `org:`?")
    await two_reps.ok("Bob", 'poll vote #1 agree Reason: we said so org:"Dock Workers"')
    assert [r[4] for r in vote_rows(db_path)] == ["Reason: we said so"]


async def test_an_unknown_option_is_refused_naming_the_options_not_made_the_question(
        coalition: Chat, db_path: Path) -> None:
    """`options:` for `choices:` would otherwise make the whole line the question."""
    message = await refused_without_change(coalition, db_path, "Alice",
                                           'poll create "Lunch?" options:"yes,no"')
    assert message.startswith("`/poll create QUESTION` has no option `options`.")
    assert "It takes `question:`, `choices:`, `electorate:`" in message
    reply = await coalition.say("Alice", 'poll create "Lunch?" options:"yes,no"')
    assert reply.private
    assert "double quotes" in text_of(reply)
    # a colon and a space, a quoted colon, a web address: still the question
    for line, question in [("poll create Budget: approve the plan?",
                            "Budget: approve the plan?"),
                           ('poll create "options:yes"', "options:yes"),
                           ("poll create Read https://x.org/a?b=c:d first?",
                            "Read https://x.org/a?b=c:d first?")]:
        await coalition.ok("Alice", line)
        assert query(db_path, "SELECT question FROM poll ORDER BY id DESC LIMIT 1") \
            == [(question,)]


async def test_only_coordinators_create_polls(coalition: Chat, db_path: Path) -> None:
    message = await refused_without_change(coalition, db_path, "Bob", "poll create Go?")
    assert "`/poll create` is for coordinators; you are a representative here." in message
    assert query(db_path, "SELECT count(*) FROM poll") == [(0,)]


async def test_a_vote_button_runs_the_vote_it_shows(coalition: Chat, db_path: Path) -> None:
    reply = await coalition.ok("Alice", 'poll create When? choices:"Sat night|Sunday"')
    assert [b.command for b in reply.buttons] == ['poll vote 1 "Sat night"',
                                                  "poll vote 1 Sunday"]
    await coalition.ok("Bob", reply.buttons[0].command)
    assert [r[3] for r in vote_rows(db_path)] == ["Sat night"]


# --- org polls ---------------------------------------------------------------------------


async def test_a_second_representative_overrides_the_first_for_their_organization(
        two_reps: Chat, db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Go?")
    first = await two_reps.ok("Bob", "poll vote 1 agree")
    assert first.private
    assert first.text.startswith("Recorded Tenants United's vote on poll #1: agree.")
    second = await two_reps.ok("Carol", "poll vote #1 disagree")
    assert second.text.startswith(
        "Changed Tenants United's vote on poll #1 from agree to disagree.")
    status = await two_reps.ok("Dan", "poll status 1")
    assert field(status, "Voted") == "Tenants United: disagree (by Carol)"
    assert field(status, "Tally") == "agree: 0 (0%)\nabstain: 0 (0%)\ndisagree: 1 (100%)"
    assert field(status, "Not voted") == "Climate Now"
    assert field(status, "Quorum") == "1 of 2 voted (50%); 50% needed: met"
    assert vote_rows(db_path) == [("org:1", "Tenants United", "Carol", "disagree", None, 1)]


async def test_a_non_representative_cannot_vote_in_an_org_poll(two_reps: Chat,
                                                               db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Go?")
    await two_reps.ok("Eve", "coalition info")  # Eve is a member, representing nobody
    message = await refused_without_change(two_reps, db_path, "Eve", "poll vote 1 agree")
    assert message.startswith("Poll #1 is an organization poll: only representatives of "
                              "partner organizations vote, one vote per organization.")
    # a coordinator who represents no organization has no vote either
    await refused_without_change(two_reps, db_path, "Alice", "poll vote 1 agree")
    assert vote_rows(db_path) == []


async def test_a_representative_of_two_organizations_must_say_which_one(
        coalition: Chat, db_path: Path) -> None:
    await coalition.ok("Alice", 'coalition rep add Bob "Climate Now"')
    await coalition.ok("Alice", "poll create Go?")
    message = await refused_without_change(coalition, db_path, "Bob", "poll vote 1 agree")
    assert message.startswith("You represent Tenants United, Climate Now. Say which one "
                              "this vote is for.")
    assert 'org:"Tenants United"' in message
    reply = await coalition.ok("Bob", 'poll vote 1 agree org:"climate now"')
    assert reply.text.startswith("Recorded Climate Now's vote on poll #1: agree.")
    await coalition.ok("Bob", "poll vote 1 disagree org:#1")
    assert vote_rows(db_path) == [("org:1", "Tenants United", "Bob", "disagree", None, 0),
                                  ("org:2", "Climate Now", "Bob", "agree", None, 0)]


async def test_a_representative_cannot_vote_for_an_organization_they_do_not_represent(
        two_reps: Chat, db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Go?")
    message = await refused_without_change(two_reps, db_path, "Bob",
                                           'poll vote 1 agree org:"Climate Now"')
    assert message.startswith("You are not a representative of Climate Now.")


async def test_observer_organizations_neither_vote_nor_count_for_quorum(
        two_reps: Chat, db_path: Path) -> None:
    await two_reps.ok("Alice", 'coalition org add "City Council" yes')
    await two_reps.ok("Alice", 'coalition rep add Olga "City Council"')
    await two_reps.ok("Alice", "poll create Go? quorum:100")
    status = await two_reps.ok("Olga", "poll status 1")
    assert field(status, "Not voted") == "Tenants United, Climate Now"
    assert field(status, "Quorum") == "0 of 2 voted (0%); 100% needed: not met"
    for line in ("poll vote 1 agree", 'poll vote 1 agree org:"City Council"'):
        message = await refused_without_change(two_reps, db_path, "Olga", line)
        assert message == ("City Council is an observer organization: it takes part but "
                           "does not vote.")
    await two_reps.ok("Bob", "poll vote 1 agree")
    await two_reps.ok("Dan", "poll vote 1 agree")
    status = await two_reps.ok("Olga", "poll status 1")
    assert field(status, "Quorum") == "2 of 2 voted (100%); 100% needed: met"
    closed = await two_reps.ok("Alice", "poll close 1 confirm:yes")
    assert closed.text.startswith("You closed poll #1: passed.")
    assert decisions(db_path)[0]["electorate"] == 2


# --- member polls ------------------------------------------------------------------------


async def test_member_polls_give_each_member_one_vote_they_can_change(
        two_reps: Chat, db_path: Path) -> None:
    await two_reps.ok("Eve", "coalition info")  # a member who represents nobody
    await two_reps.ok("Alice", 'poll create Pizza? choices:"Margherita|Funghi" '
                               "electorate:members")
    first = await two_reps.ok("Eve", "poll vote 1 margherita")
    assert first.text.startswith("Recorded your vote on poll #1: Margherita.")
    changed = await two_reps.ok("Eve", "poll vote 1 2")
    assert changed.text.startswith("Changed your vote on poll #1 from Margherita to Funghi.")
    await two_reps.ok("Bob", "poll vote 1 Funghi")
    await two_reps.ok("Carol", "poll vote 1 Margherita")  # same org as Bob: still a vote
    status = await two_reps.ok("Alice", "poll status 1")
    assert "one vote per member" in status.text
    assert field(status, "Tally") == "Margherita: 1 (33%)\nFunghi: 2 (67%)"
    voted = field(status, "Voted").splitlines()
    assert sorted(voted) == ["Bob: Funghi", "Carol: Margherita", "Eve: Funghi"]
    assert field(status, "Not voted") == "Alice, Dan"
    rows = vote_rows(db_path)
    assert [(r[2], r[3], r[5]) for r in rows] == [
        ("Bob", "Funghi", 0), ("Carol", "Margherita", 0), ("Eve", "Funghi", 1)]
    assert all(r[0].startswith("person:") and r[1] is None for r in rows)


async def test_org_option_does_not_apply_to_member_polls(two_reps: Chat,
                                                         db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Go? electorate:members")
    message = await refused_without_change(two_reps, db_path, "Bob",
                                           'poll vote 1 agree org:"Tenants United"')
    assert "is a member poll" in message


# --- choices, reasons --------------------------------------------------------------------


@pytest.mark.parametrize("typed, stored", [
    ("sunday", "Sunday"), ("SATURDAY", "Saturday"), ("1", "Saturday"),
    ("2", "Sunday"), ('"  sunday "', "Sunday"),
])
async def test_choices_are_matched_by_name_in_any_case_or_by_number(
        coalition: Chat, db_path: Path, typed: str, stored: str | None) -> None:
    await coalition.ok("Alice", 'poll create When? choices:"Saturday|Sunday"')
    reply = await coalition.say("Bob", f"poll vote 1 {typed}")
    if stored is None:
        assert reply.error
        assert vote_rows(db_path) == []
    else:
        assert not reply.error, reply.text
        assert [r[3] for r in vote_rows(db_path)] == [stored]


@pytest.mark.parametrize("typed, stored", [
    ("yes", "agree"), ("Y", "agree"), ("no", "disagree"), ("N", "disagree"),
    ("Block", "disagree"), ("3", "disagree"),  # a majority poll: a block counts as no
])
async def test_proposals_take_yes_and_no(coalition: Chat, db_path: Path, typed: str,
                                         stored: str) -> None:
    await coalition.ok("Alice", "poll create Go?")
    await coalition.ok("Bob", f"poll vote 1 {typed}")
    assert [r[3] for r in vote_rows(db_path)] == [stored]


async def test_yes_is_not_a_choice_of_a_poll_with_its_own_choices(coalition: Chat,
                                                                  db_path: Path) -> None:
    await coalition.ok("Alice", 'poll create When? choices:"Saturday|Sunday"')
    message = await refused_without_change(coalition, db_path, "Bob", "poll vote 1 yes")
    assert message == "`yes` is not a choice in poll #1.\nChoices: Saturday, Sunday."


async def test_a_bad_choice_is_refused_with_the_list_of_choices(coalition: Chat,
                                                                db_path: Path) -> None:
    await coalition.ok("Alice", "poll create Go?")
    for bad in ("maybe", "5", "0"):
        message = await refused_without_change(coalition, db_path, "Bob",
                                               f"poll vote 1 {bad}")
        assert message == (f"`{bad}` is not a choice in poll #1.\n"
                           "Choices: agree, abstain, disagree.")


async def test_reasons_are_shown_in_the_status(two_reps: Chat) -> None:
    await two_reps.ok("Alice", "poll create Go?")
    await two_reps.ok("Bob", "poll vote 1 agree We can bring 20 people")
    await two_reps.ok("Dan", 'poll vote 1 disagree reason:"Too soon"')
    status = await two_reps.ok("Alice", "poll status 1")
    assert sorted(field(status, "Voted").splitlines()) == [
        "Climate Now: disagree (by Dan) (Too soon)",
        "Tenants United: agree (by Bob) (We can bring 20 people)",
    ]


async def test_hidden_results_show_who_voted_but_no_tally_until_the_close(
        two_reps: Chat) -> None:
    await two_reps.ok("Alice", "poll create Go? results:hidden rule:consensus")
    await two_reps.ok("Bob", "poll vote 1 block Not now")
    status = await two_reps.ok("Dan", "poll status 1")
    body = text_of(status)
    assert field(status, "Voted") == "Tenants United (by Bob)"
    assert field(status, "Not voted") == "Climate Now"
    assert "Tally" not in field_names(status)
    assert "If it closed now" not in field_names(status)
    assert "block:" not in body
    assert "Not now" not in body
    await two_reps.ok("Alice", "poll close 1 confirm:yes")
    closed = await two_reps.ok("Dan", "poll status 1")
    assert field(closed, "Voted") == "Tenants United: block (by Bob) (Not now)"
    assert "block: 1" in field(closed, "Tally")


# --- time --------------------------------------------------------------------------------


async def test_votes_after_the_closing_time_are_refused_before_anything_closed_the_poll(
        two_reps: Chat, clock: MovableClock, db_path: Path) -> None:
    # 12:00 in New York is 17:00 UTC, two hours after the clock's start
    await two_reps.ok("Alice", 'poll create Go? closes:"2026-11-23 12:00"')
    clock.advance(hours=1, minutes=59)
    await two_reps.ok("Bob", "poll vote 1 agree")
    clock.advance(minutes=1)  # exactly the closing time: too late
    message = await refused_without_change(two_reps, db_path, "Dan", "poll vote 1 agree")
    assert message == ("Poll #1 closed on Mon 23 Nov 2026, 12:00 (America/New_York); it "
                       "takes no more votes.\nSee the result with `/poll status #1`.")
    clock.advance(hours=5)
    await refused_without_change(two_reps, db_path, "Bob", "poll vote 1 disagree")
    assert poll_row(db_path)["status"] == "open"  # nothing has closed it
    assert vote_rows(db_path) == [("org:1", "Tenants United", "Bob", "agree", None, 0)]
    status = await two_reps.ok("Bob", "poll status 1")
    assert status.text.startswith("Closed Mon 23 Nov 2026, 12:00 (America/New_York).")
    assert status.buttons == ()


async def test_a_closing_time_in_the_past_is_refused(coalition: Chat, db_path: Path) -> None:
    message = await refused_without_change(coalition, db_path, "Alice",
                                           'poll create Go? closes:"2026-11-23 09:00"')
    assert "is in the past" in message


# --- close -------------------------------------------------------------------------------


async def test_close_records_the_decision_and_announces_it_in_the_home_channel(
        two_reps: Chat, clock: MovableClock, db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Join the march?")
    await two_reps.ok("Bob", "poll vote 1 agree We can bring 20 people")
    await two_reps.ok("Dan", "poll vote 1 abstain")
    assert decisions(db_path) == []
    clock.advance(hours=1)
    reply = await two_reps.ok("Alice", "poll close 1 confirm:yes")
    assert reply.private
    assert reply.text.startswith("You closed poll #1: passed. It is decision #1 in the log")
    row = poll_row(db_path)
    (decision,) = decisions(db_path)
    assert row["status"] == "closed"
    assert row["closed_at"] == decision["decided_at"] == "2026-11-23T16:00:00+00:00"
    assert row["closed_by"] == query(db_path, "SELECT id FROM person WHERE "
                                              "display_name = 'Alice'")[0][0]
    assert decision["poll_id"] == row["id"]
    assert (decision["outcome"], decision["rule"], decision["electorate"], decision["voted"],
            decision["quorum_met"], decision["closed_by"]) == (
        "passed", "majority", 2, 2, 1, "Alice")
    assert json.loads(decision["tallies"]) == {"agree": 1, "abstain": 1, "disagree": 0}
    notice = two_reps.notices[-1]
    assert notice.title == "Poll #1 closed: passed"
    text, head = notice.text.rsplit("\n", 1)
    assert text == ("Join the march?\n"
                    "agree has 1 of 1 deciding votes, more than half (2 of 2 voted).\n"
                    "Closed early by Alice; it was to close Thu 26 Nov 2026, 10:00 "
                    "(America/New_York).")
    assert re.fullmatch("Decision log head: [0-9a-f]{12}", head)
    assert field(notice, "Tally") == "agree: 1 (50%)\nabstain: 1 (50%)\ndisagree: 0 (0%)"
    assert notice.mentions == ()
    assert two_reps.outlet.posted[-1][0] == "console"  # the home channel


async def test_closing_twice_is_refused_and_records_one_decision(two_reps: Chat,
                                                                 db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Go?")
    await two_reps.ok("Alice", "poll close 1 confirm:yes")
    posted = len(two_reps.notices)
    message = await refused_without_change(two_reps, db_path, "Alice", "poll close #1 confirm:yes")
    assert message == "Poll #1 is already closed.\nSee the result with `/poll status #1`."
    assert len(two_reps.notices) == posted
    assert len(decisions(db_path)) == 1


async def test_a_closed_poll_takes_no_votes(two_reps: Chat, db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Go?")
    await two_reps.ok("Alice", "poll close 1 confirm:yes")
    message = await refused_without_change(two_reps, db_path, "Bob", "poll vote 1 agree")
    assert "it takes no more votes" in message


async def test_only_coordinators_close_polls(two_reps: Chat, db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Go?")
    message = await refused_without_change(two_reps, db_path, "Bob", "poll close 1 confirm:yes")
    assert "is for coordinators" in message


async def test_concurrent_closes_record_exactly_one_decision(two_reps: Chat, bot: Bot,
                                                             db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Go?")
    await two_reps.ok("Bob", "poll vote 1 agree")
    inv = Invocation(platform="console", workspace_id="local", channel_id="console",
                     user_id=console_user_id("Alice"), user_name="Alice",
                     line="poll close 1 confirm:yes")
    replies = await asyncio.gather(*(bot.handle(inv) for _ in range(20)))
    await bot.drain()
    assert sum(not r.error for r in replies) == 1
    assert {r.text.splitlines()[0] for r in replies if r.error} == {
        "Poll #1 is already closed."}
    assert len(decisions(db_path)) == 1
    assert sum(n.title.startswith("Poll #1 closed") for n in two_reps.notices) == 1


async def test_consensus_fails_on_a_single_block(two_reps: Chat, db_path: Path) -> None:
    await two_reps.ok("Alice", 'coalition org add "Food Bank"')
    await two_reps.ok("Alice", 'coalition rep add Erin "Food Bank"')
    await two_reps.ok("Alice", "poll create Go? rule:consensus")
    await two_reps.ok("Bob", "poll vote 1 agree")
    await two_reps.ok("Erin", "poll vote 1 agree")
    await two_reps.ok("Dan", "poll vote 1 block We were not consulted")
    await two_reps.ok("Alice", "poll close 1 confirm:yes")
    (decision,) = decisions(db_path)
    assert (decision["outcome"], decision["summary"]) == (
        "failed", "Blocked by Climate Now: We were not consulted (3 of 3 voted).")
    assert two_reps.notices[-1].title == "Poll #1 closed: failed"


async def test_a_poll_below_quorum_closes_without_a_decision(two_reps: Chat,
                                                             db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Go? quorum:100")
    await two_reps.ok("Bob", "poll vote 1 agree")
    reply = await two_reps.ok("Alice", "poll close 1 confirm:yes")
    assert reply.text.startswith("You closed poll #1: no quorum.")
    (decision,) = decisions(db_path)
    assert (decision["outcome"], decision["quorum_met"]) == ("no quorum", 0)
    assert decision["summary"] == "Quorum not met: 1 of 2 voted, 100% needed."
    assert two_reps.notices[-1].title == "Poll #1 closed: no quorum"


async def test_a_plurality_tie_is_reported_not_broken(two_reps: Chat, db_path: Path) -> None:
    await two_reps.ok("Alice", 'poll create When? choices:"Saturday|Sunday" rule:plurality')
    await two_reps.ok("Bob", "poll vote 1 Saturday")
    await two_reps.ok("Dan", "poll vote 1 Sunday")
    status = await two_reps.ok("Alice", "poll status 1")
    assert field(status, "If it closed now") == ("Tie between Saturday, Sunday with 1 each "
                                                 "(2 of 2 voted).")
    await two_reps.ok("Alice", "poll close 1 confirm:yes")
    (decision,) = decisions(db_path)
    assert decision["outcome"] == "tie"
    assert two_reps.notices[-1].title == "Poll #1 closed: tie"
    closed = await two_reps.ok("Alice", "poll status 1")
    assert field(closed, "Outcome") == ("tie: Tie between Saturday, Sunday with 1 each "
                                        "(2 of 2 voted).")


# --- remind ------------------------------------------------------------------------------


def mentioned(notice: Notice) -> list[tuple[str, str, str]]:
    return sorted((m.platform, m.user_id, m.name) for m in notice.mentions)


def person(name: str) -> tuple[str, str, str]:
    return ("console", console_user_id(name), name)


async def test_remind_mentions_exactly_the_representatives_of_orgs_that_have_not_voted(
        two_reps: Chat) -> None:
    await two_reps.ok("Alice", 'coalition org add "Food Bank"')
    await two_reps.ok("Alice", 'coalition rep add Erin "Food Bank"')
    await two_reps.ok("Alice", 'coalition rep add Frank "Food Bank"')
    await two_reps.ok("Alice", 'coalition org add "City Council" yes')
    await two_reps.ok("Alice", 'coalition rep add Olga "City Council"')
    await two_reps.ok("Alice", "poll create Go?")
    await two_reps.ok("Bob", "poll vote 1 agree")
    reply = await two_reps.ok("Alice", "poll remind 1")
    assert reply.text == ("A reminder goes to the home channel(s) now: 2 organization(s) "
                          "still to vote on poll #1.")
    notice = two_reps.notices[-1]
    assert notice.title == "Reminder: poll #1 needs your vote"
    assert mentioned(notice) == sorted([person("Dan"), person("Erin"), person("Frank")])
    assert [(f.name, f.value) for f in notice.fields] == [
        ("Climate Now", "Dan"), ("Food Bank", "Erin, Frank")]
    assert [b.command for b in notice.buttons] == [
        "poll vote 1 agree", "poll vote 1 abstain", "poll vote 1 disagree"]
    text = text_of(Reply(notice.title, notice.text, notice.fields, notice.buttons))
    assert not any(word in text for word in BROADCASTS)


async def test_remind_pings_only_real_people_whatever_names_and_questions_say(
        coalition: Chat) -> None:
    await coalition.ok("Alice", 'coalition org add "@everyone"')
    await coalition.ok("Alice", 'coalition org add "<!here>"')
    await coalition.ok("Alice", 'coalition rep add Gina "@everyone"')
    await coalition.ok("Alice", "poll create <!channel> @here vote now")
    await coalition.ok("Alice", "poll remind 1")
    notice = coalition.notices[-1]
    assert mentioned(notice) == sorted([person("Bob"), person("Gina")])
    for mention in notice.mentions:
        assert not any(word.strip("@<!>") in mention.user_id.lower()
                       for word in BROADCASTS)
    # organizations with nobody to ping are listed, not mentioned
    assert field(notice, "<!here>") == "no representative yet"
    assert field(notice, "Climate Now") == "no representative yet"


async def test_remind_mentions_a_representative_of_two_unvoted_orgs_once(
        coalition: Chat) -> None:
    await coalition.ok("Alice", 'coalition rep add Bob "Climate Now"')
    await coalition.ok("Alice", "poll create Go?")
    await coalition.ok("Alice", "poll remind 1")
    assert mentioned(coalition.notices[-1]) == [person("Bob")]


async def test_remind_in_a_member_poll_mentions_members_who_have_not_voted(
        two_reps: Chat) -> None:
    await two_reps.ok("Alice", "poll create Go? electorate:members")
    await two_reps.ok("Bob", "poll vote 1 agree")
    await two_reps.ok("Alice", "poll vote 1 agree")
    await two_reps.ok("Alice", "poll remind 1")
    notice = two_reps.notices[-1]
    assert mentioned(notice) == sorted([person("Carol"), person("Dan")])
    assert field(notice, "Not voted yet") == "Carol, Dan"


async def test_remind_when_everyone_voted_posts_nothing(two_reps: Chat) -> None:
    await two_reps.ok("Alice", "poll create Go?")
    await two_reps.ok("Bob", "poll vote 1 agree")
    await two_reps.ok("Dan", "poll vote 1 agree")
    posted = len(two_reps.notices)
    reply = await two_reps.ok("Alice", "poll remind 1")
    assert reply.text == "Everyone has voted on poll #1."
    assert len(two_reps.notices) == posted


async def test_remind_on_a_closed_poll_is_refused(two_reps: Chat, db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Go?")
    await two_reps.ok("Alice", "poll close 1 confirm:yes")
    posted = len(two_reps.notices)
    message = await refused_without_change(two_reps, db_path, "Alice", "poll remind 1")
    assert message == "Poll #1 is closed; there is nobody left to remind."
    assert len(two_reps.notices) == posted


# --- list, log, export -------------------------------------------------------------------


async def test_poll_list_shows_open_closed_or_all_newest_first(two_reps: Chat) -> None:
    await two_reps.ok("Alice", "poll create First?")
    await two_reps.ok("Alice", "poll create Second?")
    await two_reps.ok("Alice", "poll create Third?")
    await two_reps.ok("Bob", "poll vote 1 agree")
    await two_reps.ok("Alice", "poll close 2 confirm:yes")

    def numbers(reply: Reply) -> list[str]:
        return [line.split()[0] for line in reply.text.splitlines()]

    default = await two_reps.ok("Dan", "poll list")
    assert default.title == "Polls (open)"
    assert numbers(default) == ["#3", "#1"]
    assert default.text.splitlines()[1] == (
        "#1 [open] First? (closes Thu 26 Nov 2026, 10:00 (America/New_York); 1 of 2 voted)")
    assert numbers(await two_reps.ok("Dan", "poll list open")) == ["#3", "#1"]
    closed = await two_reps.ok("Dan", "poll list closed")
    assert closed.text == ("#2 [closed] Second? (closed Mon 23 Nov 2026, 10:00 "
                           "(America/New_York); 0 of 2 voted)")
    assert numbers(await two_reps.ok("Dan", "poll list all")) == ["#3", "#2", "#1"]


async def test_poll_list_with_nothing_to_show_says_so(coalition: Chat) -> None:
    reply = await coalition.ok("Bob", "poll list closed")
    assert reply.title == "Polls (closed)"
    assert reply.text.startswith("None.")


async def close_two_polls(chat: Chat) -> None:
    await chat.ok("Alice", "poll create First?")
    await chat.ok("Bob", "poll vote 1 agree Good idea")
    await chat.ok("Dan", "poll vote 1 disagree")
    await chat.ok("Alice", "poll close 1 confirm:yes")
    await chat.ok("Alice", 'poll create "=HYPERLINK(1)" choices:"Red|Blue" rule:plurality')
    await chat.ok("Bob", "poll vote 2 blue")
    await chat.ok("Carol", "poll vote 2 red")  # overrides Bob
    await chat.ok("Alice", "poll close 2 confirm:yes")


async def test_coalition_log_shows_the_latest_decisions_newest_first(two_reps: Chat) -> None:
    empty = await two_reps.ok("Dan", "coalition log")
    assert empty.text.startswith("Nothing decided yet.")
    await close_two_polls(two_reps)
    log = await two_reps.ok("Dan", "coalition log")
    assert field_names(log) == ["#2 =HYPERLINK(1) (poll #2): Red",
                                "#1 First? (poll #1): failed"]
    first = field(log, "#1 First? (poll #1): failed").splitlines()
    assert first[0] == "agree has 1 of 2 deciding votes, not more than half (2 of 2 voted)."
    assert first[1] == "Mon 23 Nov 2026, 10:00 (America/New_York), closed by Alice."
    assert first[2] in ("Votes: Tenants United: agree (by Bob) (Good idea); "
                        "Climate Now: disagree (by Dan)",
                        "Votes: Climate Now: disagree (by Dan); "
                        "Tenants United: agree (by Bob) (Good idea)")
    assert "Tenants United: Red (by Carol)" in field(log, "#2 =HYPERLINK(1) (poll #2): Red")
    latest = await two_reps.ok("Dan", "coalition log 1")
    assert field_names(latest) == ["#2 =HYPERLINK(1) (poll #2): Red"]


async def test_export_decisions_as_csv_is_a_file_with_every_decision(two_reps: Chat) -> None:
    await close_two_polls(two_reps)
    reply = await two_reps.ok("Dan", "coalition export decisions csv")
    assert reply.private
    (file,) = reply.files
    assert file.filename == "decisions-20261123-1500.csv"
    assert file.media_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(file.content)))
    assert [(r["decision"], r["poll"], r["outcome"]) for r in rows] == [
        ("1", "1", "failed"), ("2", "2", "Red")]
    assert rows[0]["question"] == "First?"
    assert rows[1]["question"] == "'=HYPERLINK(1)"  # never a spreadsheet formula
    # the tally in columns of its own, as many pairs as the longest ballot
    assert list(rows[0])[-6:] == ["choice_1", "votes_1", "choice_2", "votes_2",
                                  "choice_3", "votes_3"]
    assert [rows[0][f"{k}_{i}"] for i in range(1, 4) for k in ("choice", "votes")] == [
        "agree", "1", "abstain", "0", "disagree", "1"]
    assert [rows[1][f"{k}_{i}"] for i in range(1, 4) for k in ("choice", "votes")] == [
        "Red", "1", "Blue", "0", "", ""]
    assert "tallies" not in rows[0]
    assert "voters" not in rows[0]
    assert not any(v.startswith(("{", "[")) for row in rows for v in row.values())
    assert rows[0]["decided_at"] == "2026-11-23T10:00:00-05:00"
    assert (rows[0]["electorate"], rows[0]["voted"], rows[0]["quorum_met"],
            rows[0]["quorum_pct"]) == ("2", "2", "True", "50")


async def test_export_votes_as_csv_has_one_row_per_vote(two_reps: Chat) -> None:
    await close_two_polls(two_reps)
    reply = await two_reps.ok("Dan", "coalition export votes")
    (file,) = reply.files
    assert file.filename == "votes-20261123-1500.csv"
    assert reply.text == "Every vote of every decision, oldest first."
    rows = list(csv.DictReader(io.StringIO(file.content)))
    assert list(rows[0]) == ["decision", "poll", "question", "voter", "cast_by", "choice",
                             "reason"]
    assert sorted((r["decision"], r["voter"], r["cast_by"], r["choice"], r["reason"])
                  for r in rows) == [
        ("1", "Climate Now", "Dan", "disagree", ""),
        ("1", "Tenants United", "Bob", "agree", "Good idea"),
        ("2", "Tenants United", "Carol", "Red", "")]
    records = json.loads((await two_reps.ok("Dan", "coalition export votes json"))
                         .files[0].content)
    assert len(records) == 3
    assert records[-1]["choice"] == "Red"


async def test_a_quorum_is_exported_as_the_poll_required_it(two_reps: Chat) -> None:
    await two_reps.ok("Alice", "poll create Strike? quorum:75%")
    await two_reps.ok("Alice", "poll close 1 confirm:yes")
    await two_reps.ok("Alice", "topic add pipeline")  # a decision without a poll
    rows = list(csv.DictReader(io.StringIO(
        (await two_reps.ok("Dan", "coalition export decisions")).files[0].content)))
    assert [(r["quorum_pct"], r["quorum_met"]) for r in rows] == [("75", "False"),
                                                                   ("", "False")]
    records = json.loads((await two_reps.ok("Dan", "coalition export decisions json"))
                         .files[0].content)
    assert [r["quorum_pct"] for r in records] == [75, None]


@pytest.mark.parametrize("reason", [
    "x;=cmd|' /C calc'!A0;y", "ok; +1 from us", "a,=1+1", "fine;\"=HYPERLINK(1)\"",
    "tab\t@SUM(1)", "-2+3", "no;-1", "@x",
])
async def test_no_piece_of_an_exported_cell_split_at_a_separator_is_a_formula(
        two_reps: Chat, reason: str) -> None:
    await two_reps.ok("Alice", f"poll create {reason}? choices:\"{reason}|b\" rule:plurality")
    await two_reps.ok("Bob", f"poll vote 1 1 {reason}")
    await two_reps.ok("Alice", "poll close 1 confirm:yes")
    for what in ("decisions", "votes"):
        content = (await two_reps.ok("Dan", f"coalition export {what}")).files[0].content
        for row in csv.reader(io.StringIO(content)):
            for cell in row:
                # however a spreadsheet splits the cell, no piece starts a formula
                for piece in re.split(r"[;,\t\r\n]", cell):
                    assert not piece.lstrip(' "').startswith(("=", "+", "-", "@")), (what, cell)
    rows = list(csv.DictReader(io.StringIO(
        (await two_reps.ok("Dan", "coalition export votes")).files[0].content)))
    assert rows[0]["reason"].replace("'", "") == " ".join(reason.split()).replace("'", "")


async def test_export_decisions_as_json_parses_with_every_decision(two_reps: Chat) -> None:
    await close_two_polls(two_reps)
    reply = await two_reps.ok("Dan", "coalition export decisions json")
    (file,) = reply.files
    assert file.filename.endswith(".json")
    assert file.media_type == "application/json"
    records = json.loads(file.content)
    assert [(r["decision"], r["poll"], r["question"], r["outcome"]) for r in records] == [
        (1, 1, "First?", "failed"), (2, 2, "=HYPERLINK(1)", "Red")]
    assert records[1]["tallies"] == {"Red": 1, "Blue": 0}
    assert records[1]["voters"] == [{"voter": "Tenants United", "cast_by": "Carol",
                                     "choice": "Red", "reason": ""}]
    assert records[0]["anonymous"] is False


async def test_export_of_an_empty_log_has_only_the_header(coalition: Chat) -> None:
    reply = await coalition.ok("Bob", "coalition export decisions")
    (file,) = reply.files
    assert file.content.splitlines() == [
        "decision,poll,question,rule,quorum_pct,outcome,summary,decided_at,closed_by,"
        "electorate,voted,quorum_met,anonymous,statement"]


# --- anonymous polls ---------------------------------------------------------------------

SECRET = "my-secret-reason"


async def anonymous_poll(chat: Chat) -> None:
    await chat.ok("Alice", 'coalition org add "Food Bank"')
    await chat.ok("Alice", 'coalition rep add Erin "Food Bank"')
    await chat.ok("Alice", 'poll create Which plan? choices:"Plan Kestrel|Plan Osprey" '
                           "anonymous:yes")
    reply = await chat.ok("Bob", f'poll vote 1 confirm:yes "plan kestrel" {SECRET}')
    assert reply.text == ("Recorded Tenants United's vote on poll #1: Plan Kestrel. The poll "
                          "is anonymous: your choice went into the tally only, and your "
                          "reason was not kept.")
    await chat.ok("Dan", 'poll vote 1 confirm:yes "Plan Osprey"')
    await chat.ok("Erin", "poll vote 1 2 confirm:yes")


async def test_an_anonymous_vote_cannot_be_cast_twice_for_an_org(two_reps: Chat,
                                                                 db_path: Path) -> None:
    await anonymous_poll(two_reps)
    message = await refused_without_change(two_reps, db_path, "Carol", "poll vote 1 2")
    assert message.startswith("Tenants United has already voted in anonymous poll #1.")
    message = await refused_without_change(two_reps, db_path, "Bob", "poll vote 1 1")
    assert message.startswith("Tenants United has already voted in anonymous poll #1.")


async def test_anonymous_status_log_and_export_never_show_a_choice_per_voter(
        two_reps: Chat) -> None:
    await anonymous_poll(two_reps)
    status = await two_reps.ok("Alice", "poll status 1")
    assert field(status, "Tally").startswith("shown when the poll closes")  # not while open
    assert sorted(field(status, "Voted").splitlines()) == [
        "Climate Now (by Dan)", "Food Bank (by Erin)", "Tenants United (by Bob)"]
    await two_reps.ok("Alice", "poll close 1 confirm:yes")
    closed = await two_reps.ok("Alice", "poll status 1")
    assert field(closed, "Tally") == "Plan Kestrel: 1 (33%)\nPlan Osprey: 2 (67%)"
    assert sorted(field(closed, "Voted").splitlines()) == [
        "Climate Now (by Dan)", "Food Bank (by Erin)", "Tenants United (by Bob)"]
    log = await two_reps.ok("Alice", "coalition log")
    entry = field(log, "#1 Which plan? (poll #1): Plan Osprey")
    voted_line = entry.splitlines()[-1]
    assert voted_line.startswith("Voted: ")
    assert "Kestrel" not in voted_line
    assert "Osprey" not in voted_line
    csv_file = (await two_reps.ok("Alice", "coalition export decisions csv")).files[0]
    (row,) = csv.DictReader(io.StringIO(csv_file.content))
    assert (row["choice_1"], row["votes_1"], row["choice_2"], row["votes_2"]) == (
        "Plan Kestrel", "1", "Plan Osprey", "2")
    votes_file = (await two_reps.ok("Alice", "coalition export votes csv")).files[0]
    vote_rows_ = list(csv.DictReader(io.StringIO(votes_file.content)))
    assert sorted(v["voter"] for v in vote_rows_) == ["Climate Now", "Food Bank",
                                                      "Tenants United"]
    assert all(v["choice"] == v["reason"] == "" for v in vote_rows_)
    json_file = (await two_reps.ok("Alice", "coalition export decisions json")).files[0]
    (record,) = json.loads(json_file.content)
    voters = record["voters"]
    assert sorted(v["voter"] for v in voters) == ["Climate Now", "Food Bank",
                                                  "Tenants United"]
    assert all(set(v) == {"voter", "cast_by"} for v in voters)
    assert record["tallies"] == {"Plan Kestrel": 1, "Plan Osprey": 2}
    assert record["anonymous"] is True
    for text in (text_of(status), text_of(closed), text_of(log), csv_file.content,
                 votes_file.content, json_file.content):
        assert SECRET not in text


async def test_no_table_links_an_anonymous_voter_to_a_choice(two_reps: Chat,
                                                             db_path: Path) -> None:
    await anonymous_poll(two_reps)
    await two_reps.ok("Alice", "poll close 1 confirm:yes")
    assert [r[3:5] for r in vote_rows(db_path)] == [(None, None)] * 3
    # Where can a choice's name be found at all? Only in aggregate places.
    # the log's chain entry holds the decision's tallies, as the decision row does
    allowed = {("poll", "choices"), ("anonymous_tally", "choice"), ("decision", "tallies"),
               ("log_entry", "body"),
               ("decision", "summary"), ("decision", "outcome"),
               ("notice", "body")}  # the result notice in the outbox: the tally
    found = set()
    with connect(db_path) as conn:
        for table in tables(conn):
            cur = conn.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cur.description]
            for row in cur.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = str(value)
                    assert SECRET not in text, (table, column)
                    if "Kestrel" in text or "Osprey" in text:
                        found.add((table, column))
        tally_columns = [d[0] for d in conn.execute(
            "SELECT * FROM anonymous_tally LIMIT 0").description]
        (voters,) = conn.execute("SELECT voters FROM decision").fetchone()
    assert found <= allowed
    assert sorted(tally_columns) == ["choice", "poll_id", "votes"]  # no voter, no time
    assert all("choice" not in v and "reason" not in v for v in json.loads(voters))


async def _anonymous_database(path: Path, first: str, second: str) -> dict[str, list]:
    """Every row (with its rowid where it has one) after Bob then Dan vote anonymously."""
    clock = MovableClock()
    bot = await Bot.open(path, clock=clock)
    try:
        chat = Chat(bot, RecordingOutlet("console"))
        bot.add_outlet(chat.outlet)
        await chat.ok("Alice", 'coalition setup "Eastside Tenants" America/New_York')
        await chat.ok("Alice", 'coalition org add "Tenants United"')
        await chat.ok("Alice", 'coalition org add "Climate Now"')
        await chat.ok("Alice", 'coalition rep add Bob "Tenants United"')
        await chat.ok("Alice", 'coalition rep add Dan "Climate Now"')
        await chat.ok("Alice", 'poll create Which? choices:"Kestrel|Osprey" anonymous:yes')
        await chat.ok("Bob", f"poll vote 1 {first} confirm:yes")
        await chat.ok("Dan", f"poll vote 1 {second} confirm:yes")
    finally:
        await bot.close()
    return {table: stored_order(path, table) for table in ("vote", "anonymous_tally")}


def stored_order(path: Path, table: str) -> list[tuple]:
    """A table's rows as stored: with their rowid, or in key order if it has none."""
    with sqlite3.connect(path) as conn:  # SQLite's own storage order
        try:
            return conn.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid').fetchall()
        except sqlite3.OperationalError:  # a WITHOUT ROWID table
            return conn.execute(f'SELECT * FROM "{table}"').fetchall()


async def test_an_anonymous_poll_stores_the_same_rows_whichever_voter_chose_which(
        tmp_path: Path) -> None:
    one = await _anonymous_database(tmp_path / "one.db", "Kestrel", "Osprey")
    other = await _anonymous_database(tmp_path / "other.db", "Osprey", "Kestrel")
    assert one["vote"] == other["vote"]
    assert one["anonymous_tally"] == other["anonymous_tally"]


# --- tenancy -----------------------------------------------------------------------------


async def test_poll_numbers_of_another_coalition_are_not_found(two_reps: Chat,
                                                               db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Ours?")
    await two_reps.ok("Zed", 'coalition setup "Other Coalition"', workspace="other")
    await two_reps.ok("Zed", 'coalition org add "Elsewhere"', workspace="other")
    await two_reps.ok("Zed", 'coalition rep add Zed "Elsewhere"', workspace="other")
    before = snapshot(db_path)
    for line in ("poll status 1", "poll vote 1 agree", "poll close 1 confirm:yes", "poll remind 1"):
        reply = await two_reps.say("Zed", line, workspace="other")
        assert reply.error
        assert reply.text.startswith("There is no poll #1 in this coalition."), line
    assert snapshot(db_path) == before
    listing = await two_reps.ok("Zed", "poll list all", workspace="other")
    assert listing.text.startswith("None.")
    # the other coalition's own poll #1 is its own
    await two_reps.ok("Zed", "poll create Theirs?", workspace="other")
    await two_reps.ok("Zed", "poll vote 1 agree", workspace="other")
    status = await two_reps.ok("Bob", "poll status 1")
    assert status.title == "Poll #1: Ours?"
    assert field(status, "Voted") == "nobody yet"


# --- concurrency -------------------------------------------------------------------------


def invocation(user: str, line: str) -> Invocation:
    return Invocation(platform="console", workspace_id="local", channel_id="console",
                      user_id=console_user_id(user), user_name=user, line=line)


async def test_a_hundred_concurrent_votes_of_one_representative_leave_one_vote(
        two_reps: Chat, bot: Bot, db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Go?")
    choices = ["agree", "disagree", "abstain", "block"]
    replies = await asyncio.gather(*(bot.handle(invocation("Bob", f"poll vote 1 "
                                                                  f"{choices[i % 4]}"))
                                     for i in range(100)))
    assert not [r.text for r in replies if r.error]
    rows = vote_rows(db_path)
    assert len(rows) == 1
    assert rows[0][:3] == ("org:1", "Tenants United", "Bob")
    assert rows[0][5] == 99  # every later vote replaced the one before
    status = await two_reps.ok("Alice", "poll status 1")
    assert field(status, "Quorum").startswith("1 of 2 voted")
    assert sum(int(line.split(": ")[1].split()[0])
               for line in field(status, "Tally").splitlines()) == 1


async def test_concurrent_votes_of_different_organizations_are_all_counted(
        coalition: Chat, bot: Bot, db_path: Path) -> None:
    names = [f"Org {i}" for i in range(3, 13)]
    for i, name in enumerate(names):
        await coalition.ok("Alice", f'coalition org add "{name}"')
        await coalition.ok("Alice", f'coalition rep add Rep{i} "{name}"')
    await coalition.ok("Alice", "poll create Go? quorum:100")
    lines = [("Bob", "poll vote 1 agree")] + [(f"Rep{i}", "poll vote 1 disagree")
                                              for i in range(len(names))]
    replies = await asyncio.gather(*(bot.handle(invocation(u, line)) for u, line in lines))
    assert not [r.text for r in replies if r.error]
    assert len(vote_rows(db_path)) == 11
    status = await coalition.ok("Alice", "poll status 1")
    assert field(status, "Tally") == "agree: 1 (9%)\nabstain: 0 (0%)\ndisagree: 10 (91%)"
    assert field(status, "Not voted") == "Climate Now"
    anonymous = await coalition.ok("Alice", "poll create Secret? anonymous:yes")
    assert anonymous.title == "Poll #2: Secret?"
    replies = await asyncio.gather(*(
        bot.handle(invocation(u, line.replace("1", "2") + " confirm:yes"))
        for u, line in lines * 3))
    assert sum(not r.error for r in replies) == 11  # one vote per org, the rest refused
    await coalition.ok("Alice", "poll close 2 confirm:yes")  # an anonymous tally shows once closed
    status = await coalition.ok("Alice", "poll status 2")
    assert field(status, "Tally") == "agree: 1 (9%)\nabstain: 0 (0%)\ndisagree: 10 (91%)"


# --- extending a poll ---------------------------------------------------------------------


async def test_a_poll_is_extended_and_the_home_channel_is_told(
        two_reps: Chat, clock: MovableClock, db_path: Path) -> None:
    await two_reps.ok("Alice", "poll create Join the May Day march?")  # closes Thu 26 Nov
    reply = await two_reps.ok("Alice", 'poll extend 1 "2026-11-30 18:00"')
    assert reply.private
    assert reply.text.startswith("Poll #1 now closes Mon 30 Nov 2026, 18:00")
    assert poll_row(db_path)["closes_at"] == "2026-11-30T23:00:00+00:00"
    notice = two_reps.notices[-1]
    assert notice.title == "Poll #1 now closes Mon 30 Nov 2026, 18:00 (America/New_York)"
    assert "Extended by Alice" in notice.text
    assert notice.buttons[0].command == "poll vote 1 agree"
    clock.advance(days=4)  # past the first deadline, before the new one
    await two_reps.ok("Bob", "poll vote 1 agree")


@pytest.mark.parametrize(("user", "line", "expected"), [
    ("Alice", 'poll extend 1 "2026-11-25 18:00"', "is not later"),
    ("Alice", "poll extend 1", "needs CLOSES"),
    ("Alice", 'poll extend 2 "2026-11-30 18:00"', "no poll #2"),
    ("Bob", 'poll extend 1 "2026-11-30 18:00"', "coordinator"),
])
async def test_an_extension_that_cannot_be_done_changes_nothing(
        two_reps: Chat, db_path: Path, user: str, line: str, expected: str) -> None:
    await two_reps.ok("Alice", "poll create Join the May Day march?")
    before = snapshot(db_path)
    reply = await two_reps.say(user, line)
    assert reply.error, reply.text
    assert reply.private, reply.text
    assert expected in reply.text, reply.text
    assert snapshot(db_path) == before


@pytest.mark.parametrize("closed_by", ["hand", "deadline"])
async def test_a_closed_poll_is_not_reopened(two_reps: Chat, clock: MovableClock,
                                            db_path: Path, closed_by: str) -> None:
    await two_reps.ok("Alice", "poll create Join the May Day march?")
    if closed_by == "hand":
        await two_reps.ok("Alice", "poll close 1 confirm:yes")
    else:
        clock.advance(days=3, seconds=1)  # past its deadline; nothing closed it yet
    before = snapshot(db_path)
    reply = await two_reps.say("Alice", 'poll extend 1 "2026-12-30 18:00"')
    assert reply.error, reply.text
    assert "cannot be reopened" in reply.text, reply.text
    assert snapshot(db_path) == before
