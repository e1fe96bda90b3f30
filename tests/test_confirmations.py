""""Are you sure?" for what cannot be undone: refused without confirm:yes (nothing
changes, the numbers are told, a button carries the confirmed command), done with it;
on the console, Slack and Discord."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from console_support import answer, console
from fake_discord import ALICE as D_ALICE
from fake_discord import BOB as D_BOB
from fake_discord import CHEN as D_CHEN
from fake_discord import World
from helpers import Chat, snapshot

from coalition_bot.replies import Reply


def rows(db_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


async def asks(chat: Chat, db_path: Path, user: str, line: str) -> Reply:
    """A line that must ask first: private, no change, one button with the confirmed line."""
    before = snapshot(db_path)
    reply = await chat.say(user, line)
    assert not reply.error, reply.text
    assert reply.private, reply.text
    assert snapshot(db_path) == before
    (button,) = reply.buttons
    assert button.command.endswith(" confirm:yes")
    assert button.style == "danger"
    assert reply.text.endswith("Nothing has changed yet. Click the button, or run the "
                               "command again with `confirm:yes`.")
    return reply


async def click(chat: Chat, user: str, reply: Reply) -> Reply:
    return await chat.ok(user, reply.buttons[0].command)


@pytest.fixture
async def food_bank(coalition: Chat) -> Chat:
    await coalition.ok("Alice", 'coalition org add "Food Bank"')
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    return coalition


async def test_closing_a_poll_short_of_its_quorum_asks_first(food_bank: Chat,
                                                              db_path: Path) -> None:
    await food_bank.ok("Alice", "poll create Join the march? quorum:60")
    await food_bank.ok("Bob", "poll vote 1 agree")
    reply = await asks(food_bank, db_path, "Alice", "poll close 1")
    assert reply.title == "Close poll #1 short of its quorum?"
    assert reply.text.startswith("1 of 3 have voted; its quorum of 60% needs 2. Closed now "
                                 "it is recorded as no quorum: nothing passes, and the 2 who "
                                 "have not voted can no longer vote")
    assert reply.buttons[0].command == "poll close 1 confirm:yes"
    closed = await click(food_bank, "Alice", reply)
    assert closed.text.startswith("You closed poll #1: no quorum.")
    assert rows(db_path, "SELECT outcome FROM decision") == [("no quorum",)]


async def test_closing_a_poll_that_met_its_quorum_does_not_ask(food_bank: Chat) -> None:
    await food_bank.ok("Alice", "poll create Join the march?")
    await food_bank.ok("Bob", "poll vote 1 agree")
    await food_bank.ok("Dan", "poll vote 1 agree")
    closed = await food_bank.ok("Alice", "poll close 1")
    assert closed.text.startswith("You closed poll #1: passed.")


async def test_removing_an_organization_says_what_it_does_to_open_polls(
        food_bank: Chat, db_path: Path) -> None:
    await food_bank.ok("Alice", "poll create Join the march?")
    await food_bank.ok("Alice", "poll create Fund the bus?")
    await food_bank.ok("Bob", "poll vote 2 agree")
    reply = await asks(food_bank, db_path, "Alice", 'coalition org remove "Tenants United"')
    assert reply.title == "Remove Tenants United from the coalition?"
    assert reply.text.startswith(
        "Its 1 representative(s) stop voting for it. 2 open poll(s) count one organization "
        "fewer, so their quorums change: poll #2: 3 → 2 organizations, and its vote there "
        "stops counting; poll #1: 3 → 2 organizations.")
    assert reply.buttons[0].command == "coalition org remove #1 confirm:yes"
    await click(food_bank, "Alice", reply)
    assert rows(db_path, "SELECT left_at IS NOT NULL FROM org WHERE number = 1") == [(1,)]


async def test_deleting_a_role_says_how_many_hold_it(food_bank: Chat, db_path: Path) -> None:
    await food_bank.ok("Alice", 'role create "Press contact"')
    await food_bank.ok("Alice", 'role assign "Press contact" Bob')
    await food_bank.ok("Alice", 'role assign "Press contact" Dan')
    reply = await asks(food_bank, db_path, "Alice", 'role delete "press contact"')
    assert reply.text.startswith("2 people hold it; none will any more")
    assert reply.buttons[0].command == 'role delete "Press contact" confirm:yes'
    done = await click(food_bank, "Alice", reply)
    assert done.text.startswith("Role Press contact removed")
    assert rows(db_path, "SELECT count(*) FROM role") == [(0,)]


async def test_removing_a_coordinator_says_who_remains(food_bank: Chat, db_path: Path) -> None:
    await food_bank.ok("Alice", "coalition coordinator add Erin")
    reply = await asks(food_bank, db_path, "Alice", "coalition coordinator remove Erin")
    assert reply.text.startswith("Erin becomes an ordinary member; 1 coordinator(s) remain: "
                                 "Alice.")
    await click(food_bank, "Alice", reply)
    assert rows(db_path, "SELECT count(*) FROM coordinator") == [(1,)]


async def test_a_refused_step_is_refused_at_once_not_asked(food_bank: Chat,
                                                           db_path: Path) -> None:
    reply = await food_bank.say("Alice", "coalition coordinator remove Alice")
    assert reply.error
    assert "the only coordinator" in reply.text
    assert not reply.buttons


async def test_an_anonymous_vote_asks_first_since_it_can_never_change(
        food_bank: Chat, db_path: Path) -> None:
    await food_bank.ok("Alice", "poll create Join the march? anonymous:yes")
    reply = await asks(food_bank, db_path, "Bob", "poll vote 1 yes")
    assert reply.text.startswith("Tenants United votes agree. Poll #1 is anonymous: the "
                                 "vote goes into the tally with nothing linking it to you, "
                                 "so it can never be changed or taken back, by you or anyone. "
                                 "It would be vote 1 of 3.")
    assert reply.buttons[0].command == "poll vote 1 agree confirm:yes"
    await click(food_bank, "Bob", reply)
    assert rows(db_path, "SELECT votes FROM anonymous_tally WHERE choice = 'agree'") == [(1,)]
    again = await food_bank.say("Bob", "poll vote 1 disagree")  # refused at once, not asked
    assert again.error
    assert "has already voted" in again.text


def test_the_console_takes_confirm_yes(tmp_path: Path) -> None:
    lines = console(tmp_path, """\
coalition setup "Eastside Tenants" America/New_York
coalition org add "Tenants United"
coalition org add "Climate Now"
role create Treasurer
role delete Treasurer
role delete Treasurer confirm:yes
role list
""")
    asked = answer(lines, "Alice", "role delete Treasurer")
    assert any("Nobody holds it" in line for line in asked)
    assert any("role delete Treasurer confirm:yes" in line for line in asked)
    done = answer(lines, "Alice", "role delete Treasurer confirm:yes")
    assert any("Role Treasurer removed" in line for line in done)


async def test_discord_confirm_buttons_run_the_confirmed_command(world: World) -> None:
    await world.coalition()
    await world.ok("poll create", question="Join the march?", anonymous="yes")
    asked = await world.ok("poll vote", poll="1", choice="agree", by=D_BOB)
    assert asked.ephemeral
    assert "can never be changed" in asked.text
    ((label, custom_id),) = asked.buttons
    assert custom_id == "cb:poll vote 1 agree confirm:yes"
    done = await world.click(custom_id, label, by=D_BOB)
    assert done.message is not None
    assert "Recorded Tenants United's vote" in done.message.text
    asked = await world.ok("coalition org remove", org="Climate Now", by=D_ALICE)
    assert "stop voting for it" in asked.text
    ((label, custom_id),) = asked.buttons
    done = await world.click(custom_id, label, by=D_ALICE)
    assert done.message is not None
    assert "Climate Now left the coalition" in done.message.text


# every act, through each front door: asked without confirm:yes, done by the button

DISCORD_ACTS = {
    "close": ([("poll create", {"question": "Go?"})], ("poll close", {"poll": "1"}),
              D_ALICE, "You closed poll #1: no quorum."),
    "org": ([], ("coalition org remove", {"org": "Climate Now"}), D_ALICE,
            "Climate Now left the coalition"),
    "role": ([("role create", {"name": "Host"})], ("role delete", {"role": "Host"}), D_ALICE,
             "Role Host removed"),
    "coordinator": ([("coalition coordinator add", {"user": D_CHEN})],
                    ("coalition coordinator remove", {"user": D_CHEN}), D_ALICE,
                    "Chen is no longer a coordinator."),
    "anonymous": ([("poll create", {"question": "Go?", "anonymous": "yes"})],
                  ("poll vote", {"poll": "1", "choice": "agree"}), D_BOB,
                  "Recorded Tenants United's vote"),
}


@pytest.mark.parametrize("act", DISCORD_ACTS)
async def test_each_confirmation_on_discord(world: World, act: str) -> None:
    before, (words, options), by, done_text = DISCORD_ACTS[act]
    await world.coalition()
    for step, values in before:
        await world.ok(step, **values)
    asked = await world.ok(words, **options, by=by)
    assert asked.ephemeral
    assert "Nothing has changed yet." in asked.text
    ((label, custom_id),) = asked.buttons
    assert custom_id.endswith(" confirm:yes")
    done = await world.click(custom_id, label, by=by)
    assert done.message is not None
    assert done_text in done.message.text, done.message


def test_each_confirmation_on_the_console(tmp_path: Path) -> None:
    acts = ["poll close 1", "coalition org remove #2", "role delete Host",
            "coalition coordinator remove Erin", "poll vote 2 agree"]
    lines = console(tmp_path, """\
coalition setup "Eastside Tenants" America/New_York
coalition org add "Tenants United"
coalition org add "Climate Now"
coalition rep add Alice "Tenants United"
poll create Go?
poll create Secret? anonymous:yes
role create Host
coalition coordinator add Erin
""" + "".join(f"{act}\n{act} confirm:yes\n" for act in acts))
    for act in acts:
        asked = answer(lines, "Alice", act)
        assert any("Nothing has changed yet." in line for line in asked), asked
        done = answer(lines, "Alice", f"{act} confirm:yes")
        assert not any(line.startswith("!") for line in done), done
    assert rows(tmp_path / "coalition.db", "SELECT count(*) FROM decision") == [(2,)]
    assert rows(tmp_path / "coalition.db", "SELECT votes FROM anonymous_tally"
                                           " WHERE choice = 'agree'") == [(1,)]
