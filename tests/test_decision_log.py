"""The tamper-evident decision log: a hash chain per coalition, checked by the bot, by
`coalition-bot verify-log`, and by a partner's own few lines of code (README)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from console_support import SCRIPT
from helpers import Chat, MovableClock, RecordingOutlet

from coalition_bot.bot import Bot


def execute(db_path: Path, sql: str, params: tuple = ()) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute(sql, params)


def head_of(text: str) -> str:
    """The short head hash a decision notice ends with."""
    match = re.search(r"\nDecision log head: ([0-9a-f]{12})$", text)
    assert match, text
    return match[1]


@pytest.fixture
async def decided(coalition: Chat) -> Chat:
    """Two closed polls: #1 passed (decision #1), #2 failed (decision #2)."""
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await coalition.ok("Alice", "poll create Join the march?")
    await coalition.ok("Bob", "poll vote 1 agree Twenty of us can come")
    await coalition.ok("Dan", "poll vote 1 agree")
    await coalition.ok("Alice", "poll close 1 confirm:yes")
    await coalition.ok("Alice", "poll create Fund the bus?")
    await coalition.ok("Bob", "poll vote 2 disagree")
    await coalition.ok("Dan", "poll vote 2 disagree")
    await coalition.ok("Alice", "poll close 2 confirm:yes")
    return coalition


async def test_an_untouched_log_verifies_with_the_head_of_the_last_decision_notice(
        decided: Chat) -> None:
    last = decided.notices[-1]
    assert last.title == "Poll #2 closed: failed"
    reply = await decided.ok("Eve", "coalition log verify")
    assert reply.title == "The decision log is intact"
    # setup's coordinator, two organizations, two decisions
    assert reply.text.startswith(f"All 5 entries check out. Head: {head_of(last.text)} (")


async def test_every_decision_notice_ends_with_the_head_as_it_was_then(decided: Chat) -> None:
    first, second = (n for n in decided.notices if "closed" in n.title)
    assert head_of(first.text) != head_of(second.text)


async def test_a_changed_vote_then_a_changed_decision_are_named(decided: Chat,
                                                                db_path: Path) -> None:
    execute(db_path, "UPDATE vote SET choice = 'agree' WHERE voter LIKE 'org:%' AND poll_id ="
                     " (SELECT id FROM poll WHERE number = 2) AND choice = 'disagree'"
                     " AND cast_by = (SELECT id FROM person WHERE display_name = 'Bob')")
    reply = await decided.ok("Eve", "coalition log verify")
    assert reply.title == "The decision log does not verify"
    assert reply.text.startswith("Entry 5, decision #2 (Fund the bus?), does not match: the "
                                 "decision in the database no longer matches it (changed: "
                                 "votes).")
    assert "The 4 entries before it check out." in reply.text
    execute(db_path, "UPDATE decision SET outcome = 'failed' WHERE number = 1")
    reply = await decided.ok("Eve", "coalition log verify")
    assert reply.text.startswith("Entry 4, decision #1 (Join the march?), does not match: "
                                 "the decision in the database no longer matches it (changed: "
                                 "outcome).")


async def test_a_rewritten_entry_breaks_the_link_to_the_next(decided: Chat,
                                                             db_path: Path) -> None:
    """Someone who rewrites an entry and its hash still breaks the entry after it."""
    with sqlite3.connect(db_path) as conn:
        body, prev = conn.execute("SELECT body, prev_hash FROM log_entry WHERE seq = 2"
                                  ).fetchone()
        forged = body.replace("Tenants United", "Tenants Divided")
        conn.execute("UPDATE log_entry SET body = ?, hash = ? WHERE seq = 2",
                     (forged, hashlib.sha256(f"{prev}\n{forged}".encode()).hexdigest()))
    reply = await decided.ok("Eve", "coalition log verify")
    assert reply.text.startswith("Entry 3, organization added: Climate Now, does not match: "
                                 "it does not follow the entry before it")


async def test_a_decision_added_by_hand_is_named(decided: Chat, db_path: Path) -> None:
    execute(db_path, "INSERT INTO decision (coalition_id, number, question, rule, outcome,"
                     " summary, tallies, voters, electorate, voted, quorum_met, anonymous,"
                     " decided_at, closed_by) VALUES (1, 3, 'Q', 'coordinator', 'passed', '',"
                     " '{}', '[]', 0, 0, 0, 0, '2026-11-23T15:00:00+00:00', 'Mallory')")
    reply = await decided.ok("Eve", "coalition log verify")
    assert reply.text.startswith("The log's decision #3 does not match: no entry of the "
                                 "chain covers it: it was added outside the bot.")


def independent_check(export: dict) -> str:
    """A partner's verifier, written from README.md's "Checking the decision log" only."""
    prev = "0" * 64
    for number, item in enumerate(export["entries"], start=1):
        assert item["seq"] == number
        assert item["prev_hash"] == prev
        text = json.dumps(item["entry"], sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False)
        prev = hashlib.sha256((prev + "\n" + text).encode("utf-8")).hexdigest()
        assert item["hash"] == prev, f"entry {number} does not match"
    assert export["head"] == prev
    return prev


async def test_the_exported_log_verifies_with_independent_code(decided: Chat) -> None:
    reply = await decided.ok("Eve", "coalition export log")
    (file,) = reply.files
    assert file.filename.endswith(".json")
    export = json.loads(file.content)
    head = independent_check(export)
    assert head.startswith(head_of(decided.notices[-1].text))
    kinds = [e["kind"] for e in export["entries"]]
    assert kinds == ["coordinator-added", "org-added", "org-added", "decision", "decision"]
    votes = export["entries"][3]["entry"]["votes"]
    assert [(v["choice"], v["reason"]) for v in votes] == [
        ("agree", "Twenty of us can come"), ("agree", None)]
    export["entries"][3]["entry"]["outcome"] = "failed"  # a doctored copy fails
    with pytest.raises(AssertionError, match="entry 4 does not match"):
        independent_check(export)


async def test_the_decisions_export_carries_each_entrys_hash(decided: Chat) -> None:
    reply = await decided.ok("Eve", "coalition export decisions json")
    records = json.loads(reply.files[0].content)
    log = json.loads((await decided.ok("Eve", "coalition export log")).files[0].content)
    assert [(r["log_entry"], r["hash"]) for r in records] == [
        (e["seq"], e["hash"]) for e in log["entries"] if e["kind"] == "decision"]


def verify_log(db_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COALITION_BOT")}
    return subprocess.run([str(SCRIPT), "verify-log", "--db", str(db_path)],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


async def test_verify_log_on_the_command_line_exits_1_naming_the_entry(
        decided: Chat, db_path: Path) -> None:
    intact = verify_log(db_path)
    assert intact.returncode == 0, intact.stderr
    head = head_of(decided.notices[-1].text)
    assert intact.stdout.startswith(f"Eastside Tenants: intact, 5 entries, head {head} (")
    execute(db_path, "UPDATE vote SET reason = 'We never said that' WHERE reason IS NOT NULL")
    broken = verify_log(db_path)
    assert broken.returncode == 1
    assert broken.stdout == ("Eastside Tenants: BROKEN at entry 4, decision #1 (Join the "
                             "march?), does not match: the decision in the database no "
                             "longer matches it (changed: votes)\n")


def test_verify_log_names_a_missing_file(tmp_path: Path) -> None:
    done = verify_log(tmp_path / "nothing.db")
    assert done.returncode == 2
    assert done.stderr == f"coalition-bot: {tmp_path / 'nothing.db'}: no such database file\n"
    assert not (tmp_path / "nothing.db").exists()


async def test_decisions_from_before_the_chain_are_chained_at_the_first_verify(
        db_path: Path, clock: MovableClock) -> None:
    bot = await Bot.open(db_path, clock=clock)
    chat = Chat(bot, RecordingOutlet("console"))
    await chat.ok("Alice", 'coalition setup "Eastside Tenants"')
    await chat.ok("Alice", 'coalition org add "Tenants United"')
    await chat.ok("Alice", 'topic add "electoral endorsements"')
    await chat.ok("Alice", "topic remove electoral endorsements")
    await bot.close()
    with sqlite3.connect(db_path) as conn:  # the file as the release before 0015 left it
        conn.executescript("DROP TABLE log_entry; DELETE FROM schema_migration"
                           " WHERE version = 15;")
    bot = await Bot.open(db_path, clock=clock)
    chat = Chat(bot, RecordingOutlet("console"))
    try:
        reply = await chat.ok("Bob", "coalition log verify")
        assert reply.text.startswith("All 2 entries check out.")
        await chat.ok("Alice", 'coalition org add "Climate Now"')
        log = json.loads((await chat.ok("Bob", "coalition export log")).files[0].content)
        assert [(e["kind"], e["entry"].get("decision")) for e in log["entries"]] == [
            ("decision", 1), ("decision", 2), ("org-added", None)]
        independent_check(log)
    finally:
        await bot.close()
