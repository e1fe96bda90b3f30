"""Every command group through the real discord.py client, command tree and adapter.

Interactions arrive over the fake gateway as Discord sends them (nested subcommand
options, resolved members); the answers are read from the REST calls the client made.
The clock starts on Monday 23 November 2026, 15:00 UTC (10:00 in New York).
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fake_discord import ALICE, BOB, CHANNEL_ID, CHEN, ERIN, GUILD_ID, Answer, World

from coalition_bot.adapters.discord.tree import build_groups
from coalition_bot.commands.registry import COMMANDS


def stamp(*args: int) -> int:
    """A New York wall time as the Unix time Discord timestamps carry."""
    return int(datetime(*args, tzinfo=ZoneInfo("America/New_York")).timestamp())


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


async def test_every_command_of_the_registry_is_a_group_on_discord(world: World) -> None:
    names = [c.name for c in world.door.client.tree.get_commands()]
    assert names == list(COMMANDS)  # /topic too: groups come from the registry
    assert "topic" in names


async def test_coalition_setup_org_rep_join_goals(world: World) -> None:
    setup = await world.ok("coalition setup", name="Eastside Tenants",
                           timezone="America/New_York")
    assert not setup.ephemeral
    assert "Coalition Eastside Tenants is set up" in setup.text
    assert "`/coalition org add NAME`" in setup.text  # the core's code spans are kept
    await world.ok("coalition org add", name="Tenants United")
    observer = await world.ok("coalition org add", name="City Library Friends", observer=True)
    assert "observer" in observer.text
    rep = await world.ok("coalition rep add", user=BOB, org="Tenants United")
    assert "Bob now represents Tenants United" in rep.text  # display name from the member
    joined = await world.ok("coalition join", org="#2", by=CHEN)
    assert joined.ephemeral
    assert "You are with City Library Friends" in joined.text
    orgs = await world.ok("coalition org list", by=ERIN)
    assert "#1 Tenants United" in orgs.text
    assert "Bob" in orgs.text
    await world.ok("coalition goal add", text="Pass the rent stabilization ordinance")
    update = await world.ok("coalition goal update", goal="#1", status="in-progress",
                            note="Hearing set for March 3", by=BOB)
    assert "Goal #1: in-progress" in update.text
    goals = await world.ok("coalition goals")
    assert "Hearing set for March 3" in goals.text
    info = await world.ok("coalition info")
    assert f"<#{CHANNEL_ID}>" in info.text  # a link to the home channel: this one
    people = rows(world.db_path, "SELECT platform, platform_user_id, display_name FROM person"
                                 " ORDER BY id")
    assert ("discord", str(BOB.id), "Bob") in people
    assert ("discord", str(ALICE.id), "Alice") in people


async def test_coalition_log_and_export_as_a_file(world: World) -> None:
    await world.coalition()
    await world.ok("poll create", question="Join the march?")
    await world.ok("poll vote", poll="1", choice="agree", by=BOB)
    await world.ok("poll close", poll="#1", confirm="yes")
    log = await world.ok("coalition log show", count=3)  # `log` is also a group: log verify
    assert "Join the march?" in log.text
    assert "passed" in log.text
    verified = await world.ok("coalition log verify")
    assert "The decision log is intact" in verified.text
    export = await world.ok("coalition export", what="decisions", format="json")
    assert export.ephemeral
    ((name, content),) = export.files.items()
    assert name.startswith("decisions")
    assert name.endswith(".json")
    assert "Join the march?" in content


async def test_meeting_schedule_list_rsvp_agenda_notes_minutes_ical(world: World) -> None:
    await world.coalition()
    scheduled = await world.ok("meeting schedule", title="Strategy call",
                               when="2026-12-01 18:00", every="weekly", duration="90m",
                               where="https://meet.example/abc")
    assert "Meeting #1: Strategy call" in scheduled.text
    # the first meeting, Tue 1 Dec 2026 18:00 in New York, as a Discord timestamp
    first = stamp(2026, 12, 1, 18)
    assert f"<t:{first}:F> (<t:{first}:R>; 18:00 America/New\\_York)" in scheduled.text
    going = [b for b in scheduled.buttons if b[0] == "Going"]
    assert going
    assert going[0][1].startswith("cb:meeting rsvp 1 yes")
    listed = await world.ok("meeting list")
    assert "Strategy call" in listed.text
    assert f"<t:{first}:F>" in listed.text
    rsvp = await world.ok("meeting rsvp", meeting="#1", answer="yes", by=BOB)
    assert rsvp.ephemeral
    await world.ok("meeting agenda add", meeting="1", text="Budget", by=BOB)
    agenda = await world.ok("meeting agenda show", meeting="1")  # `agenda` on Discord
    assert "Budget" in agenda.text
    info = await world.ok("meeting info", meeting="1")
    assert "Budget" in info.text
    world.clock.advance(days=8, hours=4)  # 1 Dec, 18:00 New York: the meeting is on
    note = await world.ok("meeting note", meeting="1", kind="action", text="Call the council",
                          owner=CHEN, due="2026-12-10 12:00", by=BOB)
    assert "Chen" in note.text
    actions = await world.ok("meeting actions", which="all")
    assert "Call the council" in actions.text
    minutes = await world.ok("meeting minutes", meeting="1")
    assert any(name.endswith(".md") for name in minutes.files)
    done = await world.ok("meeting done", action="1", by=CHEN)
    assert "#1" in done.text
    ical = await world.ok("meeting ical")
    (content,) = ical.files.values()
    assert "BEGIN:VCALENDAR" in content
    assert "Strategy call" in content


async def test_role_create_assign_list_mine_workload(world: World) -> None:
    await world.coalition()
    created = await world.ok("role create", name="Press contact",
                             description="talks to journalists")
    assert "Role #1: Press contact" in created.text
    assigned = await world.ok("role assign", role="Press contact", user=CHEN,
                              org="Climate Now")
    assert "Chen is now Press contact for Climate Now" in assigned.text
    listed = await world.ok("role list")
    assert "Chen" in listed.text
    mine = await world.ok("role mine", by=CHEN)
    assert mine.ephemeral
    assert "Press contact" in mine.text
    workload = await world.ok("role workload")
    assert "Chen" in workload.text
    gone = await world.ok("role unassign", role="#1", user=CHEN)
    assert "no longer" in gone.text


async def test_poll_create_vote_status_list_close_notice(world: World) -> None:
    await world.coalition()
    created = await world.ok("poll create", question="Weekend action day?",
                             choices="Saturday|Sunday", rule="plurality", quorum="50%",
                             closes="friday 17:00", anonymous=False)
    assert [b[0] for b in created.buttons] == ["Saturday", "Sunday"]
    assert f"<t:{stamp(2026, 11, 27, 17)}:F>" in created.text  # Fri 27 Nov 17:00 New York
    vote = await world.ok("poll vote", poll="#1", choice="Sunday", reason="more time", by=BOB)
    assert vote.ephemeral
    assert "Recorded Tenants United's vote" in vote.text
    status = await world.ok("poll status", poll="1")
    assert "Sunday: 1" in status.text
    listed = await world.ok("poll list", which="all")
    assert "Weekend action day?" in listed.text
    start = len(world.fake.calls)
    closed = await world.ok("poll close", poll="1", confirm="yes")
    assert closed.ephemeral
    assert "You closed poll #1" in closed.text
    (notice,) = await world.posted(start)
    assert "Poll #1 closed: Sunday" in notice.text
    assert notice.allowed_mentions == {"parse": []}


async def test_topic_commands_arrive_with_the_registry(world: World) -> None:
    await world.coalition()
    await world.ok("topic add", phrase="electoral endorsements", reason="partners differ")
    listed = await world.ok("topic list")
    assert "electoral endorsements" in listed.text
    check = await world.ok("topic check", text="Should we make electoral endorsements?", by=BOB)
    assert check.ephemeral
    assert "electoral endorsements" in check.text


async def test_help_is_answered_from_the_specs(world: World) -> None:
    helped = await world.ok("poll help", about="vote", by=ERIN)
    assert helped.ephemeral
    assert "/poll vote #N CHOICE" in helped.text
    everything = await world.ok("meeting help")
    assert "schedule" in everything.text
    assert "agenda add" in everything.text


async def test_errors_are_ephemeral_say_what_was_expected_and_change_nothing(
        world: World) -> None:
    await world.coalition()
    before = rows(world.db_path, "SELECT * FROM org")
    answer = await world.command("coalition org add", name="Erin's Group", by=ERIN)
    assert answer.message is not None
    assert answer.message.ephemeral
    assert answer.message.is_error
    assert "is for coordinators" in answer.message.text
    unknown = await world.command("coalition join", org="Nobody Here", by=ERIN)
    assert unknown.message is not None
    assert unknown.message.ephemeral
    assert "There is no organization `Nobody Here`" in unknown.message.text
    bad_time = await world.command("poll create", question="When?", closes="someday maybe")
    assert bad_time.message is not None
    assert bad_time.message.is_error
    assert rows(world.db_path, "SELECT * FROM org") == before
    assert rows(world.db_path, "SELECT * FROM poll") == []


async def test_a_command_outside_a_server_is_refused_privately(world: World) -> None:
    answer = await world.command("coalition info", guild=None)
    assert answer.message is not None
    assert answer.message.ephemeral
    assert "works in a server" in answer.message.text


async def test_each_server_is_its_own_coalition(world: World) -> None:
    await world.coalition()
    other = await world.command("coalition info", guild=GUILD_ID + 1)
    assert other.message is not None
    assert "no coalition here yet" in other.message.text


async def deferred(world: World, words: str, **options: Any) -> Answer:
    """Run a command while the test holds the database, so the bot cannot answer in
    time; let go once the bot has deferred this interaction (type 5). Only calls made
    after the push count: a set-up command slower than `respond_within` on a loaded
    machine was deferred too."""
    start = len(world.fake.calls)
    async with world.bot.db.transaction():  # the bot cannot answer while this is open
        pushed = asyncio.create_task(world.command(words, **options))
        await world.fake.wait_for(lambda: [
            c for c in world.fake.find("POST", "/interactions/", start) if c.body["type"] == 5])
    return await pushed


async def test_a_slow_answer_is_deferred_then_edited_in(tmp_path: Path) -> None:
    async with World.open(tmp_path, respond_within=0.05) as world:
        await world.coalition()
        start = len(world.fake.calls)
        answer = await deferred(world, "coalition org add", name="Slow Org")
        assert answer.type == 5
        assert not (answer.callback.get("data") or {}).get("flags")
        assert answer.message is not None
        assert "Organization #3 added" in answer.message.text
        assert world.fake.find("PATCH", "/webhooks/", start)  # the thinking message was edited


async def test_a_deferred_error_replaces_the_public_thinking_message_privately(
        tmp_path: Path) -> None:
    async with World.open(tmp_path, respond_within=0.05) as world:
        await world.coalition()
        start = len(world.fake.calls)
        answer = await deferred(world, "coalition org add", name="X", by=ERIN)
        assert world.fake.find("DELETE", "/webhooks/", start)  # the public "thinking…" is gone
        assert answer.message is not None
        assert answer.message.ephemeral
        assert "is for coordinators" in answer.message.text


def test_discord_limits_hold_for_every_command() -> None:
    """Names, descriptions, option counts and the 8000-character budget per command."""
    from discord import app_commands

    for group in build_groups(COMMANDS):
        total = 0
        stack: list[app_commands.Command | app_commands.Group] = [group]
        while stack:
            item = stack.pop()
            assert 1 <= len(item.description) <= 100, item.qualified_name
            total += len(item.name) + len(item.description)
            if isinstance(item, app_commands.Group):
                assert len(item.commands) <= 25
                stack.extend(item.commands)
            else:
                assert len(item.parameters) <= 25
                for p in item.parameters:
                    assert 1 <= len(p.description) <= 100, (item.qualified_name, p.name)
                    total += len(p.display_name) + len(p.description)
                    total += sum(len(c.name) + len(str(c.value)) for c in p.choices)
        assert total <= 8000, (group.name, total)


async def test_a_deferred_private_answer_with_a_file_arrives_with_its_file(
        tmp_path: Path) -> None:
    async with World.open(tmp_path, respond_within=0.05) as world:
        await world.coalition()
        start = len(world.fake.calls)
        answer = await deferred(world, "meeting ical", by=BOB)
        assert answer.callback["data"]["flags"] == 64  # deferred privately: the spec is private
        (edit,) = world.fake.find("PATCH", "/webhooks/", start)
        (content,) = edit.files.values()
        assert "BEGIN:VCALENDAR" in content


async def test_health_attaches_its_chart_as_a_png(world: World) -> None:
    await world.coalition()
    health = await world.ok("coalition health")
    assert health.ephemeral
    assert "Tenants United" in health.text
    assert "Climate Now" in health.text
    assert health.files["health.png"][:8] == b"\x89PNG\r\n\x1a\n"
