"""The happy paths of /coalition, through the real bot and a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import (
    Chat,
    MovableClock,
    query,
    refused_without_change,
    snapshot,
    text_of,
)

from coalition_bot.bot import Bot
from coalition_bot.replies import Invocation, Reply

pytestmark = pytest.mark.both_backends

def field(reply: Reply, name: str) -> str:
    """The value of the reply's field called `name` (fails when there is none)."""
    values = [f.value for f in reply.fields if f.name == name]
    assert len(values) == 1, f"no single field {name!r} in {[f.name for f in reply.fields]}"
    return values[0]


def org_fields(reply: Reply) -> dict[str, str]:
    return {f.name: f.value for f in reply.fields}


# --- setup and info ---------------------------------------------------------------------


async def test_setup_makes_the_caller_the_first_coordinator(chat: Chat, db_path: Path) -> None:
    reply = await chat.ok("Alice", 'coalition setup "Eastside Tenants" America/New_York')
    assert reply.title == "Coalition Eastside Tenants is set up"
    assert "You are its first coordinator" in reply.text
    assert "America/New_York" in reply.text
    assert len(snapshot(db_path)["coordinator"]) == 1
    info = await chat.ok("Alice", "coalition info")
    assert field(info, "Coordinators") == "Alice"
    added = await chat.ok("Alice", 'coalition org add "Tenants United"')
    assert added.title == "Organization #1 added"


async def test_setup_without_a_time_zone_uses_utc(chat: Chat) -> None:
    reply = await chat.ok("Alice", 'coalition setup "Eastside Tenants"')
    assert "Times are read and shown in UTC." in reply.text
    info = await chat.ok("Alice", "coalition info")
    assert field(info, "Time zone") == "UTC"
    assert info.text == "Set up Mon 23 Nov 2026, 15:00 (UTC) by Alice."


async def test_setup_reads_the_time_zone_in_any_case(chat: Chat, db_path: Path) -> None:
    reply = await chat.ok("Alice", 'coalition setup "Eastside Tenants" america/NEW_YORK')
    assert "Times are read and shown in America/New_York." in reply.text
    assert snapshot(db_path)["coalition"][0][2] == "America/New_York"
    info = await chat.ok("Alice", "coalition info")
    assert field(info, "Time zone") == "America/New_York"
    assert info.text == "Set up Mon 23 Nov 2026, 10:00 (America/New_York) by Alice."


async def test_info_shows_the_whole_coalition(coalition: Chat) -> None:
    info = await coalition.ok("Carol", "coalition info")
    assert info.title == "Eastside Tenants"
    assert not info.private
    assert field(info, "Time zone") == "America/New_York"
    assert field(info, "Home channel") == "this channel"
    assert field(info, "Coordinators") == "Alice"
    assert field(info, "Partner organizations") == (
        "#1 Tenants United: 1 representative(s)\n#2 Climate Now: 0 representative(s)")
    assert field(info, "Goals") == "none yet"
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    await coalition.ok("Alice", "coalition goal add Fix the boilers")
    await coalition.ok("Bob", "coalition goal update #2 done")
    info = await coalition.ok("Carol", "coalition info")
    assert field(info, "Goals") == "1 open, 1 done"


# --- organizations ----------------------------------------------------------------------


async def test_organizations_are_numbered_in_order(chat: Chat) -> None:
    await chat.ok("Alice", 'coalition setup "Eastside Tenants"')
    titles = [(await chat.ok("Alice", f'coalition org add "{name}"')).title
              for name in ("Tenants United", "Climate Now", "Faith Leaders")]
    assert titles == ["Organization #1 added", "Organization #2 added", "Organization #3 added"]


async def test_an_observer_organization_is_shown_as_observer(coalition: Chat) -> None:
    reply = await coalition.ok("Alice", 'coalition org add "City Library" observer:yes')
    assert reply.title == "Organization #3 added"
    assert "City Library is an observer (takes part, does not vote)" in reply.text
    voting = await coalition.ok("Alice", 'coalition org add "Bike Club" observer:no')
    assert "Bike Club is a voting partner" in voting.text
    listing = org_fields(await coalition.ok("Alice", "coalition org list"))
    assert "#3 City Library (observer)" in listing
    assert "#4 Bike Club" in listing
    assert "#1 Tenants United" in listing
    info = field(await coalition.ok("Alice", "coalition info"), "Partner organizations")
    assert "#3 City Library (observer): 0 representative(s)" in info
    assert "#4 Bike Club: 0 representative(s)" in info


async def test_org_list_shows_each_organization_with_its_representatives(
        coalition: Chat) -> None:
    await coalition.ok("Alice", 'coalition rep add Dana "Tenants United"')
    reply = await coalition.ok("Carol", "coalition org list")
    assert reply.title == "Partner organizations"
    assert [(f.name, f.value) for f in reply.fields] == [
        ("#1 Tenants United", "Bob, Dana"),
        ("#2 Climate Now", "no representative yet"),
    ]


async def test_org_list_before_any_organization_says_how_to_add_one(chat: Chat) -> None:
    await chat.ok("Alice", 'coalition setup "Eastside Tenants"')
    reply = await chat.ok("Alice", "coalition org list")
    assert reply.fields == ()
    assert "None yet" in reply.text
    assert "/coalition org add NAME" in reply.text


async def test_an_organization_can_be_named_by_number_or_by_name_in_any_case(
        coalition: Chat) -> None:
    by_number = await coalition.ok("Alice", "coalition rep add Carol #2")
    assert by_number.text.startswith("Carol now represents Climate Now")
    by_name = await coalition.ok("Alice", 'coalition rep add Dana "climate NOW"')
    assert by_name.text.startswith("Dana now represents Climate Now")
    joined = await coalition.ok("Erin", "coalition join #1")
    assert joined.title == "You are with Tenants United"
    listing = org_fields(await coalition.ok("Alice", "coalition org list"))
    assert listing["#2 Climate Now"] == "Carol, Dana"


# --- people -----------------------------------------------------------------------------


async def test_a_person_can_represent_two_organizations(coalition: Chat) -> None:
    reply = await coalition.ok("Alice", 'coalition rep add Bob "Climate Now"')
    assert reply.title == "Representative added"
    assert reply.text == "Bob now represents Climate Now and can vote for it."
    listing = org_fields(await coalition.ok("Alice", "coalition org list"))
    assert listing == {"#1 Tenants United": "Bob", "#2 Climate Now": "Bob"}


async def test_an_organization_can_have_several_representatives(coalition: Chat) -> None:
    await coalition.ok("Alice", 'coalition rep add Carol "Tenants United"')
    await coalition.ok("Alice", 'coalition rep add @Dana "Tenants United"')
    listing = org_fields(await coalition.ok("Alice", "coalition org list"))
    assert listing["#1 Tenants United"] == "Bob, Carol, Dana"
    info = field(await coalition.ok("Alice", "coalition info"), "Partner organizations")
    assert "#1 Tenants United: 3 representative(s)" in info


async def test_a_new_representative_can_update_goals(coalition: Chat) -> None:
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    before = await coalition.say("Carol", "coalition goal update #1 blocked")
    assert before.error
    await coalition.ok("Alice", 'coalition rep add Carol "Climate Now"')
    after = await coalition.ok("Carol", "coalition goal update #1 blocked")
    assert after.title == "Goal #1: blocked"


async def test_adding_a_representative_twice_says_already(
        coalition: Chat, db_path: Path) -> None:
    before = snapshot(db_path)
    reply = await coalition.ok("Alice", 'coalition rep add Bob "tenants united"')
    assert not reply.error
    assert reply.private
    assert reply.text == "Bob already represents Tenants United."
    assert snapshot(db_path) == before


async def test_naming_someone_in_another_case_does_not_rename_them(coalition: Chat) -> None:
    await coalition.ok("Alice", 'coalition rep add bob "Climate Now"')
    listing = org_fields(await coalition.ok("Alice", "coalition org list"))
    assert listing == {"#1 Tenants United": "Bob", "#2 Climate Now": "Bob"}


async def test_join_records_the_members_organization(coalition: Chat, db_path: Path) -> None:
    await coalition.ok("Carol", "coalition org list")  # Carol is now known, with no org
    carol = next(p for p in snapshot(db_path)["person"] if p[3] == "carol")
    assert carol[5] is None
    reply = await coalition.ok("Carol", 'coalition join "Climate Now"')
    assert reply.private
    assert reply.title == "You are with Climate Now"
    assert '/coalition rep add @you "Climate Now"' in reply.text
    rows = snapshot(db_path)
    carol = next(p for p in rows["person"] if p[3] == "carol")
    climate = next(o for o in rows["org"] if o[3] == "Climate Now")
    assert carol[5] == climate[0]
    assert not [r for r in rows["representative"] if r[1] == carol[0]], \
        "joining must not make a representative"


async def test_join_by_a_representative_of_that_organization_says_so(coalition: Chat) -> None:
    reply = await coalition.ok("Bob", 'coalition join "Tenants United"')
    assert reply.private
    assert reply.text == "You already represent Tenants United."


async def test_a_new_coordinator_can_then_add_organizations(coalition: Chat) -> None:
    refused = await coalition.say("Erin", 'coalition org add "Faith Leaders"')
    assert refused.error
    reply = await coalition.ok("Alice", "coalition coordinator add Erin")
    assert reply.title == "Coordinator added"
    assert reply.text == "Erin is now a coordinator."
    added = await coalition.ok("Erin", 'coalition org add "Faith Leaders"')
    assert added.title == "Organization #3 added"
    info = await coalition.ok("Alice", "coalition info")
    assert field(info, "Coordinators") == "Alice, Erin"


async def test_adding_a_coordinator_twice_says_already(coalition: Chat, db_path: Path) -> None:
    await coalition.ok("Alice", "coalition coordinator add Erin")
    before = snapshot(db_path)
    reply = await coalition.ok("Alice", "coalition coordinator add Erin")
    assert not reply.error
    assert reply.private
    assert reply.text == "Erin is already a coordinator."
    assert snapshot(db_path)["coordinator"] == before["coordinator"]
    self_again = await coalition.ok("Alice", "coalition coordinator add Alice")
    assert self_again.text == "Alice is already a coordinator."


async def test_display_names_are_kept_current(bot: Bot) -> None:
    def slack(line: str, user_id: str, user_name: str,
              names: dict[str, str] | None = None) -> Invocation:
        return Invocation(platform="slack", workspace_id="T1", channel_id="C1",
                          user_id=user_id, user_name=user_name, line=line,
                          user_names=names or {})

    async def ok(inv: Invocation) -> Reply:
        reply = await bot.handle(inv)
        assert not reply.error, reply.text
        return reply

    await ok(slack('coalition setup "Eastside Tenants"', "U1", "Maria"))
    await ok(slack('coalition org add "Tenants United"', "U1", "Maria"))
    added = await ok(slack('coalition rep add <@U2> "Tenants United"', "U1", "Maria",
                           {"U2": "Bob"}))
    assert added.text.startswith("Bob now represents")
    await ok(slack("coalition goal add Pass the ordinance", "U1", "Maria"))
    await ok(slack("coalition goal update #1 in-progress", "U2", "Bob"))
    # both change their names on the platform; the next thing they do carries the new name
    await ok(slack("coalition org list", "U1", "Maria Gómez"))
    await ok(slack("coalition org list", "U2", "Robert"))
    info = await ok(slack("coalition info", "U1", "Maria Gómez"))
    assert field(info, "Coordinators") == "Maria Gómez"
    assert info.text.endswith("by Maria Gómez.")
    listing = await ok(slack("coalition org list", "U1", "Maria Gómez"))
    assert org_fields(listing) == {"#1 Tenants United": "Robert"}
    goals = text_of(await ok(slack("coalition goals", "U1", "Maria Gómez")))
    assert "Robert: in-progress" in goals
    assert "Bob" not in goals
    # a mention that brings a new name updates the person too
    await ok(slack("coalition coordinator add <@U2>", "U1", "Maria Gómez", {"U2": "Rob"}))
    info = await ok(slack("coalition info", "U1", "Maria Gómez"))
    assert field(info, "Coordinators") == "Maria Gómez, Rob"


# --- goals ------------------------------------------------------------------------------


async def test_goals_before_any_goal_says_how_to_add_one(coalition: Chat) -> None:
    reply = await coalition.ok("Carol", "coalition goals")
    assert reply.title == "Shared goals"
    assert reply.fields == ()
    assert "None yet" in reply.text
    assert "/coalition goal add TEXT" in reply.text


async def test_a_goal_is_added_open_and_numbered(coalition: Chat) -> None:
    first = await coalition.ok("Alice", "coalition goal add Pass the rent stabilization ordinance")
    assert first.title == "Goal #1 added"
    assert first.text == "Pass the rent stabilization ordinance"
    second = await coalition.ok("Alice", "coalition goal add note: free text is fine here")
    assert second.title == "Goal #2 added"
    assert second.text == "note: free text is fine here"
    goals = await coalition.ok("Carol", "coalition goals")
    assert [(f.name, f.value) for f in goals.fields] == [
        ("#1 [open]", "Pass the rent stabilization ordinance"),
        ("#2 [open]", "note: free text is fine here"),
    ]


async def test_a_goal_update_posts_a_notice_to_the_home_channel(coalition: Chat) -> None:
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    assert coalition.notices == []
    reply = await coalition.ok("Bob",
                               "coalition goal update #1 in-progress Hearing set for March 3")
    assert reply.title == "Goal #1: in-progress"
    assert reply.text == "Pass the ordinance"
    assert len(coalition.outlet.posted) == 1
    channel, notice = coalition.outlet.posted[0]
    assert channel == "console"
    assert notice.title == "Goal #1 is now in-progress"
    assert notice.text == "Pass the ordinance\nBob: Hearing set for March 3"
    await coalition.ok("Alice", "coalition goal update #1 done")
    assert coalition.notices[-1].title == "Goal #1 is now done"
    assert coalition.notices[-1].text == "Pass the ordinance\n(by Alice)"


async def test_goals_show_status_and_dated_updates_with_their_author(
        coalition: Chat, clock: MovableClock) -> None:
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    await coalition.ok("Alice", "coalition goal add Fix the boilers")
    await coalition.ok("Bob", "coalition goal update #1 in-progress Hearing set for March 3")
    clock.advance(days=2)
    await coalition.ok("Alice", 'coalition goal update #1 blocked note:"Council postponed"')
    goals = await coalition.ok("Carol", "coalition goals")
    assert [(f.name, f.value) for f in goals.fields] == [
        ("#1 [blocked]", "Pass the ordinance\n"
                         "Mon 23 Nov 2026, Bob: in-progress (Hearing set for March 3)\n"
                         "Wed 25 Nov 2026, Alice: blocked (Council postponed)"),
        ("#2 [open]", "Fix the boilers"),
    ]


async def test_goal_numbers_belong_to_each_coalition(chat: Chat) -> None:
    await chat.ok("Alice", 'coalition setup "Eastside Tenants"')
    await chat.ok("Zed", 'coalition setup "Harbor Alliance"', workspace="other")
    ours = await chat.ok("Alice", "coalition goal add Pass the ordinance")
    theirs = await chat.ok("Zed", "coalition goal add Reopen the library", workspace="other")
    assert ours.title == theirs.title == "Goal #1 added"
    await chat.ok("Zed", "coalition goal update #1 done", workspace="other")
    local = await chat.ok("Alice", "coalition goals")
    other = await chat.ok("Zed", "coalition goals", workspace="other")
    assert [f.name for f in local.fields] == ["#1 [open]"]
    assert local.fields[0].value == "Pass the ordinance"
    assert [f.name for f in other.fields] == ["#1 [done]"]
    assert other.fields[0].value.startswith("Reopen the library")
    org = await chat.ok("Zed", 'coalition org add "Dock Workers"', workspace="other")
    assert org.title == "Organization #1 added"


# --- it stays -----------------------------------------------------------------------------


async def test_everything_is_still_there_after_reopening_the_database(
        coalition: Chat, db_path: Path, clock: MovableClock) -> None:
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    await coalition.ok("Bob", "coalition goal update #1 in-progress Hearing set")
    before = [text_of(await coalition.ok("Carol", line))
              for line in ("coalition info", "coalition org list", "coalition goals")]
    rows = snapshot(db_path)
    await coalition.bot.close()

    reopened = await Bot.open(db_path, clock=clock)
    try:
        again = Chat(reopened, coalition.outlet)
        after = [text_of(await again.ok("Carol", line))
                 for line in ("coalition info", "coalition org list", "coalition goals")]
        assert after == before
        assert "Hearing set" in after[2]
        assert snapshot(db_path) == rows
        # and it keeps counting where it left off
        assert (await again.ok("Alice", 'coalition org add "Faith Leaders"')).title == \
            "Organization #3 added"
        assert (await again.ok("Alice", "coalition goal add Fix the boilers")).title == \
            "Goal #2 added"
    finally:
        await reopened.close()


# --- the home channel --------------------------------------------------------------------


async def test_a_coordinator_moves_the_home_channel_and_notices_follow(
        coalition: Chat, db_path: Path) -> None:
    elsewhere = replace(coalition, channel="announcements")
    before = await elsewhere.ok("Carol", "coalition info")
    home = [f for f in before.fields if f.name == "Home channel"]
    assert [(f.value, f.channel_id) for f in home] == [("channel console", "console")]
    moved = await elsewhere.ok("Alice", "coalition home")
    assert moved.title == "This is now the home channel"
    assert not moved.private
    assert "Eastside Tenants" in moved.text
    assert field(await elsewhere.ok("Carol", "coalition info"), "Home channel") == \
        "this channel"
    assert field(await coalition.ok("Carol", "coalition info"), "Home channel") == \
        "channel announcements"
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    coalition.outlet.posted.clear()
    await coalition.ok("Bob", "coalition goal update #1 in-progress")
    assert [where for where, _ in coalition.outlet.posted] == ["announcements"]


async def test_moving_the_home_channel_where_it_already_is_says_so(coalition: Chat) -> None:
    again = await coalition.ok("Alice", "coalition home")
    assert again.private
    assert "already" in again.text


async def test_only_a_coordinator_moves_the_home_channel(coalition: Chat,
                                                         db_path: Path) -> None:
    elsewhere = replace(coalition, channel="random")
    message = await refused_without_change(elsewhere, db_path, "Bob", "coalition home")
    assert "coordinator" in message


# --- people leave: representatives and coordinators -------------------------------------


async def test_a_representative_removed_can_no_longer_vote_but_their_vote_stays(
        coalition: Chat, db_path: Path) -> None:
    await coalition.ok("Alice", "poll create Join the May Day march?")
    await coalition.ok("Bob", "poll vote 1 agree")
    removed = await coalition.ok("Alice", 'coalition rep remove Bob "Tenants United"')
    assert removed.title == "Representative removed"
    assert not removed.private
    assert "Bob no longer votes for Tenants United" in removed.text
    assert "Tenants United has no representative now" in removed.text
    orgs = await coalition.ok("Carol", "coalition org list")
    assert field(orgs, "#1 Tenants United") == "no representative yet"
    message = await refused_without_change(coalition, db_path, "Bob", "poll vote 1 disagree")
    assert "represent" in message
    status = text_of(await coalition.ok("Carol", "poll status 1"))
    assert "agree" in status, status
    assert "1 of 2" in status, status


async def test_removing_one_of_two_representatives_leaves_the_other_voting(
        coalition: Chat) -> None:
    await coalition.ok("Alice", 'coalition rep add Dora "Tenants United"')
    removed = await coalition.ok("Alice", 'coalition rep remove Bob "Tenants United"')
    assert "no representative now" not in removed.text
    await coalition.ok("Alice", "poll create Join the May Day march?")
    await coalition.ok("Dora", "poll vote 1 agree")


@pytest.mark.parametrize(("user", "line", "expected"), [
    ("Alice", 'coalition rep remove Carol "Tenants United"', "Carol does not represent"),
    ("Alice", 'coalition rep remove Bob "Climate Now"', "Bob does not represent Climate Now"),
    ("Bob", 'coalition rep remove Bob "Tenants United"', "coordinator"),
    ("Alice", "coalition rep remove Bob", "org"),
])
async def test_a_representative_removal_that_cannot_be_done_changes_nothing(
        coalition: Chat, db_path: Path, user: str, line: str, expected: str) -> None:
    await coalition.ok("Carol", "coalition info")  # Carol is known
    assert expected in await refused_without_change(coalition, db_path, user, line)


async def test_a_coordinator_removed_is_an_ordinary_member_again(
        coalition: Chat, db_path: Path) -> None:
    await coalition.ok("Alice", "coalition coordinator add Carol")
    removed = await coalition.ok("Alice", "coalition coordinator remove Carol confirm:yes")
    assert removed.title == "Coordinator removed"
    assert field(await coalition.ok("Bob", "coalition info"), "Coordinators") == "Alice"
    message = await refused_without_change(coalition, db_path, "Carol",
                                           "coalition goal add Sneak it in")
    assert "coordinator" in message


async def test_a_coordinator_may_step_down_while_another_remains(coalition: Chat) -> None:
    await coalition.ok("Alice", "coalition coordinator add Carol")
    await coalition.ok("Alice", "coalition coordinator remove Alice confirm:yes")
    assert field(await coalition.ok("Bob", "coalition info"), "Coordinators") == "Carol"


@pytest.mark.parametrize(("line", "expected"), [
    ("coalition coordinator remove Alice confirm:yes", "Alice is the only coordinator"),
    ("coalition coordinator remove Bob confirm:yes", "Bob is not a coordinator"),
])
async def test_the_last_coordinator_stays_and_a_member_cannot_be_removed_as_one(
        coalition: Chat, db_path: Path, line: str, expected: str) -> None:
    assert expected in await refused_without_change(coalition, db_path, "Alice", line)


# --- an organization leaves ---------------------------------------------------------------


async def test_an_organization_that_leaves_stops_counting_in_open_polls(
        partners: Chat, db_path: Path) -> None:
    await partners.ok("Alice", "poll create Join the May Day march?")
    await partners.ok("Bob", "poll vote 1 agree")
    assert "1 of 2" in text_of(await partners.ok("Alice", "poll status 1"))
    left = await partners.ok("Alice", 'coalition org remove "Tenants United" confirm:yes')
    assert left.title == "Tenants United left the coalition"
    assert not left.private
    assert "keeps number #1" in left.text
    assert "1 representative(s)" in left.text
    status = text_of(await partners.ok("Alice", "poll status 1"))
    assert "0 of 1" in status, status  # its vote no longer counts: one partner is left
    orgs = await partners.ok("Carol", "coalition org list")
    assert [f.name for f in orgs.fields] == ["#2 Climate Now"]
    message = await refused_without_change(partners, db_path, "Bob", "poll vote 1 disagree")
    assert "represent" in message
    message = await refused_without_change(
        partners, db_path, "Alice", 'coalition rep add Bob "Tenants United"')
    assert "Tenants United left the coalition" in message
    assert "org add" in message


async def test_decisions_taken_before_an_organization_left_keep_it(partners: Chat) -> None:
    await partners.ok("Alice", "poll create Join the May Day march?")
    await partners.ok("Bob", "poll vote 1 agree")
    await partners.ok("Dan", "poll vote 1 agree")
    await partners.ok("Alice", "poll close 1 confirm:yes")
    await partners.ok("Alice", "coalition org remove #1 confirm:yes")
    log = text_of(await partners.ok("Carol", "coalition log"))
    assert "Tenants United" in log, log


async def test_an_organization_that_left_comes_back_with_its_number(partners: Chat) -> None:
    await partners.ok("Alice", "coalition org remove #1 confirm:yes")
    back = await partners.ok("Alice", 'coalition org add "tenants united"')
    assert back.title == "Organization #1 is back"
    assert "representatives need adding again" in back.text
    orgs = await partners.ok("Carol", "coalition org list")
    assert field(orgs, "#1 Tenants United") == "no representative yet"
    await partners.ok("Alice", 'coalition rep add Bob "Tenants United"')
    await partners.ok("Alice", "poll create Join the May Day march?")
    await partners.ok("Bob", "poll vote 1 agree")


@pytest.mark.parametrize(("user", "line", "expected"), [
    ("Bob", "coalition org remove #2", "coordinator"),
    ("Alice", "coalition org remove #9", "no organization `#9`"),
])
async def test_an_organization_removal_that_cannot_be_done_changes_nothing(
        partners: Chat, db_path: Path, user: str, line: str, expected: str) -> None:
    assert expected in await refused_without_change(partners, db_path, user, line)


async def test_an_organization_cannot_leave_twice(partners: Chat, db_path: Path) -> None:
    await partners.ok("Alice", "coalition org remove #2 confirm:yes")
    message = await refused_without_change(partners, db_path, "Alice",
                                           "coalition org remove #2 confirm:yes")
    assert "Climate Now left the coalition (Mon 23 Nov 2026)" in message


# --- exports: goals and action items -------------------------------------------------------


async def test_export_goals_with_their_progress(coalition: Chat, clock: MovableClock) -> None:
    await coalition.ok("Alice", "coalition goal add Pass the rent stabilization ordinance")
    await coalition.ok("Alice", "coalition goal add =HYPERLINK(1)")
    clock.advance(days=1)
    await coalition.ok("Bob", "coalition goal update 1 in-progress Hearing set for March 3")
    reply = await coalition.ok("Carol", "coalition export goals")
    assert reply.private
    assert reply.text == "The shared goals and their progress, oldest first."
    (file,) = reply.files
    assert (file.filename, file.media_type) == ("goals-20261124-1500.csv", "text/csv")
    rows = list(csv.DictReader(io.StringIO(file.content)))
    assert [(r["goal"], r["text"], r["status"]) for r in rows] == [
        ("1", "Pass the rent stabilization ordinance", "in-progress"),
        ("2", "'=HYPERLINK(1)", "open")]  # never a spreadsheet formula
    assert json.loads(rows[0]["updates"]) == [
        {"at": "2026-11-24T10:00:00-05:00", "by": "Bob", "status": "in-progress",
         "note": "Hearing set for March 3"}]
    records = json.loads((await coalition.ok("Carol", "coalition export goals json")
                          ).files[0].content)
    assert records[1] == {"goal": 2, "text": "=HYPERLINK(1)", "status": "open",
                          "created_at": "2026-11-23T10:00:00-05:00",
                          "updated_at": "2026-11-23T10:00:00-05:00", "updates": []}


async def test_export_every_action_item_open_and_done(coalition: Chat,
                                                      clock: MovableClock) -> None:
    await coalition.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" remind:none')
    clock.now = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    await coalition.ok("Bob", 'meeting note 1 action Book the hall owner:Bob '
                              'due:"2026-12-10 17:00"')
    await coalition.ok("Bob", "meeting note 1 action Call the press")
    await coalition.ok("Bob", "meeting done 2")
    (file,) = (await coalition.ok("Carol", "coalition export actions json")).files
    assert file.filename == "actions-20261201-2330.json"
    assert json.loads(file.content) == [
        {"action": 1, "meeting": 1, "occurrence": "2026-12-01T18:00", "text": "Book the hall",
         "owner": "Bob", "due_at": "2026-12-10T17:00:00-05:00", "done_at": None,
         "added_at": "2026-12-01T18:30:00-05:00"},
        {"action": 2, "meeting": 1, "occurrence": "2026-12-01T18:00",
         "text": "Call the press", "owner": "Bob", "due_at": None,  # whoever wrote it
         "done_at": "2026-12-01T18:30:00-05:00", "added_at": "2026-12-01T18:30:00-05:00"}]
    rows = list(csv.DictReader(io.StringIO(
        (await coalition.ok("Carol", "coalition export actions")).files[0].content)))
    assert [(r["action"], r["owner"], r["done_at"]) for r in rows] == [
        ("1", "Bob", ""), ("2", "Bob", "2026-12-01T18:30:00-05:00")]


# --- time zones and /coalition update ------------------------------------------------------


@pytest.mark.parametrize(("typed", "zone"), [("CST", "America/Chicago"),
                                             ("PST", "America/Los_Angeles"),
                                             ("EST", "America/New_York")])
async def test_setup_reads_an_abbreviation_as_the_place_people_mean(
        chat: Chat, typed: str, zone: str) -> None:
    reply = await chat.ok("Alice", f'coalition setup "Eastside Tenants" {typed}')
    assert f"Times are read and shown in {zone}." in reply.text


@pytest.mark.parametrize("typed", ["localtime", "Factory", "IST"])
async def test_setup_refuses_a_zone_that_is_no_place_or_several(
        chat: Chat, db_path: Path, typed: str) -> None:
    message = await refused_without_change(chat, db_path, "Alice",
                                           f'coalition setup "Eastside Tenants" {typed}')
    assert "not the time zone of a place" in message or "more than one time zone" in message


async def test_update_changes_the_zone_and_says_each_meeting_stays(
        coalition: Chat, db_path: Path) -> None:
    await coalition.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" every:weekly')
    await coalition.ok("Alice", 'meeting schedule Gala "2027-07-01 18:00"')
    reply = await coalition.ok("Alice", "coalition update timezone:CST")
    assert reply.private
    assert reply.text.splitlines() == [
        "Times are now read and shown in America/Chicago (now UTC-06:00; follows daylight "
        "saving), instead of America/New_York. Poll deadlines and action due times stay the "
        "same moments.",
        "Meetings keep their own time zone and local time, so none of them moves:"]
    assert [(f.name, f.value) for f in reply.fields] == [
        ("Meeting #1 Call (every week)", "stays at Tue 1 Dec 2026, 18:00 (America/New_York), "
         "which is 17:00 on Tue 1 Dec in America/Chicago. To move it: "
         "`/meeting reschedule #1 WHEN`."),
        ("Meeting #2 Gala (once)", "stays at Thu 1 Jul 2027, 18:00 (America/New_York), which "
         "is 17:00 on Thu 1 Jul in America/Chicago. To move it: "
         "`/meeting reschedule #2 WHEN`.")]
    assert coalition.notices[-1].title == "Eastside Tenants: coalition updated"
    assert coalition.notices[-1].fields == reply.fields
    assert query(db_path, "SELECT timezone FROM coalition") == [("America/Chicago",)]
    assert query(db_path, "SELECT start_local, timezone FROM meeting ORDER BY number") == [
        ("2026-12-01T18:00", "America/New_York"), ("2027-07-01T18:00", "America/New_York")]
    info = await coalition.ok("Bob", "meeting info 1")
    assert field(info, "When") == "Tue 1 Dec 2026, 18:00 (America/New_York)"
    # times typed from now on are read in the new zone
    new = await coalition.ok("Alice", 'meeting schedule Later "2026-12-02 18:00"')
    assert new.text.startswith("First: Wed 2 Dec 2026, 18:00 (America/Chicago).")


async def test_update_renames_the_coalition(coalition: Chat) -> None:
    reply = await coalition.ok("Alice", 'coalition update name:"Eastside Coalition"')
    assert reply.text == "Renamed from Eastside Tenants to Eastside Coalition."
    assert (await coalition.ok("Bob", "coalition info")).title == "Eastside Coalition"


async def test_update_is_for_coordinators_and_needs_something_to_change(
        coalition: Chat, db_path: Path) -> None:
    message = await refused_without_change(coalition, db_path, "Bob",
                                           "coalition update timezone:UTC")
    assert "is for coordinators" in message
    message = await refused_without_change(coalition, db_path, "Alice", "coalition update")
    assert message.startswith("Say what to change: name: or timezone:.")
    await refused_without_change(coalition, db_path, "Alice",
                                 "coalition update timezone:localtime")
