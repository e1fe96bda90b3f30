"""What one vote asks of the database (issue 15: SQLite keeps its speed). A vote is the
bot's most frequent write; bench/votes_throughput.py measures it. These pin the SQL
statements a vote runs, and that the ones skipped when nothing can match (a proxy to end)
still run when something does."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers import Chat


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
