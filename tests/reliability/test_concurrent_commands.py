"""Commands at the same time: a voter counts once however their votes race, and
coalitions never see each other's data.

Races are run three ways: many `Bot.handle` calls on one bot at once (one connection,
the database's lock orders them); two bots on one file (two connections: SQLite's own
locking and busy timeout order them); two `coalition-bot console` processes on one file.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

from helpers import MovableClock, field, text_of
from reliability_support import SCRIPT, WAIT, Console, console_env

from coalition_bot.bot import Bot
from coalition_bot.dispatch import APOLOGY
from coalition_bot.replies import Invocation, Reply
from coalition_bot.services.people import console_user_id

CHOICES = ("agree", "abstain", "disagree")  # a majority proposal: no block choice
MEMBERS = [f"Member{i:03d}" for i in range(100)]


def said(user: str, line: str, workspace: str = "local") -> Invocation:
    return Invocation(platform="console", workspace_id=workspace, channel_id="console",
                      user_id=console_user_id(user), user_name=user, line=line)


async def run(bot: Bot, user: str, line: str, workspace: str = "local") -> Reply:
    reply = await bot.handle(said(user, line, workspace))
    assert not reply.error, f"{line!r} failed: {reply.text}"
    return reply


def rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def votes(db: Path, poll: int) -> list[tuple[str, str | None, int]]:
    """(voter, choice, changes) of every vote row of poll number `poll`."""
    return rows(db, "SELECT v.voter, v.choice, v.changes FROM vote v JOIN poll p"
                    " ON p.id = v.poll_id WHERE p.number = ? ORDER BY v.voter", (poll,))


def anonymous_total(db: Path, poll: int) -> int:
    return rows(db, "SELECT coalesce(sum(t.votes), 0) FROM anonymous_tally t JOIN poll p"
                    " ON p.id = t.poll_id WHERE p.number = ?", (poll,))[0][0]


async def open_bot(db: Path) -> Bot:
    return await Bot.open(db, clock=MovableClock())


async def member_polls(bot: Bot) -> None:
    """Poll #1 a member poll, #2 an anonymous member poll, both with Alice and the 100
    members in their electorate (fixed when a poll opens: the members known then)."""
    await run(bot, "Alice", 'coalition setup "Race Test" UTC')
    for name in MEMBERS:
        await run(bot, name, "poll list")
    await run(bot, "Alice", "poll create Keep the office? electorate:members")
    await run(bot, "Alice", "poll create Secret ballot? electorate:members anonymous:yes")


# --- one voter, many votes at once -------------------------------------------------------


async def test_a_hundred_votes_at_once_for_one_organization_count_once(tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    bot = await open_bot(db)
    try:
        await run(bot, "Alice", 'coalition setup "Race Test" UTC')
        await run(bot, "Alice", 'coalition org add "Tenants United"')
        await run(bot, "Alice", 'coalition org add "Climate Now"')
        await run(bot, "Alice", 'coalition rep add Bob "Tenants United"')
        await run(bot, "Alice", 'coalition rep add Bea "Tenants United"')
        await run(bot, "Alice", "poll create Join the march?")
        # two representatives of one organization, 100 votes between them, all at once
        replies = await asyncio.gather(*(
            bot.handle(said(("Bob", "Bea")[i % 2], f"poll vote 1 {CHOICES[i % 3]} try {i}"))
            for i in range(100)))
        assert [r for r in replies if r.error] == []
        assert sum("Recorded Tenants United's vote" in r.text for r in replies) == 1
        assert sum("Changed Tenants United's vote" in r.text for r in replies) == 99
        (org_vote,) = votes(db, 1)  # one row for the organization
        assert org_vote[2] == 99  # every vote after the first replaced it
        status = await run(bot, "Alice", "poll status 1")
        assert field(status, "Quorum").startswith("1 of 2 voted"), text_of(status)
        tally = dict(re.findall(r"(\w+): (\d+)", field(status, "Tally")))
        assert sorted(tally) == sorted(CHOICES)
        assert sum(map(int, tally.values())) == 1
    finally:
        await bot.close()


async def test_double_votes_of_a_hundred_members_at_once_count_once_each(
        tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    bot = await open_bot(db)
    try:
        await member_polls(bot)
        people = [f"Member{i:03d}" for i in range(100)]
        replies = await asyncio.gather(*(
            bot.handle(said(name, f"poll vote {poll} {choice} confirm:yes"))
            for name in people for poll in (1, 2) for choice in ("agree", "disagree")))
        assert not [r.text for r in replies if r.error and APOLOGY in r.text]
        public = votes(db, 1)
        assert len(public) == 100
        assert {changes for _, _, changes in public} == {1}
        # anonymous: the second vote of each member is refused, the first one counted
        assert len(votes(db, 2)) == 100
        assert anonymous_total(db, 2) == 100
        refused = [r for r in replies if r.error]
        assert len(refused) == 100, [r.text for r in refused[:3]]
        assert all("has already voted in anonymous poll #2" in r.text for r in refused)
    finally:
        await bot.close()


async def test_two_bots_on_one_file_racing_double_votes_count_each_voter_once(
        tmp_path: Path) -> None:
    """Two connections: the transactions of one bot do not wait for the other's lock but
    for SQLite's (BEGIN IMMEDIATE, busy timeout)."""
    db = tmp_path / "race.db"
    first = await open_bot(db)
    second = await open_bot(db)
    try:
        await member_polls(first)
        people = [f"Member{i:03d}" for i in range(100)]
        replies = await asyncio.gather(*(
            bot.handle(said(name, f"poll vote {poll} {choice} confirm:yes"))
            for name in people for poll in (1, 2)
            for bot, choice in ((first, "agree"), (second, "disagree"))))
        assert not [r.text for r in replies if r.error and APOLOGY in r.text]
        public = votes(db, 1)
        assert len(public) == 100, len(public)
        assert {changes for _, _, changes in public} == {1}  # no lost update, no second row
        assert len(votes(db, 2)) == 100
        assert anonymous_total(db, 2) == 100
        refused = [r for r in replies if r.error]
        assert len(refused) == 100
        assert all("has already voted in anonymous poll #2" in r.text for r in refused)
        status = await run(second, "Alice", "poll status 1")
        assert field(status, "Quorum").startswith("100 of 101 voted"), text_of(status)
    finally:
        await first.close()
        await second.close()


def test_two_console_processes_racing_double_votes_count_each_voter_once(
        tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    setup = subprocess.run(
        [str(SCRIPT), "console", "--db", str(db), "--as", "Alice"],
        input='coalition setup "Race Test" UTC\n'
              + "".join(f"/as {name}\npoll list\n" for name in MEMBERS)  # the electorate
              + "/as Alice\npoll create Keep the office? electorate:members\n"
              "poll create Secret ballot? electorate:members anonymous:yes\n",
        capture_output=True, text=True, encoding="utf-8", cwd=tmp_path,
        env=console_env(tmp_path), timeout=WAIT, check=False)
    assert setup.returncode == 0, setup
    assert "Poll #2: Secret ballot?" in setup.stdout, setup
    consoles = {choice: Console(tmp_path, db, choice) for choice in ("agree", "disagree")}
    for console in consoles.values():  # both started and answering before any vote
        console.send("coalition info\n")
        console.wait_for("Goals: none yet")
    for choice, console in consoles.items():
        console.send_in_background("".join(
            f"/as Member{i:03d}\npoll vote 1 {choice}\npoll vote 2 {choice} confirm:yes\n"
            for i in range(100)), then_close=True)
    for console in consoles.values():
        assert console.finish() == 0, console.errors()
    printed = [line for c in consoles.values() for line in c.printed]
    assert not [line for line in printed if APOLOGY[:30] in line], consoles["agree"].errors()
    outcomes = Counter(outcome(line) for line in printed if outcome(line))
    assert outcomes == {"recorded #1": 100, "changed #1": 100, "recorded #2": 100,
                        "refused #2": 100}, outcomes
    public = votes(db, 1)
    assert len(public) == 100
    assert {changes for _, _, changes in public} == {1}
    assert len(votes(db, 2)) == 100
    assert anonymous_total(db, 2) == 100


def outcome(line: str) -> str:
    """What a printed line says happened to a vote, or ''."""
    if done := re.match(r"\(only you\) (Recorded|Changed) your vote on poll #(\d)", line):
        return f"{done[1].lower()} #{done[2]}"
    if re.match(r"! Member\d{3} has already voted in anonymous poll #2\.", line):
        return "refused #2"
    return ""


# --- coalitions side by side ----------------------------------------------------------


def marked(k: int) -> dict[str, str]:
    """Names of coalition k's things, each carrying the mark `kNN` (and nothing else
    that looks like one)."""
    return {kind: f"{kind} k{k:02d}" for kind in
            ("Coalition", "Org", "Goal", "Question", "Meeting", "Role", "topic", "Rep")}


def workspace(k: int) -> tuple[str, str, str, str]:
    """Platform, workspace id, coordinator id, representative mention of coalition k:
    Slack and Discord alternate, and workspace ids repeat across the two platforms."""
    if k % 2:
        return "slack", f"T{k // 2:03d}", "U0ALICE", "<@U0REP>"
    return "discord", f"T{k // 2:03d}", "600000000000000001", "<@600000000000000002>"


async def as_coordinator(bot: Bot, k: int, line: str) -> Reply:
    platform, team, alice, rep = workspace(k)
    inv = Invocation(platform=platform, workspace_id=team, channel_id=f"C{k}",
                     user_id=alice, user_name="Alice", line=line,
                     user_names={rep.strip("<@>"): marked(k)["Rep"]})
    return await bot.handle(inv)


MARK = re.compile(r"k(\d\d)\b")


async def test_fifty_coalitions_at_once_never_see_each_others_data(tmp_path: Path) -> None:
    bot = await open_bot(tmp_path / "tenants.db")
    try:
        def setup_steps(k: int) -> list[str]:
            m, (_, _, _, rep) = marked(k), workspace(k)
            return [f'coalition setup "{m["Coalition"]}" UTC',
                    f'coalition org add "{m["Org"]}"',
                    f'coalition rep add {rep} "{m["Org"]}"',
                    f'coalition goal add {m["Goal"]}',
                    f'poll create {m["Question"]}?',
                    f'meeting schedule "{m["Meeting"]}" "2026-12-01 18:00" every:weekly',
                    f'role create "{m["Role"]}"',
                    f'role assign "{m["Role"]}" {rep}',
                    f'topic add {m["topic"]}',
                    f'poll vote 1 agree org:"{m["Org"]}"',  # Alice is no rep: refused
                    "poll close 1 confirm:yes"]
        steps = {k: setup_steps(k) for k in range(50)}
        for step in range(len(steps[0])):  # each step in all 50 coalitions at once
            replies = await asyncio.gather(*(as_coordinator(bot, k, steps[k][step])
                                             for k in range(50)))
            for k, reply in enumerate(replies):
                if "poll vote" not in steps[k][step]:
                    assert not reply.error, f"{k}: {steps[k][step]}: {reply.text}"
                assert set(MARK.findall(text_of(reply))) <= {f"{k:02d}"}, (k, reply)

        reads = ["coalition info", "coalition org list", "coalition goals", "coalition log",
                 "coalition export decisions json", "poll list all", "poll status 1",
                 "meeting list", "meeting info 1", "meeting ical", "role list",
                 "role workload", "topic list"]
        jobs = [(k, line) for line in reads for k in range(50)]
        replies = await asyncio.gather(*(as_coordinator(bot, k, line) for k, line in jobs))
        for (k, line), reply in zip(jobs, replies, strict=True):
            assert not reply.error, f"{k}: {line}: {reply.text}"
            seen = text_of(reply) + "".join(f.content for f in reply.files)
            others = set(MARK.findall(seen)) - {f"{k:02d}"}
            assert not others, f"coalition {k} saw coalitions {sorted(others)} in {line!r}"
            assert f"k{k:02d}" in seen, f"coalition {k} did not see its own data: {line!r}"
    finally:
        await bot.close()
