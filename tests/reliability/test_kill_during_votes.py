"""kill -9 of the console while 1 000 people vote: every vote it acknowledged survives.

A first run of `coalition-bot console` (a real process, a SQLite file in tmp_path) sets up
a coalition and a member poll (`electorate:members`, so each of 1 000 different people,
switched to with `/as`, has a vote of their own). Then the console is started with its
standard input a pipe, the votes are written into it as fast as it takes them, and its
output is read as it comes: `(only you) Recorded your vote …` after a voter's line is the
acknowledgement. After a (seeded) random number of acknowledgements the process gets
SIGKILL, in the middle of the stream, with more votes waiting in the pipe. It is then
started again on the same file and, once it has answered a first command (so it has
opened the database and recovered its write-ahead log), every vote acknowledged so far
must be in the `vote` table with its choice and reason. Votes sent but not acknowledged
may or may not be there; the next run sends them again, as a person whose vote was not
confirmed would. After twelve kills a last run finishes the stream and exits normally:
then all 1 000 votes are there, once each, and `poll status` counts them.
"""

from __future__ import annotations

import random
import re
import signal
import sqlite3
import subprocess
from pathlib import Path

from reliability_support import SCRIPT, WAIT, Console, console_env

VOTERS = 1000
KILLS = 12
CHOICES = ("agree", "abstain", "disagree")  # a majority proposal: no block choice
ECHO = re.compile(r"^(Voter\d{4})> poll vote 1 (\w+) ")
SWITCH = re.compile(r"^(\S+> /as Voter\d{4}|You are now Voter\d{4}\.)$")
ACK = re.compile(r"^\(only you\) Recorded your vote on poll #1: (\w+)\.")


def voter(i: int) -> tuple[str, str, str]:
    """Name, choice and reason of voter number i."""
    return f"Voter{i:04d}", CHOICES[i % len(CHOICES)], f"reason {i:04d} ünïcode"


def stored_votes(db: Path) -> dict[str, tuple[str, str]]:
    """display name → (choice, reason) of every vote in poll #1, read straight from the
    file."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT p.display_name, v.choice, v.reason FROM vote v"
            " JOIN poll ON poll.id = v.poll_id AND poll.number = 1"
            " JOIN person p ON v.voter = 'person:' || p.id").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    return {name: (choice, reason) for name, choice, reason in rows}


def test_every_acknowledged_vote_survives_kill_minus_9_of_the_console(tmp_path: Path) -> None:
    db = tmp_path / "coalition.db"
    setup = subprocess.run(
        [str(SCRIPT), "console", "--db", str(db), "--as", "Alice"],
        input='coalition setup "Kill Test" UTC\n'
              # the voters use the bot before the poll opens: its electorate is fixed then
              + "".join(f"/as {voter(i)[0]}\npoll list\n" for i in range(VOTERS))
              + '/as Alice\npoll create Keep the office open? electorate:members '
                'closes:"in 7 days"\n',
        capture_output=True, text=True, encoding="utf-8", cwd=tmp_path, env=console_env(tmp_path),
        timeout=WAIT, check=False)
    assert setup.returncode == 0, setup
    assert "Poll #1: Keep the office open?" in setup.stdout, setup

    rng = random.Random(1009)
    kill_after = [1] + [rng.randint(10, 70) for _ in range(KILLS - 1)]
    assert sum(kill_after) < VOTERS - 1  # each kill comes with votes still to send
    acknowledged: dict[str, tuple[str, str]] = {}
    sent_unacknowledged = 0
    next_voter = 0
    for run in range(KILLS + 1):
        console = Console(tmp_path, db, f"run-{run}")
        console.send("coalition info\n")
        console.wait_for("Goals: none yet")  # the last line of its answer
        # The restarted bot has opened the file: every vote acknowledged before is there.
        stored = stored_votes(db)
        lost = {n: v for n, v in acknowledged.items() if stored.get(n) != v}
        assert not lost, f"run {run}: acknowledged but not stored: {sorted(lost)[:10]}"
        sent_unacknowledged += len(set(stored) - set(acknowledged))

        console.send_in_background("".join(
            f"/as {name}\npoll vote 1 {choice} {reason}\n"
            for name, choice, reason in map(voter, range(next_voter, VOTERS))))
        last = run == KILLS
        target = VOTERS - next_voter if last else kill_after[run]
        # The kill comes right after the target-th acknowledgement is read, or as the next
        # vote is echoed (its transaction starting), or as the next voter is switched to.
        trigger = (ACK, ECHO, SWITCH)[run % 3]
        voting, acks = "", 0
        while True:
            line = console.next_line()
            assert line is not None, f"run {run} ended early: {console.printed[-5:]}"
            if echo := ECHO.match(line):
                voting = echo[1]
            elif ack := ACK.match(line):
                i = int(voting.removeprefix("Voter"))
                name, choice, reason = voter(i)
                assert (voting, ack[1]) == (name, choice), line
                acknowledged[name] = (choice, reason)
                next_voter, acks = i + 1, acks + 1
            else:
                assert SWITCH.match(line), f"unexpected: {line!r}"
            if acks >= target and (last or trigger.match(line)):
                break
        if not last:
            console.kill()  # SIGKILL: no handler, no flush, no goodbye
            assert console.process.returncode == -signal.SIGKILL
        else:
            console.send("poll status 1\n")
            assert console.finish() == 0
            assert any("Quorum: 1000 of 1001 voted" in line for line in console.printed), \
                console.printed[-20:]

    assert len(acknowledged) == VOTERS
    final = stored_votes(db)
    assert final == acknowledged  # each voter once, with the choice and reason sent
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute("SELECT count(*) FROM vote").fetchone()
    conn.close()
    assert count == VOTERS
    # informational: how many votes were committed but not yet acknowledged at a kill
    print(f"{KILLS} kills; {sent_unacknowledged} vote(s) stored but unacknowledged at a kill")
