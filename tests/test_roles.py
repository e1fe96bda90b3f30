"""Roles and workloads through the real bot and a real SQLite file: who does what, and
who carries how much."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import (
    Chat,
    MovableClock,
    field,
    query,
    refused_without_change,
    text_of,
)

pytestmark = pytest.mark.both_backends

def holders(db_path: Path) -> list[tuple]:
    """(role, person, on behalf of) for every role held, by role then person."""
    return query(db_path, """
        SELECT r.name, p.display_name, o.name FROM role_holder h
        JOIN role r ON r.id = h.role_id JOIN person p ON p.id = h.person_id
        LEFT JOIN org o ON o.id = h.org_id ORDER BY r.number, p.display_name""")




# --- create ------------------------------------------------------------------------------


async def test_a_coordinator_creates_a_role(partners: Chat, db_path: Path) -> None:
    reply = await partners.ok("Alice", 'role create "Press contact" Talks to journalists')
    assert not reply.private
    assert reply.title == "Role #1: Press contact"
    assert reply.text == ('Talks to journalists\nAssign it with `/role assign "Press contact" '
                          "USER`.")
    second = await partners.ok("Alice", "role create Treasurer")
    assert second.title == "Role #2: Treasurer"
    assert second.text == 'Assign it with `/role assign "Treasurer" USER`.'
    assert query(db_path, "SELECT number, name, name_key, description FROM role ORDER BY id") == [
        (1, "Press contact", "press contact", "Talks to journalists"),
        (2, "Treasurer", "treasurer", "")]


@pytest.mark.parametrize("user", ["Bob", "Eve"])
async def test_only_coordinators_create_roles(partners: Chat, db_path: Path, user: str) -> None:
    text = await refused_without_change(partners, db_path, user, "role create Treasurer")
    assert text.startswith("`/role create` is for coordinators;")
    assert query(db_path, "SELECT count(*) FROM role") == [(0,)]


@pytest.mark.parametrize("name", ["press CONTACT", "PRESS CONTACT", "press   contact",
                                  " Press Contact "])
async def test_a_role_name_is_taken_whatever_its_case(partners: Chat, db_path: Path,
                                                      name: str) -> None:
    await partners.ok("Alice", 'role create "Press contact"')
    text = await refused_without_change(partners, db_path, "Alice", f'role create "{name}"')
    assert text.startswith("There is already a role called `")
    assert query(db_path, "SELECT name FROM role") == [("Press contact",)]


async def test_a_role_name_has_a_length_limit(partners: Chat, db_path: Path) -> None:
    text = await refused_without_change(partners, db_path, "Alice",
                                        "role create " + "x" * 61)
    assert text.startswith("NAME is 61 characters long; at most 60 fit.")


# --- assign and unassign -------------------------------------------------------------------


async def test_assign_a_role_to_a_person_and_on_behalf_of_an_organization(
        partners: Chat, db_path: Path) -> None:
    await partners.ok("Alice", 'role create "Press contact"')
    reply = await partners.ok("Alice", 'role assign "Press contact" Bob')
    assert reply.text == "Bob is now Press contact."
    assert not reply.private
    reply = await partners.ok("Alice", 'role assign "press contact" Carol org:"Climate Now"')
    assert reply.text == "Carol is now Press contact for Climate Now."
    reply = await partners.ok("Alice", "role assign #1 Eve org:#1")
    assert reply.text == "Eve is now Press contact for Tenants United."
    assert holders(db_path) == [("Press contact", "Bob", None),
                                ("Press contact", "Carol", "Climate Now"),
                                ("Press contact", "Eve", "Tenants United")]


async def test_assigning_a_role_twice_is_refused(partners: Chat, db_path: Path) -> None:
    await partners.ok("Alice", 'role create "Press contact"')
    await partners.ok("Alice", 'role assign "Press contact" Bob')
    for line in ('role assign "Press contact" bob', 'role assign #1 Bob org:"Climate Now"'):
        text = await refused_without_change(partners, db_path, "Alice", line)
        assert text == "Bob already holds the role Press contact."
    assert holders(db_path) == [("Press contact", "Bob", None)]


async def test_unassign_takes_the_role_away_and_twice_is_refused(partners: Chat,
                                                                 db_path: Path) -> None:
    await partners.ok("Alice", 'role create "Press contact"')
    await partners.ok("Alice", 'role assign "Press contact" Bob')
    await partners.ok("Alice", 'role assign "Press contact" Dan')
    reply = await partners.ok("Alice", 'role unassign "Press contact" Bob')
    assert reply.text == "Bob is no longer Press contact."
    assert holders(db_path) == [("Press contact", "Dan", None)]
    text = await refused_without_change(partners, db_path, "Alice",
                                        'role unassign "Press contact" Bob')
    assert text == "Bob does not hold the role Press contact."
    text = await refused_without_change(partners, db_path, "Alice", "role unassign #1 Eve")
    assert text == "Eve does not hold the role Press contact."


async def test_a_role_is_found_by_its_number(partners: Chat, db_path: Path) -> None:
    await partners.ok("Alice", 'role create "Press contact"')
    await partners.ok("Alice", "role create Treasurer")
    assert (await partners.ok("Alice", "role assign #2 Dan")).text == "Dan is now Treasurer."
    assert holders(db_path) == [("Treasurer", "Dan", None)]
    assert (await partners.ok("Alice", "role unassign #2 Dan")).text == (
        "Dan is no longer Treasurer.")
    assert holders(db_path) == []


@pytest.mark.parametrize(("line", "message"), [
    ("role assign #9 Bob", "There is no role `#9` in this coalition."),
    ("role assign Secretary Bob", "There is no role `Secretary` in this coalition."),
    ("role unassign #9 Bob", "There is no role `#9` in this coalition."),
    ('role assign Treasurer Bob org:"Food Bank"',
     "There is no organization `Food Bank` in this coalition."),
    ("role assign Treasurer Bob org:#7", "There is no organization `#7` in this coalition."),
])
async def test_unknown_roles_and_organizations_are_refused(partners: Chat, db_path: Path,
                                                           line: str, message: str) -> None:
    await partners.ok("Alice", 'role create "Press contact"')
    await partners.ok("Alice", "role create Treasurer")
    text = await refused_without_change(partners, db_path, "Alice", line)
    assert text.splitlines()[0] == message


async def test_an_unknown_role_lists_the_roles_there_are(partners: Chat, db_path: Path) -> None:
    text = await refused_without_change(partners, db_path, "Alice", "role assign Host Bob")
    assert "Roles: none yet." in text
    await partners.ok("Alice", 'role create "Press contact"')
    await partners.ok("Alice", "role create Treasurer")
    text = await refused_without_change(partners, db_path, "Alice", "role assign Host Bob")
    assert "Roles: Press contact, Treasurer." in text


@pytest.mark.parametrize("line", ['role assign "Press contact" Eve',
                                  'role unassign "Press contact" Dan'])
async def test_only_coordinators_assign_and_unassign(partners: Chat, db_path: Path,
                                                     line: str) -> None:
    await partners.ok("Alice", 'role create "Press contact"')
    await partners.ok("Alice", 'role assign "Press contact" Dan')
    for user in ("Bob", "Eve"):
        text = await refused_without_change(partners, db_path, user, line)
        assert "is for coordinators;" in text


async def test_roles_of_another_coalition_are_not_found(partners: Chat, db_path: Path) -> None:
    await partners.ok("Alice", 'role create "Press contact"')
    await partners.ok("Zed", 'coalition setup "Westside" America/Chicago', workspace="other")
    text = await refused_without_change(partners, db_path, "Zed",
                                        'role assign "Press contact" Zed', workspace="other")
    assert text.startswith("There is no role `Press contact` in this coalition.")
    text = await refused_without_change(partners, db_path, "Zed", "role assign #1 Zed",
                                        workspace="other")
    assert text.startswith("There is no role `#1` in this coalition.")
    # the name is free there
    reply = await partners.ok("Zed", 'role create "Press contact"', workspace="other")
    assert reply.title == "Role #1: Press contact"


# --- list and mine -----------------------------------------------------------------------


async def test_list_shows_every_role_with_its_holders(partners: Chat) -> None:
    empty = await partners.ok("Eve", "role list")
    assert empty.text.startswith("None yet. A coordinator creates one")
    await partners.ok("Alice", 'role create "Press contact" Talks to journalists')
    await partners.ok("Alice", "role create Treasurer")
    await partners.ok("Alice", 'role assign "Press contact" Bob')
    await partners.ok("Alice", 'role assign "Press contact" Dan org:"Climate Now"')
    listed = await partners.ok("Eve", "role list")
    assert listed.title == "Roles"
    assert [(f.name, f.value) for f in listed.fields] == [
        ("#1 Press contact", "Talks to journalists\nBob, Dan"),
        ("#2 Treasurer", "nobody yet")]


async def test_mine_is_private_and_shows_roles_and_open_actions(
        partners: Chat, clock: MovableClock) -> None:
    await partners.ok("Alice", 'role create "Press contact"')
    await partners.ok("Alice", "role create Treasurer")
    await partners.ok("Alice", "role create Host")
    await partners.ok("Alice", 'role assign "Press contact" Dan')
    await partners.ok("Alice", "role assign Treasurer Dan")
    await partners.ok("Alice", "role assign Host Bob")
    await partners.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" every:weekly')
    await partners.ok("Bob", 'meeting note 1 action Book the hall owner:Dan '
                             'due:"2026-12-10 17:00"')
    await partners.ok("Bob", "meeting note 1 action Call the press owner:Dan")
    await partners.ok("Bob", "meeting note 1 action Bob's own")
    await partners.ok("Dan", "meeting done 2")

    mine = await partners.ok("Dan", "role mine")
    assert mine.private
    assert mine.title == "What you carry"
    assert [(f.name, f.value) for f in mine.fields] == [
        ("Roles", "Press contact, Treasurer"),
        ("Open action items",
         "#1 Book the hall (due Thu 10 Dec 2026, 17:00 (America/New_York))")]
    nothing = await partners.ok("Eve", "role mine")
    assert nothing.private
    assert [(f.name, f.value) for f in nothing.fields] == [("Roles", "none"),
                                                           ("Open action items", "none")]


# --- workload ----------------------------------------------------------------------------


async def _uneven(chat: Chat, clock: MovableClock) -> None:
    """Bob (Tenants United) carries 3 roles and 3 open actions; Carol, Dan, Eve, Fay and
    Gus one thing each; the Food Bank nothing at all."""
    await chat.ok("Alice", 'coalition org add "Food Bank"')
    for role in ("Press contact", "Treasurer", "Note taker", "Host", "Outreach",
                 "Social media"):
        await chat.ok("Alice", f'role create "{role}"')
    for role in ("Press contact", "Treasurer", "Note taker"):
        await chat.ok("Alice", f'role assign "{role}" Bob')
    await chat.ok("Alice", "role assign Host Dan")  # Dan represents Climate Now
    await chat.ok("Alice", 'role assign Outreach Carol org:"Climate Now"')
    await chat.ok("Alice", 'role assign "Social media" Eve')
    await chat.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" every:weekly')
    await chat.ok("Bob", 'meeting note 1 action Book the hall due:"2026-11-24 12:00"')
    await chat.ok("Bob", "meeting note 1 action Call the press")
    await chat.ok("Bob", "meeting note 1 action Print flyers")
    await chat.ok("Bob", "meeting note 1 action Order food owner:Fay")
    await chat.ok("Bob", "meeting note 1 action Find chairs owner:Gus")
    await chat.ok("Bob", "meeting note 1 action Already done owner:Gus")
    await chat.ok("Gus", "meeting done 6")  # done actions do not count
    clock.now = clock.now.replace(day=25)  # Bob's first action is overdue


async def test_workload_flags_who_carries_more_than_twice_the_median(
        partners: Chat, clock: MovableClock) -> None:
    await _uneven(partners, clock)
    reply = await partners.ok("Eve", "role workload")
    assert reply.title == "Workload"
    assert not reply.private
    assert reply.text == ("Uneven: Bob more than twice the median load; "
                          "Food Bank carries nothing.")
    assert field(reply, "People").splitlines() == [
        "Bob: 3 role(s) (Press contact, Treasurer, Note taker), 3 open action(s), 1 overdue"
        "  ⚠ more than twice the median load",
        "Carol: 1 role(s) (Outreach), 0 open action(s)",
        "Dan: 1 role(s) (Host), 0 open action(s)",
        "Eve: 1 role(s) (Social media), 0 open action(s)",
        "Fay: 0 role(s), 1 open action(s)",
        "Gus: 0 role(s), 1 open action(s)"]
    assert field(reply, "Organizations").splitlines() == [
        "Tenants United: 3 role(s) (Press contact, Treasurer, Note taker), 3 open action(s), "
        "1 overdue",
        "Climate Now: 2 role(s) (Host, Outreach), 0 open action(s)",
        "Food Bank: 0 role(s), 0 open action(s)  ⚠ carries nothing"]


async def test_workload_evens_out_as_work_is_done_and_shared(partners: Chat,
                                                             clock: MovableClock) -> None:
    await _uneven(partners, clock)
    for number in (1, 2, 3):
        await partners.ok("Bob", f"meeting done {number}")
    # 3 roles against a median of 1: still more than twice
    assert (await partners.ok("Eve", "role workload")).text.startswith(
        "Uneven: Bob more than twice the median load;")
    await partners.ok("Alice", "role unassign Treasurer Bob")
    await partners.ok("Alice", 'role assign Treasurer Fay org:"Food Bank"')
    # Bob 2, Fay 2, the rest 1: twice the median is not more than twice
    reply = await partners.ok("Eve", "role workload")
    assert reply.text == "No one stands out."
    assert "⚠" not in text_of(reply)
    assert "Food Bank: 1 role(s) (Treasurer), 0 open action(s)" in field(reply,
                                                                        "Organizations")


async def test_workload_of_a_new_coalition_flags_only_idle_organizations(partners: Chat) -> None:
    reply = await partners.ok("Eve", "role workload")
    assert reply.text == "Uneven: Climate Now carries nothing; Tenants United carries nothing."
    assert field(reply, "People") == "nobody carries anything yet"


async def test_one_person_carrying_everything_is_not_compared_with_nobody(
        partners: Chat) -> None:
    for role in ("Press contact", "Treasurer", "Host"):
        await partners.ok("Alice", f'role create "{role}"')
        await partners.ok("Alice", f'role assign "{role}" Bob')
    reply = await partners.ok("Eve", "role workload")
    assert reply.text == "Uneven: Climate Now carries nothing."
    assert field(reply, "People") == (
        "Bob: 3 role(s) (Press contact, Treasurer, Host), 0 open action(s)")


# --- delete -------------------------------------------------------------------------------


async def test_a_coordinator_deletes_a_role_and_who_held_it(partners: Chat,
                                                           db_path: Path) -> None:
    await partners.ok("Alice", 'role create "Press contact"')
    await partners.ok("Alice", 'role create Facilitator')
    await partners.ok("Alice", 'role assign "Press contact" Bob')
    reply = await partners.ok("Alice", 'role delete confirm:yes "press contact"')
    assert reply.text == "Role Press contact removed; the person who held it no longer does."
    assert [f.name for f in (await partners.ok("Carol", "role list")).fields] == [
        "#2 Facilitator"]
    assert holders(db_path) == []
    await partners.ok("Alice", 'role create "Press contact"')  # the name is free again


async def test_deleting_a_role_that_cannot_be_deleted_changes_nothing(
        partners: Chat, db_path: Path) -> None:
    await partners.ok("Alice", 'role create "Press contact"')
    assert "coordinator" in await refused_without_change(partners, db_path, "Bob",
                                                         'role delete confirm:yes "Press contact"')
    assert "Treasurer" in await refused_without_change(partners, db_path, "Alice",
                                                       "role delete Treasurer confirm:yes")
