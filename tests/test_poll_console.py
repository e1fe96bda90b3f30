"""Polls end to end: scripts piped into the real `coalition-bot console` process."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from console_support import answer, console, db_rows

SETUP = """\
coalition setup "Eastside Tenants" America/New_York
coalition org add "Tenants United"
coalition org add "Climate Now"
coalition rep add Bob "Tenants United"
coalition rep add Carol "Tenants United"
coalition rep add Dan "Climate Now"
"""






def test_an_organizations_second_representative_overrides_the_first(tmp_path: Path) -> None:
    lines = console(tmp_path, SETUP + """\
poll create Join the march?
/as Bob
poll vote 1 agree We can bring 20 people
/as Carol
poll vote #1 disagree
poll status 1
/as Alice
poll close 1 confirm:yes
""")
    created = answer(lines, "Alice", "poll create Join the march?")
    assert created[0] == "== Poll #1: Join the march? =="
    assert "  [agree] → poll vote 1 agree" in created
    assert answer(lines, "Bob", "poll vote 1 agree We can bring 20 people") == [
        "(only you) Recorded Tenants United's vote on poll #1: agree. You can change it "
        "until the poll closes."]
    changed = answer(lines, "Carol", "poll vote #1 disagree")
    assert changed[0] == (
        "(only you) Changed Tenants United's vote on poll #1 from agree to disagree. You "
        "can change it until the poll closes.")
    # Bob, who cast the vote Carol changed, is told privately
    assert changed[1] == "✉ to bob: == Poll #1: Tenants United's vote was changed =="
    status = answer(lines, "Carol", "poll status 1")
    assert status[0] == "== Poll #1: Join the march? =="
    assert "  Voted: Tenants United: disagree (by Carol)" in status
    assert "  Not voted: Climate Now" in status
    assert "  Quorum: 1 of 2 voted (50%); 50% needed: met" in status
    assert "  Tally: agree: 0 (0%)" in status
    assert "    disagree: 1 (100%)" in status
    closed = answer(lines, "Alice", "poll close 1 confirm:yes")
    assert closed[0].startswith("(only you) You closed poll #1: failed. It is decision #1")
    assert "📣 == Poll #1 closed: failed ==" in closed
    assert "📣 agree has 0 of 1 deciding votes, not more than half (1 of 2 voted)." in closed
    assert db_rows(tmp_path, "SELECT voter, choice, changes FROM vote") == [
        ("org:1", "disagree", 1)]


def test_one_block_fails_a_consensus_poll(tmp_path: Path) -> None:
    lines = console(tmp_path, SETUP + """\
coalition org add "Food Bank"
coalition rep add Erin "Food Bank"
poll create Endorse the ordinance? rule:consensus
/as Bob
poll vote 1 agree
/as Erin
poll vote 1 yes
/as Dan
poll vote 1 block We were not consulted
poll status 1
/as Alice
poll close 1 confirm:yes
""")
    status = answer(lines, "Dan", "poll status 1")
    assert ("  If it closed now: Blocked by Climate Now: We were not consulted (3 of 3 "
            "voted).") in status
    assert "  Voted: Tenants United: agree (by Bob)" in status
    assert "    Climate Now: block (by Dan) (We were not consulted)" in status
    closed = answer(lines, "Alice", "poll close 1 confirm:yes")
    assert closed[0].startswith("(only you) You closed poll #1: failed.")
    assert closed.pop(4).startswith("📣 Closed early by Alice; it was to close ")
    assert re.fullmatch("📣 Decision log head: [0-9a-f]{12}", closed.pop(4))
    assert closed[1:] == [
        "📣 == Poll #1 closed: failed ==",
        "📣 Endorse the ordinance?",
        "📣 Blocked by Climate Now: We were not consulted (3 of 3 voted).",
        "📣   Tally: agree: 2 (67%)",
        "📣     abstain: 0 (0%)",
        "📣     disagree: 0 (0%)",
        "📣     block: 1 (33%)",
    ]


def test_a_poll_below_quorum_closes_with_no_quorum(tmp_path: Path) -> None:
    lines = console(tmp_path, SETUP + """\
poll create Go? quorum:100
/as Bob
poll vote 1 agree
/as Alice
poll close 1 confirm:yes
coalition log
""")
    closed = answer(lines, "Alice", "poll close 1 confirm:yes")
    assert closed[0].startswith("(only you) You closed poll #1: no quorum.")
    assert "📣 == Poll #1 closed: no quorum ==" in closed
    assert "📣 Quorum not met: 1 of 2 voted, 100% needed." in closed
    log = answer(lines, "Alice", "coalition log")
    assert log[0] == "== Decision log =="
    assert log[1] == ("  #1 Go? (poll #1): no quorum: Quorum not met: 1 of 2 voted, "
                      "100% needed.")
    assert log[-1] == "    Votes: Tenants United: agree (by Bob)"


def test_a_plurality_tie_is_reported_as_a_tie(tmp_path: Path) -> None:
    lines = console(tmp_path, SETUP + """\
poll create Which day? choices:"Saturday|Sunday" rule:plurality
/as Bob
poll vote 1 saturday
/as Dan
poll vote 1 2
/as Alice
poll close 1 confirm:yes
poll status 1
""")
    closed = answer(lines, "Alice", "poll close 1 confirm:yes")
    assert closed[0].startswith("(only you) You closed poll #1: tie.")
    assert "📣 == Poll #1 closed: tie ==" in closed
    assert "📣 Tie between Saturday, Sunday with 1 each (2 of 2 voted)." in closed
    status = answer(lines, "Alice", "poll status 1")
    assert "  Outcome: tie: Tie between Saturday, Sunday with 1 each (2 of 2 voted)." in status
    assert not any(line.startswith("  [") for line in status)  # no buttons once closed


def test_a_closed_poll_refuses_votes_in_a_later_session(tmp_path: Path) -> None:
    first = console(tmp_path, SETUP + """\
poll create Go?
/as Bob
poll vote 1 agree
/as Alice
poll close 1 confirm:yes
""")
    assert "📣 == Poll #1 closed: passed ==" in answer(first, "Alice", "poll close 1 confirm:yes")
    later = console(tmp_path, """\
poll vote 1 disagree
poll status 1
poll close 1 confirm:yes
coalition log
""", user="Dan")
    refused = answer(later, "Dan", "poll vote 1 disagree")
    assert len(refused) == 2
    assert refused[0].startswith("! Poll #1 closed on ")
    assert refused[0].endswith("; it takes no more votes.")
    assert refused[1] == "! See the result with `/poll status #1`."
    status = answer(later, "Dan", "poll status 1")
    assert "  Voted: Tenants United: agree (by Bob)" in status
    assert "  Not voted: Climate Now" in status
    assert answer(later, "Dan", "poll close 1 confirm:yes")[0] == (
        "! `/poll close` is for coordinators; you are a representative here.")
    assert db_rows(tmp_path, "SELECT voter, choice FROM vote") == [("org:1", "agree")]
    assert db_rows(tmp_path, "SELECT count(*) FROM decision") == [(1,)]


def test_an_anonymous_poll_shows_no_choice_per_voter_in_log_or_exports(
        tmp_path: Path) -> None:
    lines = console(tmp_path, SETUP + """\
coalition org add "Food Bank"
coalition rep add Erin "Food Bank"
poll create Which plan? choices:"Plan Kestrel|Plan Osprey" anonymous:yes
/as Bob
poll vote 1 confirm:yes "plan kestrel" my-secret-reason
/as Carol
poll vote 1 confirm:yes "Plan Osprey"
/as Dan
poll vote 1 confirm:yes "Plan Osprey"
/as Erin
poll vote 1 2 confirm:yes
poll status 1
/as Alice
poll close 1 confirm:yes
coalition log
coalition export decisions csv
coalition export decisions json
""")
    created = answer(lines, "Alice",
                     'poll create Which plan? choices:"Plan Kestrel|Plan Osprey" anonymous:yes')
    assert ("Anonymous: nobody, not even the bot, records who chose what; the tally is "
            "shown only when the poll closes.") in created
    assert answer(lines, "Carol", 'poll vote 1 confirm:yes "Plan Osprey"')[0] == (
        "! Tenants United has already voted in anonymous poll #1.")
    status = answer(lines, "Erin", "poll status 1")
    assert "  Tally: shown when the poll closes: while it is open, a tally next to who has " \
           "voted would tell each ballot" in status
    assert not any("Kestrel:" in line or "Osprey:" in line for line in status)
    voted = [line for line in status if "(by " in line]
    assert sorted(line.split(": ")[-1].strip() for line in voted) == [
        "Climate Now (by Dan)", "Food Bank (by Erin)", "Tenants United (by Bob)"]
    closed = answer(lines, "Alice", "poll close 1 confirm:yes")
    assert "📣 == Poll #1 closed: Plan Osprey ==" in closed
    log = answer(lines, "Alice", "coalition log")
    assert log[1] == ("  #1 Which plan? (poll #1): Plan Osprey: Plan Osprey has 2 of 3 "
                      "deciding votes, more than half (3 of 3 voted).")
    voted_line = log[-1]
    assert voted_line.startswith("    Voted: ")
    assert "Kestrel" not in voted_line
    assert "Osprey" not in voted_line
    for name in ("Tenants United", "Climate Now", "Food Bank"):
        assert name in voted_line
    for out in (status, log):
        for line in out:  # no line puts a voter next to a choice
            if any(org in line for org in ("Tenants United", "Climate Now", "Food Bank")):
                assert "Kestrel" not in line, line
                assert "Osprey" not in line, line
    assert not any("my-secret-reason" in line for line in lines[1:]
                   if not line.startswith("Bob> "))

    csv_written = answer(lines, "Alice", "coalition export decisions csv")
    json_written = answer(lines, "Alice", "coalition export decisions json")
    assert csv_written[1].startswith("(only you) File written: ")
    csv_path = Path(csv_written[1].removeprefix("(only you) File written: "))
    json_path = Path(json_written[1].removeprefix("(only you) File written: "))
    assert csv_path.parent == tmp_path
    assert csv_path.suffix == ".csv"
    assert json_path.parent == tmp_path
    assert json_path.suffix == ".json"
    with csv_path.open(encoding="utf-8", newline="") as f:
        (row,) = csv.DictReader(f)
    (record,) = json.loads(json_path.read_text(encoding="utf-8"))
    assert row["anonymous"] == "True"
    assert record["anonymous"] is True
    assert record["tallies"] == {"Plan Kestrel": 1, "Plan Osprey": 2}
    assert (row["choice_1"], row["votes_1"], row["choice_2"], row["votes_2"]) == (
        "Plan Kestrel", "1", "Plan Osprey", "2")
    voters = record["voters"]
    assert sorted(v["voter"] for v in voters) == ["Climate Now", "Food Bank",
                                                  "Tenants United"]
    assert all(set(v) == {"voter", "cast_by"} for v in voters)
    for text in (csv_path.read_text(encoding="utf-8"), json_path.read_text(encoding="utf-8")):
        assert "my-secret-reason" not in text
    assert db_rows(tmp_path, "SELECT choice, reason FROM vote") == [(None, None)] * 3
