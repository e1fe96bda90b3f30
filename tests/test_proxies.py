"""Proxies: an organization's vote in one poll, handed to another organization's
representative or a coordinator; no chains, the organization's own vote overrides it,
no block by proxy, revocable until used, counted in the result."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers import Chat, snapshot


def vote_rows(db_path: Path) -> list[tuple]:
    """(organization, cast by, choice, by proxy) of poll #1's votes."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT o.name, p.display_name, v.choice, v.by_proxy FROM vote v"
            " JOIN org o ON o.id = v.org_id JOIN person p ON p.id = v.cast_by"
            " ORDER BY o.number").fetchall()


async def refused(chat: Chat, db_path: Path, user: str, line: str) -> str:
    before = snapshot(db_path)
    reply = await chat.say(user, line)
    assert reply.error, reply.text
    assert snapshot(db_path) == before
    return reply.text


@pytest.fixture
async def march(coalition: Chat) -> Chat:
    """Bob: Tenants United; Dan: Climate Now; Erin: Food Bank; Alice coordinates."""
    await coalition.ok("Alice", 'coalition org add "Food Bank"')
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await coalition.ok("Alice", 'coalition rep add Erin "Food Bank"')
    await coalition.ok("Eve", "coalition info")
    await coalition.ok("Alice", "poll create Join the march?")
    return coalition


async def test_a_proxy_vote_is_cast_recorded_and_counted_in_the_result(
        march: Chat, db_path: Path) -> None:
    reply = await march.ok("Bob", "poll proxy 1 Dan")
    assert reply.text.startswith("Dan now holds Tenants United's vote in poll #1")
    (_, told), = march.outlet.private
    assert told.title == "You hold Tenants United's vote in poll #1"
    voted = await march.ok("Dan", 'poll vote 1 agree org:"Tenants United"')
    assert voted.text.startswith("Recorded Tenants United's proxy vote on poll #1: agree.")
    await march.ok("Dan", "poll vote 1 agree")
    assert vote_rows(db_path) == [("Tenants United", "Dan", "agree", 1),
                                  ("Climate Now", "Dan", "agree", 0)]
    status = await march.ok("Eve", "poll status 1")
    assert "Tenants United: agree (by Dan, by proxy)" in status.fields[1].value
    await march.ok("Alice", "poll close 1")
    notice = march.notices[-1]
    assert "(2 of 3 voted). 1 vote(s) cast by proxy." in notice.text
    log = await march.ok("Eve", "coalition log")
    assert "Tenants United: agree (by Dan, by proxy)" in log.fields[0].value
    chain = json.loads((await march.ok("Eve", "coalition export log")).files[0].content)
    votes = chain["entries"][-1]["entry"]["votes"]
    assert [v.get("by_proxy", False) for v in votes] == [True, False]


async def test_a_proxy_cannot_be_passed_on(march: Chat, db_path: Path) -> None:
    await march.ok("Bob", "poll proxy 1 Dan")
    message = await refused(march, db_path, "Dan", 'poll proxy 1 Erin org:"Tenants United"')
    assert message.startswith("You hold Tenants United's proxy; only its own representatives "
                              "can hand its vote on. A proxy cannot be passed on.")


async def test_the_organizations_own_vote_overrides_the_proxy(march: Chat,
                                                              db_path: Path) -> None:
    await march.ok("Bob", "poll proxy 1 Dan")
    await march.ok("Dan", 'poll vote 1 agree org:"Tenants United"')
    await march.ok("Bob", "poll vote 1 disagree")
    assert vote_rows(db_path) == [("Tenants United", "Bob", "disagree", 0)]
    message = await refused(march, db_path, "Dan", 'poll vote 1 agree org:"Tenants United"')
    assert "You are not a representative of Tenants United" in message  # the proxy ended


async def test_a_proxy_vote_after_the_organization_voted_is_refused(
        march: Chat, db_path: Path) -> None:
    await march.ok("Bob", "poll vote 1 disagree")
    message = await refused(march, db_path, "Bob", "poll proxy 1 Dan")
    assert message.startswith("Tenants United has voted in poll #1 already")


async def test_a_proxy_cannot_block(march: Chat, db_path: Path) -> None:
    await march.ok("Alice", "poll create Endorse the ordinance? rule:consensus")
    await march.ok("Bob", "poll proxy 2 Dan")
    message = await refused(march, db_path, "Dan", 'poll vote 2 block org:"Tenants United"')
    assert message.startswith("A proxy cannot block")
    await march.ok("Dan", 'poll vote 2 disagree org:"Tenants United"')


async def test_a_proxy_is_revoked_until_it_is_used(march: Chat, db_path: Path) -> None:
    await march.ok("Bob", "poll proxy 1 Dan")
    reply = await march.ok("Bob", "poll proxy-revoke 1")
    assert reply.text == "Dan no longer holds Tenants United's vote in poll #1."
    await refused(march, db_path, "Dan", 'poll vote 1 agree org:"Tenants United"')
    await march.ok("Bob", "poll proxy 1 Dan")
    await march.ok("Dan", 'poll vote 1 agree org:"Tenants United"')
    message = await refused(march, db_path, "Bob", "poll proxy-revoke 1")
    assert message.startswith("Dan has cast Tenants United's vote by proxy; it can no longer "
                              "be revoked.")


async def test_a_coordinator_with_no_organization_holds_and_casts_a_proxy(
        march: Chat, db_path: Path) -> None:
    await march.ok("Bob", "poll proxy 1 Alice")
    await march.ok("Alice", "poll vote 1 abstain")  # her one proxy: no org: needed
    assert vote_rows(db_path) == [("Tenants United", "Alice", "abstain", 1)]


@pytest.mark.parametrize(("holder", "expected"), [
    ("Eve", "Eve is neither another organization's representative nor a coordinator"),
    ("Carol", "Carol represents Tenants United already"),
    ("Bob", "You cannot give a proxy to yourself."),
])
async def test_a_proxy_goes_only_to_another_organizations_representative_or_a_coordinator(
        march: Chat, db_path: Path, holder: str, expected: str) -> None:
    await march.ok("Alice", 'coalition rep add Carol "Tenants United"')
    assert expected in await refused(march, db_path, "Bob", f"poll proxy 1 {holder}")


async def test_no_proxy_in_anonymous_or_member_polls(march: Chat, db_path: Path) -> None:
    await march.ok("Alice", "poll create Secret? anonymous:yes")
    assert "anonymous" in await refused(march, db_path, "Bob", "poll proxy 2 Dan")
    await march.ok("Alice", "poll create Pizza? electorate:members")
    assert "member poll" in await refused(march, db_path, "Bob", "poll proxy 3 Dan")
