"""Off-limits topics end to end: scripts piped into the real `coalition-bot console` process.

The console runs on the real clock, so "within the nudge window" is simply "in the same
run" (a run takes a second or two, the window is ten minutes).
"""

from __future__ import annotations

import re
from pathlib import Path

from console_support import answer, console, db_rows

NUDGE = "(only you) == A gentle reminder =="

SETUP = """\
coalition setup "Eastside Tenants" America/New_York
coalition org add "Tenants United"
coalition org add "Climate Now"
coalition rep add Bob "Tenants United"
coalition rep add Dan "Climate Now"
"""





def said(lines: list[str], who: str, text: str) -> list[str]:
    """What followed `who`'s `/say text`, after the console's echo of the message."""
    out = answer(lines, who, f"/say {text}")
    assert out[0] == f"[{who} in #console] {text}"
    return out[1:]



def test_a_proposed_topic_is_voted_in_nudges_once_and_stops_when_removed(
        tmp_path: Path) -> None:
    lines = console(tmp_path, SETUP + """\
/as Bob
topic propose rent control reason:"partners differ"
/say Rent control before the vote is fine
/as Dan
poll vote 1 agree
/as Bob
poll vote 1 agree
/as Alice
poll close 1
topic list
/as Erin
/say Quetzal pelicans want ＲＥＮＴ-Contróls now!
/say Rent control, again.
/as Frank
/say who decides on rent controls?
topic check Is rent-control on the agenda?
topic check Is the picnic on the agenda?
/as Alice
topic remove RENT CONTROL
/as Gina
/say rent control, rent control
topic check rent control
""")
    proposed = answer(lines, "Bob", 'topic propose rent control reason:"partners differ"')
    assert proposed[0] == ("== Poll #1: Keep “rent control” off the table in the "
                           "coalition's shared spaces? (partners differ) ==")
    assert proposed[1].startswith("Partner organizations decide, rule consensus; closes ")
    assert "  [block] → poll vote 1 block" in proposed
    assert said(lines, "Bob", "Rent control before the vote is fine") == []

    closed = answer(lines, "Alice", "poll close 1")
    assert closed[0].startswith("(only you) You closed poll #1: passed. It is decision #1")
    assert "📣 == Poll #1 closed: passed ==" in closed
    assert "📣 Consensus reached (2 of 2 voted)." in closed
    assert "📣 “rent control” is now an off-limits topic." in closed
    listed = answer(lines, "Alice", "topic list")
    assert listed[0] == "== Off-limits topics =="
    assert listed[1] == "  “rent control”: partners differ"
    assert re.fullmatch(r"    Since \w{3} \d{1,2} \w{3} \d{4} \(decision #1, by Bob\)\.",
                        listed[2]), listed[2]

    # a variant spelling nudges once, privately; not again within the window
    assert said(lines, "Erin", "Quetzal pelicans want ＲＥＮＴ-Contróls now!") == [
        NUDGE,
        "The coalition agreed to keep “rent control” off the table in its shared spaces "
        "(partners differ). Nothing was removed; this note is only for you."]
    assert said(lines, "Erin", "Rent control, again.") == []
    assert said(lines, "Frank", "who decides on rent controls?")[0] == NUDGE
    assert sum(line == NUDGE for line in lines) == 2

    assert answer(lines, "Frank", "topic check Is rent-control on the agenda?") == [
        "(only you) == That touches agreed off-limits topics ==",
        "  “rent control”: partners differ"]
    assert answer(lines, "Frank", "topic check Is the picnic on the agenda?") == [
        "(only you) That touches none of the agreed off-limits topics."]

    assert answer(lines, "Alice", "topic remove RENT CONTROL")[:2] == [
        "== Off-limits topic removed ==",
        "“rent control” is no longer off the table. This is in the log, and every home "
        "channel was told. Partners had adopted it by poll #1; next time, let them decide "
        "with `/topic propose-remove`."]
    assert said(lines, "Gina", "rent control, rent control") == []  # Gina was never nudged
    assert answer(lines, "Gina", "topic check rent control") == [
        "(only you) That touches none of the agreed off-limits topics."]

    assert db_rows(tmp_path, "SELECT phrase, reason, decision_number, removed_at IS NOT NULL"
                             " FROM topic") == [("rent control", "partners differ", 1, 1)]
    assert db_rows(tmp_path, "SELECT number, outcome FROM decision ORDER BY number") == [
        (1, "passed"), (2, "removed")]
    for path in tmp_path.iterdir():  # what was said in the channel is nowhere on disk
        if path.name.startswith("coalition.db"):
            assert b"quetzal" not in path.read_bytes().lower(), path


def test_the_nudge_window_outlasts_a_restart_and_a_blocked_proposal_adds_nothing(
        tmp_path: Path) -> None:
    first = console(tmp_path, SETUP + """\
topic add pipeline reason:"members split"
/as Dan
topic propose refinery
poll vote 1 block
/as Bob
poll vote 1 agree
/as Alice
poll close 1
/as Erin
/say The PIPELINES again
""")
    closed = answer(first, "Alice", "poll close 1")
    assert "📣 == Poll #1 closed: failed ==" in closed
    assert not any("off-limits" in line for line in closed)
    assert said(first, "Erin", "The PIPELINES again")[0] == NUDGE

    later = console(tmp_path, """\
/say pipeline, still
/say the refinery
topic list
/as Olga
/say a pipeline's route
""", user="Erin")
    assert said(later, "Erin", "pipeline, still") == []  # ten minutes have not passed
    assert said(later, "Erin", "the refinery") == []
    listed = answer(later, "Erin", "topic list")
    assert listed[:2] == ["== Off-limits topics ==", "  “pipeline”: members split"]
    assert not any("refinery" in line for line in listed)
    assert said(later, "Olga", "a pipeline's route") == [
        NUDGE,
        "The coalition agreed to keep “pipeline” off the table in its shared spaces "
        "(members split). Nothing was removed; this note is only for you."]
    assert db_rows(tmp_path, "SELECT phrase FROM topic") == [("pipeline",)]
