"""One coalition across workspaces: `/coalition link` gives a one-time code, and
`/coalition connect CODE` in another Slack workspace or Discord server binds it to the
same coalition. Organizations, polls, meetings and goals are shared; people stay per
workspace; each organization still has one vote.

"Another workspace" here is a second console workspace, or an invocation from another
platform built the way its adapter builds it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import Chat, MovableClock, field, refused_without_change, snapshot, text_of

from coalition_bot.replies import Invocation

CODE = re.compile(r"`([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})`")


async def link_code(coalition: Chat) -> str:
    reply = await coalition.ok("Alice", "coalition link")
    assert reply.private
    assert reply.title == "Link code for another workspace"
    found = CODE.search(reply.text)
    assert found, reply.text
    return found[1]


@pytest.fixture
def hall(coalition: Chat) -> Chat:
    """The same bot, seen from another workspace's #hall channel."""
    return replace(coalition, workspace="northside", channel="hall")


async def test_a_second_workspace_joins_with_a_code_and_shares_the_coalition(
        coalition: Chat, hall: Chat) -> None:
    code = await link_code(coalition)
    coalition.outlet.posted.clear()
    joined = await hall.ok("Erin", f"coalition connect {code}")
    assert joined.private
    assert joined.title == "This workspace is now part of Eastside Tenants"
    # both home channels hear of it
    assert sorted(where for where, _ in coalition.outlet.posted) == ["console", "hall"]
    (_, notice), _ = coalition.outlet.posted
    assert notice.title == "Eastside Tenants is now also on the console"
    assert "Connected by Erin" in notice.text
    # Erin coordinates there; what she adds is the coalition's
    await hall.ok("Erin", 'coalition org add "Northside Renters"')
    orgs = await coalition.ok("Bob", "coalition org list")
    assert "#3 Northside Renters" in [f.name for f in orgs.fields]
    info = await hall.ok("Erin", "coalition info")
    assert field(info, "Home channel") == "this channel"
    assert field(info, "Coordinators") == "Alice, Erin"


async def test_one_organization_one_vote_across_workspaces(coalition: Chat, hall: Chat) -> None:
    await hall.ok("Erin", f"coalition connect {await link_code(coalition)}")
    await hall.ok("Erin", 'coalition rep add Frank "Tenants United"')  # a second rep, there
    await coalition.ok("Alice", "poll create Join the May Day march?")
    await coalition.ok("Bob", "poll vote 1 agree")
    changed = await hall.ok("Frank", "poll vote 1 disagree")
    assert "Tenants United" in text_of(changed)
    status = text_of(await coalition.ok("Alice", "poll status 1"))
    assert "1 of 2" in status, status  # still one organization's vote


async def test_info_names_the_other_platforms(coalition: Chat) -> None:
    code = await link_code(coalition)
    discord = Invocation(platform="discord", workspace_id="123456789012345678",
                         channel_id="223456789012345678", user_id="323456789012345678",
                         user_name="Erin", line=f"coalition connect {code}")
    reply = await coalition.bot.handle(discord)
    assert not reply.error, reply.text
    info = await coalition.ok("Bob", "coalition info")
    assert field(info, "Also on") == "Discord"
    there = await coalition.bot.handle(replace(discord, line="coalition info"))
    assert field(there, "Also on") == "the console"


async def test_a_code_works_once(coalition: Chat, hall: Chat, db_path: Path) -> None:
    code = await link_code(coalition)
    await hall.ok("Erin", f"coalition connect {code}")
    third = replace(coalition, workspace="southside")
    message = await refused_without_change(third, db_path, "Gus", f"coalition connect {code}")
    assert "used already" in message
    assert "/coalition link" in message


async def test_a_code_expires_after_a_day(coalition: Chat, hall: Chat, clock: MovableClock,
                                          db_path: Path) -> None:
    code = await link_code(coalition)
    clock.now += timedelta(hours=24, seconds=1)
    message = await refused_without_change(hall, db_path, "Erin", f"coalition connect {code}")
    assert "24 hours" in message


async def test_a_code_is_read_in_any_case_with_or_without_dashes(coalition: Chat,
                                                                 hall: Chat) -> None:
    code = await link_code(coalition)
    await hall.ok("Erin", f"coalition connect {code.replace('-', '').lower()}")


@pytest.mark.parametrize("line", [
    "coalition connect ABCD-EFGH-JKMN",  # never issued
    "coalition connect",  # no code
    'coalition connect "@everyone <!channel> <@&123456789012345678>"',
])
async def test_a_wrong_or_missing_code_changes_nothing_and_is_not_echoed(
        coalition: Chat, hall: Chat, db_path: Path, line: str) -> None:
    await link_code(coalition)
    message = await refused_without_change(hall, db_path, "Erin", line)
    assert "ABCD" not in message
    assert "everyone" not in message
    assert "<" not in message


async def test_a_workspace_already_in_a_coalition_cannot_connect_and_keeps_the_code_unspent(
        coalition: Chat, hall: Chat, db_path: Path) -> None:
    code = await link_code(coalition)
    await hall.ok("Erin", 'coalition setup "Northside Coalition"')
    message = await refused_without_change(hall, db_path, "Erin", f"coalition connect {code}")
    assert "already belongs to the coalition `Northside Coalition`" in message
    await replace(coalition, workspace="southside").ok("Gus", f"coalition connect {code}")


async def test_only_a_coordinator_makes_a_code(coalition: Chat, db_path: Path) -> None:
    message = await refused_without_change(coalition, db_path, "Bob", "coalition link")
    assert "coordinator" in message


async def test_only_a_hash_of_the_code_is_stored(coalition: Chat, db_path: Path) -> None:
    code = await link_code(coalition)
    await coalition.bot.close()
    stored = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    for form in (code, code.replace("-", "")):
        assert form.encode() not in stored
    assert snapshot(db_path)["link_code"]




# --- taking a workspace out --------------------------------------------------------------


async def test_a_coordinator_lists_the_workspaces_and_disconnects_one(
        coalition: Chat, hall: Chat, db_path: Path) -> None:
    await hall.ok("Erin", f"coalition connect {await link_code(coalition)}")
    listed = await coalition.ok("Alice", "coalition workspaces")
    assert listed.private
    assert [(f.name, f.value) for f in listed.fields] == [
        ("#1 console workspace local (this one)", "home channel console"),
        ("#2 console workspace northside", "home channel hall")]
    coalition.outlet.posted.clear()
    gone = await coalition.ok("Alice", "coalition disconnect #2")
    assert gone.text == "Disconnected console workspace northside."
    [(where, notice)] = coalition.outlet.posted  # only the workspace that stays hears it
    assert where == "console"
    assert notice.title == (
        "console workspace northside left Eastside Tenants")
    reply = await hall.say("Erin", "coalition info")
    assert reply.error
    assert "no coalition here" in reply.text
    # the link works again with a new code; Erin's record was kept
    await hall.ok("Erin", f"coalition connect {await link_code(coalition)}")


@pytest.mark.parametrize(("user", "line", "expected"), [
    ("Alice", "coalition disconnect 1", "That is this workspace"),
    ("Alice", "coalition disconnect 3", "no workspace #3"),
    ("Bob", "coalition disconnect 2", "coordinator"),
    ("Bob", "coalition workspaces", "coordinator"),
    ("Alice", "coalition disconnect second", "must be a number like #2, not `second`"),
])
async def test_a_disconnection_that_cannot_be_done_changes_nothing(
        coalition: Chat, hall: Chat, db_path: Path, user: str, line: str,
        expected: str) -> None:
    await hall.ok("Erin", f"coalition connect {await link_code(coalition)}")
    assert expected in await refused_without_change(coalition, db_path, user, line)
