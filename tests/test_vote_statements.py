"""What one vote asks of the database (issue 15: SQLite keeps its speed). A vote is the
bot's most frequent write; bench/votes_throughput.py measures it. These pin the SQL
statements a vote runs, and that the ones skipped when nothing can match (a proxy to end)
still run when something does."""

from __future__ import annotations

import dataclasses
import sqlite3
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from helpers import Chat

from coalition_bot.commands import grammar
from coalition_bot.rules.text import clean_line
from coalition_bot.store import people as people_sql
from coalition_bot.store import polls as poll_sql
from coalition_bot.store.rows import RowCache


async def traced(chat: Chat, user: str, line: str) -> list[str]:
    """The SQL statements one command ran on the bot's SQLite connection."""
    seen: list[str] = []
    conn = chat.bot.db.conn  # type: ignore[attr-defined]
    await conn.set_trace_callback(lambda sql: seen.append(" ".join(sql.split())))
    try:
        await chat.ok(user, line)
    finally:
        await conn.set_trace_callback(None)
    return seen


def proxies(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT poll_id, voter FROM poll_proxy").fetchall()


@pytest.fixture
async def poll(partners: Chat) -> Chat:
    await partners.ok("Alice", "poll create Join the march?")
    return partners


async def test_a_vote_runs_eight_statements(poll: Chat) -> None:
    """BEGIN, the workspace's coalition, the caller with their standing, the poll, the
    organization, the voter's electorate/vote/proxy, the upsert, COMMIT (it was 13)."""
    first = await traced(poll, "Bob", "poll vote 1 agree")
    change = await traced(poll, "Bob", "poll vote 1 disagree")
    for sql in (first, change):
        assert sql[0] == "BEGIN IMMEDIATE", sql
        assert sql[-1] == "COMMIT", sql
        assert len(sql) == 8, sql
        assert sum(s.startswith("SELECT * FROM poll ") for s in sql) == 1, sql
        assert not any("poll_proxy" in s and s.startswith("DELETE") for s in sql), sql


async def test_the_organizations_own_vote_ends_an_unused_proxy(poll: Chat,
                                                               db_path: Path) -> None:
    await poll.ok("Bob", "poll proxy 1 Alice")
    assert proxies(db_path) == [(1, "org:1")]
    sql = await traced(poll, "Bob", "poll vote 1 agree")
    assert any(s.startswith("DELETE FROM poll_proxy") for s in sql), sql
    assert proxies(db_path) == []
    refused = await poll.say("Alice", 'poll vote 1 disagree org:"Tenants United"')
    assert refused.error
    assert "not a representative of Tenants United" in refused.text


async def test_a_proxy_vote_keeps_the_proxy_and_is_refused_after_the_own_vote(
        poll: Chat, db_path: Path) -> None:
    await poll.ok("Bob", "poll proxy 1 Alice")
    await poll.ok("Alice", 'poll vote 1 agree org:"Tenants United"')
    assert proxies(db_path) == [(1, "org:1")]  # a proxy vote does not end its proxy
    await poll.ok("Bob", "poll vote 1 disagree")  # the own vote overrides it
    assert proxies(db_path) == []


# --- what a vote no longer redoes (issue 15: 0.64 of the floor; the Python per vote) ----

async def test_an_unchanged_poll_row_is_parsed_once_and_a_changed_one_anew(
        poll: Chat) -> None:
    """The poll read by every vote is kept by its row's values: unchanged, the same
    object; edited (or closed), a new one with the new values."""
    async with poll.bot.db.transaction() as conn:
        first = await poll_sql.find_poll(conn, 1, 1)
        again = await poll_sql.find_poll(conn, 1, 1)
    assert first is not None
    assert again is first
    await poll.ok("Alice", 'poll edit 1 question:"Join the big march?"')
    async with poll.bot.db.transaction() as conn:
        edited = await poll_sql.find_poll(conn, 1, 1)
    assert edited is not None
    assert edited is not first
    assert (first.question, edited.question) == ("Join the march?", "Join the big march?")
    await poll.ok("Bob", "poll vote 1 agree")
    status = await poll.ok("Bob", "poll status 1")
    assert status.title == "Poll #1: Join the big march?"


async def test_the_caller_and_coalition_rows_follow_changes(poll: Chat) -> None:
    """The caller's and the workspace's rows are kept while unchanged; a rename or a
    removal is seen by the very next command."""
    await poll.ok("Bob", "poll vote 1 agree")
    renamed = await poll.bot.handle(dataclasses.replace(
        poll.invocation("Bob", "poll vote 1 disagree"), user_name="Robert"))
    assert not renamed.error, renamed.text
    async with poll.bot.db.transaction() as conn:
        found = await people_sql.find_caller(conn, 1, "console", "bob")
    assert found is not None
    assert found[0].display_name == "Robert"
    await poll.ok("Alice", 'coalition rep remove Bob "Tenants United"')
    refused = await poll.say("Bob", "poll vote 1 agree")
    assert refused.error
    assert "only representatives" in str(refused.text), refused.text


def test_row_cache_keeps_at_most_its_size_and_reads_rows_without_a_key() -> None:
    made: list[tuple[int, ...]] = []

    def parse(row: Any) -> tuple[int, ...]:
        made.append(tuple(row))
        return tuple(row)

    cache = RowCache(parse, size=2)
    assert cache((1,)) is cache((1,))
    cache((2,))
    cache((3,))  # (1,) is dropped, the oldest
    cache((1,))
    assert made == [(1,), (2,), (3,), (1,)]
    assert cache(([1],)) == ([1],)  # a list cannot be a key: parsed every time
    with pytest.raises(TypeError):
        RowCache(lambda row: row[0])(None)  # no row: the parser's own error, as before


def test_a_plain_line_splits_as_the_quoted_path_would() -> None:
    """Lines without quotes take a fast path: the same tokens, each word made once."""
    for line in ["poll vote 1 agree", "  poll  vote\t#2  org:Tenants  x:https://a.b ",
                 "coalition goal add Bench the bench", "a:b c: :d", "\u00a0poll\u3000vote\u2003"]:
        fast = grammar.tokenize(line)
        slow = grammar.tokenize(line + ' ""')[:-1]  # a quote takes the character path
        assert [(t.text, t.quoted, t.key, t.raw, t.whole) for t in fast] == \
            [(t.text, t.quoted, t.key, t.raw, t.whole) for t in slow], line
    assert grammar.tokenize("poll vote 1 agree")[1] is grammar.tokenize("poll vote 2 no")[1]


@pytest.mark.parametrize("text", ["Alice", " Ali  ce ", "Ali\nce", "Ali\u202ece", "Ali\tce",
                                  "Ali\u200dce", "\x1b[31mAlice", "Ali\u00a0ce", ""])
def test_clean_line_of_printable_names_is_unchanged_in_meaning(text: str) -> None:
    kept = "".join(" " if unicodedata.category(ch) == "Cc" else ch
                   for ch in text if ch not in "\u202a\u202b\u202c\u202d\u202e"
                   "\u2066\u2067\u2068\u2069")
    assert clean_line(text) == " ".join(kept.split())
