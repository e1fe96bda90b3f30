"""Bad input through the real bot: a private error that says what was expected, no change.

Every test checks the three promises of the dispatcher for one class of mistake:
the reply is an error seen by the caller only, its words say what was expected, and
the database is exactly as it was before (compared row by row). Each test then runs
a good command to show the bot still answers after the error.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path

import pytest
from helpers import Chat, snapshot, text_of

from coalition_bot.bot import Bot
from coalition_bot.commands.registry import COMMANDS
from coalition_bot.dispatch import APOLOGY
from coalition_bot.replies import Invocation, Reply

LONG_NAME = "Tenants and Neighbors of the Greater Eastside Riverfront Housing Cooperative Assn"

EVERY_COALITION_SUBCOMMAND = ", ".join(s.words for s in COMMANDS["coalition"].subcommands)


async def rejected(chat: Chat, db_path: Path, user: str, line: str, *words: str,
                   workspace: str | None = None) -> Reply:
    """Say a line that must fail privately, mention `words`, and change nothing."""
    before = snapshot(db_path)
    reply = await chat.say(user, line, workspace=workspace)
    assert reply.error, f"{line!r} should have failed: {text_of(reply)}"
    assert reply.private, f"{line!r}: an error reply must be private"
    body = text_of(reply)
    for word in words:
        assert word in body, f"{word!r} missing from the reply to {line!r}:\n{body}"
    assert snapshot(db_path) == before, f"{line!r} changed the database"
    return reply


async def still_answers(chat: Chat, workspace: str | None = None) -> None:
    """After an error the bot runs the next good command (a write) as usual."""
    reply = await chat.ok("Alice", "coalition goal add Keep the lights on", workspace=workspace)
    assert reply.title.startswith("Goal #")
    assert "Keep the lights on" in text_of(await chat.ok("Alice", "coalition goals",
                                                         workspace=workspace))


def slack(line: str, *, user_id: str = "U1", user_name: str = "Maria",
          workspace: str = "T1") -> Invocation:
    return Invocation(platform="slack", workspace_id=workspace, channel_id="C1",
                      user_id=user_id, user_name=user_name, line=line)


# --- unknown command and subcommand -------------------------------------------------


@pytest.mark.parametrize(("line", "words"), [
    ("coalitoin info", ["no command `/coalitoin`", "Did you mean `",  # `coalition` or
                        "coalition`?", "Commands: /coalition"]),      # `/coalition`
    ("org add X", ["no command `/org`", "Did you mean `/coalition org`?"]),
    ("/goals", ["no command `/goals`", "Did you mean `/coalition goals`?"]),
    ("frobnicate now", ["no command `/frobnicate`", "Commands: /coalition", "help"]),
], ids=["misspelt-command", "subcommand-without-command", "slash-subcommand", "nonsense"])
async def test_an_unknown_command_is_refused_with_the_closest_command(
        coalition: Chat, db_path: Path, line: str, words: list[str]) -> None:
    await rejected(coalition, db_path, "Alice", line, *words)
    await still_answers(coalition)


@pytest.mark.parametrize(("line", "words"), [
    ("coalition orgs list", ["no subcommand `orgs list`", "Did you mean `org list`?"]),
    ("coalition goal remove #1", ["no subcommand `goal remove`",
                                  "Did you mean `goal add` or `goal update`?"]),
    ("coalition infos", ["no subcommand `infos`", "Did you mean `info`?"]),
    ("coalition setpu Other", ["no subcommand `setpu Other`", "Did you mean `setup`?"]),
], ids=["orgs-list", "goal-remove", "infos", "setpu"])
async def test_an_unknown_subcommand_is_refused_with_the_closest_subcommand(
        coalition: Chat, db_path: Path, line: str, words: list[str]) -> None:
    reply = await rejected(coalition, db_path, "Alice", line, *words)
    assert f"Subcommands: {EVERY_COALITION_SUBCOMMAND}. Try `/coalition help`." in reply.text
    await still_answers(coalition)


# --- the shape of the values ---------------------------------------------------------


@pytest.mark.parametrize(("line", "words"), [
    ("coalition org add", ["`/coalition org add` needs NAME", "the organization's name",
                           "Usage: /coalition org add NAME [observer:yes|no]"]),
    ('coalition org add ""', ["`/coalition org add` needs NAME"]),
    ("coalition rep add Bob", ["`/coalition rep add` needs ORG", "Usage: /coalition rep add"]),
    ("coalition goal update #1", ["`/coalition goal update` needs STATUS", "status now"]),
    ("coalition goal add", ["`/coalition goal add` needs TEXT"]),
    ("coalition join", ["`/coalition join` needs ORG"]),
], ids=["org-add-name", "org-add-empty-quotes", "rep-add-org", "goal-update-status",
        "goal-add-text", "join-org"])
async def test_a_missing_value_names_the_option_that_is_needed(
        coalition: Chat, db_path: Path, line: str, words: list[str]) -> None:
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    await rejected(coalition, db_path, "Alice", line, *words)
    await still_answers(coalition)


@pytest.mark.parametrize(("line", "words"), [
    ("coalition info extra", ["Too many values for `/coalition info`", "`extra` is left over"]),
    ('coalition rep add Bob "Tenants United" today',
     ["Too many values for `/coalition rep add`", "`today` is left over",
      "Usage: /coalition rep add USER ORG"]),
    ("coalition org add Acme yes please", ["Too many values", "`please` is left over",
                                           "double quotes"]),
    ("coalition org add name:Acme name:Other", ["`name` is given twice",
                                                "Usage: /coalition org add"]),
], ids=["info-takes-nothing", "rep-add-extra", "unquoted-name", "option-twice"])
async def test_too_many_values_are_refused_and_the_leftover_is_named(
        coalition: Chat, db_path: Path, line: str, words: list[str]) -> None:
    await rejected(coalition, db_path, "Alice", line, *words)
    await still_answers(coalition)


@pytest.mark.parametrize(("line", "words"), [
    ("coalition org add Acme color:red", ["has no option `color`",
                                          "Usage: /coalition org add NAME [observer:yes|no]"]),
    ("coalition org add Acme obsrver:yes", ["has no option `obsrver`",
                                            "Did you mean `observer`?"]),
    ("coalition rep add Bob #1 role:chair", ["has no option `role`"]),
], ids=["unknown", "misspelt", "rep-add"])
async def test_an_unknown_named_option_is_refused(
        coalition: Chat, db_path: Path, line: str, words: list[str]) -> None:
    await rejected(coalition, db_path, "Alice", line, *words)
    await still_answers(coalition)


@pytest.mark.parametrize(("line", "words"), [
    ("coalition goal update abc done", ["#N must be a goal number like #2, not `abc`",
                                        "Usage: /coalition goal update #N STATUS"]),
    ("coalition goal update #0 done", ["goal number like #2, not `#0`"]),
    ("coalition goal update #1234567890 done", ["goal number like #2, not `#1234567890`"]),
    ("coalition goal update #1 finished",
     ["STATUS must be one of open, in-progress, blocked, done, dropped, not `finished`"]),
    ("coalition goal update #1 dne", ["not `dne`", "Did you mean `done`?"]),
    ("coalition org add Acme observer:maybe", ["observer must be yes or no, not `maybe`"]),
], ids=["goal-number-word", "goal-number-zero", "goal-number-huge", "status-unknown",
        "status-misspelt", "yes-no"])
async def test_a_value_of_the_wrong_type_says_what_type_was_expected(
        coalition: Chat, db_path: Path, line: str, words: list[str]) -> None:
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    await rejected(coalition, db_path, "Alice", line, *words)
    await still_answers(coalition)


@pytest.mark.parametrize(("zone", "words"), [
    ("Mars/Olympus", ["must be a time zone name like America/New_York", "not `Mars/Olympus`"]),
    ("America/New_Yrok", ["not `America/New_Yrok`", "Did you mean `America/New_York`?"]),
], ids=["unknown", "misspelt"])
async def test_a_bad_time_zone_is_refused_and_no_coalition_is_created(
        chat: Chat, db_path: Path, zone: str, words: list[str]) -> None:
    await rejected(chat, db_path, "Alice", f'coalition setup "Eastside Tenants" {zone}', *words)
    reply = await chat.ok("Alice", 'coalition setup "Eastside Tenants" America/New_York')
    assert "America/New_York" in reply.text
    await still_answers(chat)


async def test_an_organization_name_over_80_characters_is_refused(
        coalition: Chat, db_path: Path) -> None:
    name = LONG_NAME + "x" * (81 - len(LONG_NAME))
    assert len(name) == 81
    await rejected(coalition, db_path, "Alice", f'coalition org add "{name}"',
                   "NAME is 81 characters long; at most 80 fit", "Shorten it")
    reply = await coalition.ok("Alice", f'coalition org add "{name[:80]}"')
    assert reply.title == "Organization #3 added"


async def test_a_goal_over_300_characters_is_refused(coalition: Chat, db_path: Path) -> None:
    text = " ".join(["rent"] * 61)[:301]
    assert len(text) == 301
    await rejected(coalition, db_path, "Alice", f"coalition goal add {text}",
                   "TEXT is 301 characters long; at most 300 fit")
    reply = await coalition.ok("Alice", f"coalition goal add {text[:300]}")
    assert reply.title == "Goal #1 added"


async def test_an_unclosed_quote_is_refused(coalition: Chat, db_path: Path) -> None:
    await rejected(coalition, db_path, "Alice", 'coalition org add "Tenants',
                   "double quote", "never closed")
    await still_answers(coalition)


# --- things that do not exist -----------------------------------------------------------


@pytest.mark.parametrize(("line", "words"), [
    ("coalition rep add Carol Nope", ["no organization `Nope` in this coalition",
                                      "Organizations: Tenants United, Climate Now",
                                      "/coalition org add NAME"]),
    ("coalition rep add Carol #9", ["no organization `#9`"]),
    ('coalition join "Tenants Untied"', ["no organization `Tenants Untied`"]),
], ids=["rep-add-by-name", "rep-add-by-number", "join"])
async def test_an_unknown_organization_is_refused_and_the_known_ones_listed(
        coalition: Chat, db_path: Path, line: str, words: list[str]) -> None:
    await rejected(coalition, db_path, "Alice", line, *words)
    await still_answers(coalition)


@pytest.mark.parametrize("ref", ["#99999999999999999999", "#²"], ids=["huge", "superscript"])
async def test_an_unusable_organization_number_is_an_unknown_organization(
        coalition: Chat, db_path: Path, ref: str) -> None:
    await rejected(coalition, db_path, "Alice", f"coalition rep add Carol {ref}",
                   f"no organization `{ref}`")


async def test_an_unknown_goal_number_is_not_found(coalition: Chat, db_path: Path) -> None:
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    await rejected(coalition, db_path, "Bob", "coalition goal update #9 done",
                   "no goal #9 in this coalition", "/coalition goals")
    assert coalition.notices == []
    await still_answers(coalition)


async def test_an_unknown_user_on_a_platform_with_mentions_asks_for_a_mention(
        bot: Bot, db_path: Path) -> None:
    setup = await bot.handle(slack('coalition setup "Eastside Tenants"'))
    assert not setup.error, setup.text
    assert not (await bot.handle(slack('coalition org add "Tenants United"'))).error
    for line in ['coalition rep add Nobody "Tenants United"', "coalition coordinator add @Nobody"]:
        before = snapshot(db_path)
        reply = await bot.handle(slack(line))
        assert reply.error
        assert reply.private
        assert "I don't know anyone called `Nobody` in this coalition" in reply.text
        assert "Mention them with @" in reply.text
        assert snapshot(db_path) == before
    mention = await bot.handle(slack('coalition rep add <@U7> "Tenants United"'))
    assert not mention.error, mention.text


async def test_a_name_shared_by_two_people_asks_for_a_mention(bot: Bot, db_path: Path) -> None:
    assert not (await bot.handle(slack('coalition setup "Eastside Tenants"'))).error
    assert not (await bot.handle(slack('coalition org add "Tenants United"'))).error
    for uid in ("U2", "U3"):
        assert not (await bot.handle(slack("coalition org list", user_id=uid,
                                           user_name="Sam"))).error
    before = snapshot(db_path)
    reply = await bot.handle(slack('coalition rep add Sam "Tenants United"'))
    assert reply.error
    assert reply.private
    assert "Several people here are called `Sam`" in reply.text
    assert "Mention the one you mean with @" in reply.text
    assert snapshot(db_path) == before


# --- two coalitions never see each other ------------------------------------------------


@pytest.fixture
async def two_coalitions(coalition: Chat) -> Chat:
    """`coalition` in workspace "local", and a second coalition in workspace "other"."""
    other = {"workspace": "other"}
    await coalition.ok("Zed", 'coalition setup "Harbor Alliance"', **other)
    await coalition.ok("Zed", 'coalition org add "Dock Workers Union"', **other)
    await coalition.ok("Zed", 'coalition org add "Harbor Library Friends"', **other)
    await coalition.ok("Zed", 'coalition org add "Ferry Riders"', **other)
    await coalition.ok("Zed", 'coalition rep add Yusuf "Dock Workers Union"', **other)
    await coalition.ok("Zed", "coalition goal add Reopen the harbor library", **other)
    return coalition


async def test_a_goal_number_from_another_coalition_is_not_found(
        two_coalitions: Chat, db_path: Path) -> None:
    chat = two_coalitions
    await rejected(chat, db_path, "Alice", "coalition goal update #1 done",
                   "no goal #1 in this coalition")
    goals = text_of(await chat.ok("Zed", "coalition goals", workspace="other"))
    assert "#1 [open]" in goals
    assert chat.notices == []
    await still_answers(chat)


async def test_an_organization_from_another_coalition_is_not_found(
        two_coalitions: Chat, db_path: Path) -> None:
    chat = two_coalitions
    await rejected(chat, db_path, "Alice", "coalition rep add Carol #3", "no organization `#3`")
    reply = await rejected(chat, db_path, "Alice", 'coalition rep add Carol "Ferry Riders"',
                           "no organization `Ferry Riders`")
    assert "Dock Workers" not in reply.text
    await still_answers(chat)


async def test_a_coalition_never_shows_another_coalitions_names(two_coalitions: Chat) -> None:
    chat = two_coalitions
    await chat.ok("Alice", "coalition goal add Pass the rent ordinance")
    theirs = ["Harbor", "Dock Workers", "Ferry", "Yusuf", "Zed", "harbor library"]
    ours = ["Eastside", "Tenants United", "Climate Now", "Bob", "Alice", "rent ordinance"]
    for line in ("coalition org list", "coalition info", "coalition goals"):
        local = text_of(await chat.ok("Alice", line))
        other = text_of(await chat.ok("Zed", line, workspace="other"))
        assert not [n for n in theirs if n in local], (line, local)
        assert not [n for n in ours if n in other], (line, other)


# --- who may do what ---------------------------------------------------------------------


@pytest.mark.parametrize(("line", "sub"), [
    ('coalition org add "Acme Housing"', "org add"),
    ('coalition rep add Carol "Tenants United"', "rep add"),
    ("coalition coordinator add Carol", "coordinator add"),
    ("coalition goal add Pass the ordinance", "goal add"),
], ids=["org-add", "rep-add", "coordinator-add", "goal-add"])
async def test_a_member_cannot_run_coordinator_commands(
        coalition: Chat, db_path: Path, line: str, sub: str) -> None:
    await coalition.ok("Alice", "coalition coordinator add Erin")
    await rejected(coalition, db_path, "Carol", line,
                   f"`/coalition {sub}` is for coordinators", "you are a member here",
                   "Ask a coordinator (Alice, Erin)")
    await still_answers(coalition)


async def test_a_representative_cannot_run_coordinator_commands(
        coalition: Chat, db_path: Path) -> None:
    await rejected(coalition, db_path, "Bob", 'coalition org add "Acme Housing"',
                   "is for coordinators", "you are a representative here",
                   "Ask a coordinator (Alice)")
    await still_answers(coalition)


async def test_a_member_cannot_update_a_goal_which_needs_a_representative(
        coalition: Chat, db_path: Path) -> None:
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    await rejected(coalition, db_path, "Carol", "coalition goal update #1 done",
                   "`/coalition goal update` is for representatives", "you are a member here",
                   "Ask a coordinator (Alice)")
    assert coalition.notices == []
    await still_answers(coalition)


# --- the coalition's life cycle --------------------------------------------------------


@pytest.mark.parametrize("line", [
    "coalition info",
    "coalition org list",
    "coalition goals",
    'coalition org add "Tenants United"',
    'coalition join "Tenants United"',
    "coalition goal update #1 done",
], ids=["info", "org-list", "goals", "org-add", "join", "goal-update"])
async def test_a_command_before_setup_says_how_to_set_up(
        chat: Chat, db_path: Path, line: str) -> None:
    await rejected(chat, db_path, "Alice", line, "There is no coalition here yet",
                   "`/coalition setup NAME [timezone]`")
    await chat.ok("Alice", 'coalition setup "Eastside Tenants"')
    await still_answers(chat)


async def test_setting_up_twice_is_refused(coalition: Chat, db_path: Path) -> None:
    for user in ("Alice", "Carol"):
        await rejected(coalition, db_path, user, 'coalition setup "Another Coalition" UTC',
                       "already belongs to the coalition `Eastside Tenants`",
                       "/coalition info")
    info = text_of(await coalition.ok("Alice", "coalition info"))
    assert "Another Coalition" not in info
    await still_answers(coalition)


@pytest.mark.parametrize("name", [
    "tenants united", "TENANTS UNITED", "  Tenants   United ", "Ｔｅｎａｎｔｓ Ｕｎｉｔｅｄ",
], ids=["lower", "upper", "spaces", "fullwidth"])
async def test_a_duplicate_organization_name_is_refused_whatever_its_case(
        coalition: Chat, db_path: Path, name: str) -> None:
    await rejected(coalition, db_path, "Alice", f'coalition org add "{name}"',
                   "`Tenants United` is already organization #1")
    reply = await coalition.ok("Alice", 'coalition org add "Tenants United Too"')
    assert reply.title == "Organization #3 added"


@pytest.mark.parametrize("name", [
    "Tenants United\u200b", "Ten\u00adants United", "Tenants\u2060 United",
    "\ufeffTenants United", "Tenants Uni\u200dted",
], ids=["zero-width space", "soft hyphen", "word joiner", "byte order mark", "joiner"])
async def test_an_organization_name_with_invisible_characters_is_the_same_name(
        coalition: Chat, db_path: Path, name: str) -> None:
    await rejected(coalition, db_path, "Alice", f'coalition org add "{name}"',
                   "`Tenants United` is already organization #1")
    rep = await coalition.ok("Alice", f'coalition rep add Zoe "{name}"')
    assert "Tenants United" in text_of(rep)


@pytest.mark.parametrize("name", [
    "Tenаnts United",  # Cyrillic а
    "TENАNTS UNITЕD",  # Cyrillic А and Е
    "Τenants United",  # Greek capital tau
    "Tenants Unitеd\u200b",  # Cyrillic е and a zero-width space
])
async def test_a_mixed_script_look_alike_of_an_organization_name_is_refused(
        coalition: Chat, db_path: Path, name: str) -> None:
    await rejected(coalition, db_path, "Alice", f'coalition org add "{name}"',
                   "looks the same as organization #1 `Tenants United`",
                   "letters of another alphabet", "#1")


async def test_organization_names_in_other_alphabets_are_still_welcome(
        coalition: Chat) -> None:
    for name in ("Союз жильцов", "Ένωση Ενοικιαστών", "Tenants United East"):
        await coalition.ok("Alice", f'coalition org add "{name}"')


# --- a failure that is not the user's ------------------------------------------------------


async def test_an_unexpected_database_failure_apologises_rolls_back_and_is_logged(
        coalition: Chat, db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        conn.execute("CREATE TRIGGER boom BEFORE UPDATE ON goal "
                     "BEGIN SELECT RAISE(ABORT, 'boom'); END;")
        conn.commit()
    before = snapshot(db_path)
    line = "coalition goal update #1 done Hearing went well"
    with caplog.at_level(logging.ERROR, logger="coalition_bot"):
        reply = await coalition.say("Bob", line)
    assert reply.error
    assert reply.private
    assert reply.text == APOLOGY
    assert "boom" not in text_of(reply)
    assert snapshot(db_path) == before
    assert before["goal_update"] == []
    assert coalition.notices == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    record = errors[0]
    message = record.getMessage()
    # the command's name, never its text (the user's words; README "Logs")
    assert "coalition goal update" in message
    assert "Hearing went well" not in message
    assert "platform=console" in message
    assert "workspace=local" in message
    assert "user=bob" in message
    assert record.exc_info is not None
    assert "boom" in str(record.exc_info[1])
    # the bot still answers: reads, and writes that do not touch the trigger
    goals = text_of(await coalition.ok("Bob", "coalition goals"))
    assert "#1 [open]" in goals
    await still_answers(coalition)
