"""Off-limits topics through the real bot and a real SQLite file: `/topic` and nudges."""

from __future__ import annotations

from pathlib import Path

import pytest
from db_access import connect, is_postgres, tables
from helpers import (
    Chat,
    MovableClock,
    field,
    query,
    refused_without_change,
    snapshot,
)

from coalition_bot.bot import Bot
from coalition_bot.replies import Message, Reply
from coalition_bot.services.people import console_user_id

SECRET = "Quetzal pelicans whisper about RENT-controls beneath the Zanzibar lighthouse"



pytestmark = pytest.mark.both_backends

def topic_rows(db_path: Path) -> list[tuple]:
    """(phrase, reason, added by, decision number, removed?) of every topic, oldest first."""
    return query(db_path, """
        SELECT t.phrase, t.reason, p.display_name, t.decision_number, t.removed_at IS NOT NULL
        FROM topic t LEFT JOIN person p ON p.id = t.added_by ORDER BY t.id""")


def decision_rows(db_path: Path) -> list[tuple]:
    return query(db_path, "SELECT number, question, outcome, summary, closed_by FROM decision"
                          " ORDER BY number")



def message(user: str, text: str, *, workspace: str = "local") -> Message:
    return Message(platform="console", workspace_id=workspace, channel_id="console",
                   user_id=console_user_id(user), user_name=user, text=text)


async def nudge(bot: Bot, user: str, text: str, **kwargs: str) -> Reply | None:
    return await bot.on_message(message(user, text, **kwargs))




@pytest.fixture
async def rent(partners: Chat) -> Chat:
    """The partners with one agreed topic, added by Alice."""
    await partners.ok("Alice", 'topic add rent control reason:"partners differ"')
    return partners


async def pass_proposal(chat: Chat, number: int = 1) -> Reply:
    await chat.ok("Bob", f"poll vote {number} agree")
    await chat.ok("Dan", f"poll vote {number} agree")
    return await chat.ok("Alice", f"poll close {number} confirm:yes")


# --- /topic add, list, remove ------------------------------------------------------------


async def test_a_coordinator_adds_a_topic_with_a_reason_recorded_in_the_decision_log(
        partners: Chat, db_path: Path) -> None:
    reply = await partners.ok("Alice", 'topic add Rent Control reason:"partners differ"')
    assert reply.title == "Off-limits topic added"
    assert reply.text.startswith("“Rent Control”: partners differ\n")
    assert topic_rows(db_path) == [("Rent Control", "partners differ", "Alice", 1, 0)]
    assert decision_rows(db_path) == [
        (1, "Keep “Rent Control” off the table", "added",
         "Off-limits topic added by Alice. Reason: partners differ", "Alice")]
    log = await partners.ok("Eve", "coalition log")
    assert field(log, "#1 Keep “Rent Control” off the table: added").startswith(
        "Off-limits topic added by Alice. Reason: partners differ")


@pytest.mark.parametrize("again", [
    "rent control", "RENT CONTROL", "Rent-Control", "rent,  control", "ＲＥＮＴ ＣＯＮＴＲＯＬ",
    "rént contról", "  rent   control  ",
])
async def test_the_same_topic_in_another_spelling_is_refused(
        rent: Chat, db_path: Path, again: str) -> None:
    message_ = await refused_without_change(rent, db_path, "Alice",
                                            f'topic add {again} reason:"again"')
    assert message_ == "“rent control” is already an off-limits topic."
    assert len(topic_rows(db_path)) == 1


async def test_a_plural_of_an_existing_topic_is_the_same_topic(
        partners: Chat, db_path: Path) -> None:
    await partners.ok("Alice", "topic add union")
    await refused_without_change(partners, db_path, "Alice", "topic add unions")


@pytest.mark.parametrize(("first", "again"), [("bus", "buses"), ("tie", "ties"),
                                              ("buses", "bus"), ("party", "parties")])
async def test_a_word_and_its_plural_are_one_topic_whichever_comes_first(
        partners: Chat, db_path: Path, first: str, again: str) -> None:
    await partners.ok("Alice", f"topic add {first}")
    message_ = await refused_without_change(partners, db_path, "Alice", f"topic add {again}")
    assert message_ == f"“{first}” is already an off-limits topic."
    await refused_without_change(partners, db_path, "Bob", f"topic propose {again}")
    await partners.ok("Alice", f"topic remove {again}")


async def test_a_topic_stored_under_an_older_key_is_still_found(
        partners: Chat, db_path: Path) -> None:
    await partners.ok("Alice", "topic add bus")
    with connect(db_path) as conn:  # as if an older version had keyed it
        conn.execute("UPDATE topic SET phrase_key = 'bu_old'")
    await refused_without_change(partners, db_path, "Alice", "topic add buses")
    await partners.ok("Alice", "topic remove buses")


async def test_topic_list_shows_phrase_reason_since_when_and_by_which_decision(
        partners: Chat, clock: MovableClock) -> None:
    empty = await partners.ok("Eve", "topic list")
    assert (empty.title, empty.text) == ("Off-limits topics", "None agreed yet.")
    await partners.ok("Alice", 'topic add rent control reason:"partners differ"')
    clock.advance(days=2)
    await partners.ok("Bob", 'topic propose electoral endorsements reason:"we each decide"')
    await partners.ok("Alice", "topic add pipeline")
    clock.advance(days=1)
    await pass_proposal(partners, 1)
    listed = await partners.ok("Eve", "topic list")
    assert listed.title == "Off-limits topics"
    assert [(f.name, f.value) for f in listed.fields] == [
        ("“rent control”", "partners differ\nSince Mon 23 Nov 2026 (decision #1, by Alice)."),
        ("“pipeline”", "Since Wed 25 Nov 2026 (decision #2, by Alice)."),
        ("“electoral endorsements”",
         "we each decide\nSince Thu 26 Nov 2026 (decision #3, by Bob)."),
    ]


async def test_a_coordinator_removes_a_topic_in_any_spelling_and_it_is_logged(
        rent: Chat, bot: Bot, db_path: Path, clock: MovableClock) -> None:
    assert await nudge(bot, "Eve", "rent control!") is not None
    clock.advance(hours=1)
    reply = await rent.ok("Alice", "topic remove RENT-Control")
    assert reply.title == "Off-limits topic removed"
    assert reply.text == ("“rent control” is no longer off the table. This is in the log, and "
                          "every home channel was told.")
    assert topic_rows(db_path) == [("rent control", "partners differ", "Alice", 1, 1)]
    assert query(db_path, "SELECT removed_at, p.display_name FROM topic JOIN person p"
                          " ON p.id = topic.removed_by") == [
        ("2026-11-23T16:00:00+00:00", "Alice")]
    assert decision_rows(db_path)[-1] == (
        2, "Keep “rent control” off the table", "removed",
        "Off-limits topic removed by Alice, without a poll.", "Alice")
    log = await rent.ok("Eve", "coalition log")
    assert field(log, "#2 Keep “rent control” off the table: removed").startswith(
        "Off-limits topic removed by Alice, without a poll.")
    assert (await rent.ok("Eve", "topic list")).text == "None agreed yet."
    clock.advance(hours=1)  # well past the nudge window: only the removal stops nudges
    for user in ("Eve", "Bob", "Zed"):
        assert await nudge(bot, user, "rent control, rent control") is None
    check = await rent.ok("Eve", "topic check rent control")
    assert check.text == "That touches none of the agreed off-limits topics."


async def test_a_removed_topic_can_be_agreed_again(rent: Chat, bot: Bot,
                                                   db_path: Path) -> None:
    await rent.ok("Alice", "topic remove rent control")
    await rent.ok("Alice", 'topic add Rent Control reason:"still divided"')
    assert [r[0] for r in topic_rows(db_path)] == ["rent control", "Rent Control"]
    reply = await nudge(bot, "Eve", "rent control")
    assert reply is not None
    assert "“Rent Control”" in reply.text
    assert "still divided" in reply.text


async def test_topic_check_privately_names_the_topics_a_text_touches_and_stores_nothing(
        rent: Chat, db_path: Path) -> None:
    await rent.ok("Alice", "topic add pipeline")
    before = snapshot(db_path)
    hit = await rent.ok("Eve", "topic check Will the PIPELINES and rent-control come up?")
    assert hit.private
    assert hit.title == "That touches agreed off-limits topics"
    assert [(f.name, f.value) for f in hit.fields] == [
        ("“pipeline”", "no reason recorded"), ("“rent control”", "partners differ")]
    miss = await rent.ok("Eve", "topic check parental controls and rents")
    assert miss.private
    assert not miss.fields
    assert miss.text == "That touches none of the agreed off-limits topics."
    assert snapshot(db_path) == before


# --- /topic propose ----------------------------------------------------------------------


async def test_a_representative_proposes_a_topic_as_a_consensus_poll_of_organizations(
        partners: Chat, bot: Bot, db_path: Path) -> None:
    reply = await partners.ok("Bob", 'topic propose electoral endorsements reason:"we differ"')
    assert reply.title == ("Poll #1: Keep “electoral endorsements” off the table in the "
                           "coalition's shared spaces? (we differ)")
    assert "Partner organizations decide, rule consensus" in reply.text
    assert [b.command for b in reply.buttons] == [
        "poll vote 1 agree", "poll vote 1 abstain", "poll vote 1 disagree", "poll vote 1 block"]
    assert query(db_path, "SELECT electorate, rule, status FROM poll") == [
        ("orgs", "consensus", "open")]
    assert query(db_path, "SELECT phrase, reason, p.display_name FROM topic_proposal"
                          " JOIN person p ON p.id = proposed_by") == [
        ("electoral endorsements", "we differ", "Bob")]
    assert topic_rows(db_path) == []  # not a topic until the poll passes
    assert await nudge(bot, "Eve", "electoral endorsements") is None


async def test_a_passed_proposal_adds_the_topic_when_the_poll_closes(
        partners: Chat, bot: Bot, db_path: Path) -> None:
    await partners.ok("Bob", 'topic propose electoral endorsements reason:"we differ"')
    closed = await pass_proposal(partners)
    assert closed.text.startswith("You closed poll #1: passed. It is decision #1")
    (notice,) = partners.notices
    assert notice.title == "Poll #1 closed: passed"
    assert "\n“electoral endorsements” is now an off-limits topic.\n" in notice.text
    assert topic_rows(db_path) == [("electoral endorsements", "we differ", "Bob", 1, 0)]
    assert [r[:3] for r in decision_rows(db_path)] == [
        (1, "Keep “electoral endorsements” off the table in the coalition's shared spaces? "
            "(we differ)", "passed")]
    reply = await nudge(bot, "Eve", "Any Electoral Endorsement news?")
    assert reply is not None
    assert "“electoral endorsements”" in reply.text


async def test_a_proposal_passes_by_the_rule_it_was_given(partners: Chat,
                                                          db_path: Path) -> None:
    await partners.ok("Bob", "topic propose pipeline rule:majority")
    assert query(db_path, "SELECT rule FROM poll") == [("majority",)]
    await partners.ok("Bob", "poll vote 1 agree")
    await partners.ok("Dan", "poll vote 1 disagree")  # a tie is not a majority
    await partners.ok("Alice", "poll close 1 confirm:yes")
    assert topic_rows(db_path) == []
    await partners.ok("Dan", "topic propose pipeline rule:majority")
    await partners.ok("Bob", "poll vote 2 agree")
    await partners.ok("Dan", "poll vote 2 agree")
    await partners.ok("Alice", "poll close 2 confirm:yes")
    assert topic_rows(db_path) == [("pipeline", "", "Dan", 2, 0)]


@pytest.mark.parametrize("votes", [
    (("Bob", "agree"), ("Dan", "block")),     # one block fails consensus
    (("Bob", "disagree"), ("Dan", "disagree")),
    (),                                       # no quorum
])
async def test_a_proposal_that_does_not_pass_adds_nothing(
        partners: Chat, bot: Bot, db_path: Path, votes: tuple[tuple[str, str], ...]) -> None:
    await partners.ok("Bob", "topic propose pipeline")
    assert await nudge(bot, "Eve", "hello") is None
    builds = bot.topics.builds
    for user, choice in votes:
        await partners.ok(user, f"poll vote 1 {choice}")
    closed = await partners.ok("Alice", "poll close 1 confirm:yes")
    assert "passed" not in closed.text
    notice = partners.notices[-1]  # before it, a block is announced when cast
    assert notice.title.startswith("Poll #1 closed: ")
    assert "off-limits" not in notice.text
    assert topic_rows(db_path) == []
    assert len(decision_rows(db_path)) == 1
    assert await nudge(bot, "Eve", "the pipeline") is None
    assert bot.topics.builds == builds


async def test_a_close_that_fails_leaves_neither_the_decision_nor_the_topic(
        partners: Chat, bot: Bot, db_path: Path) -> None:
    await partners.ok("Bob", 'topic propose pipeline reason:"split"')
    await partners.ok("Bob", "poll vote 1 agree")
    await partners.ok("Dan", "poll vote 1 agree")
    with connect(db_path) as conn:  # make adding the topic fail inside the close
        if is_postgres(db_path):
            conn.execute("CREATE FUNCTION no_topics() RETURNS trigger LANGUAGE plpgsql AS"
                         " $$ BEGIN RAISE EXCEPTION 'no topics today'; END $$")
            conn.execute("CREATE TRIGGER no_topics BEFORE INSERT ON topic"
                         " FOR EACH ROW EXECUTE FUNCTION no_topics()")
        else:
            conn.execute("CREATE TRIGGER no_topics BEFORE INSERT ON topic"
                         " BEGIN SELECT RAISE(ABORT, 'no topics today'); END")
    before = snapshot(db_path)
    failed = await partners.say("Alice", "poll close 1 confirm:yes")
    assert failed.error
    assert failed.private
    assert snapshot(db_path) == before
    assert query(db_path, "SELECT status FROM poll") == [("open",)]
    assert decision_rows(db_path) == []
    assert topic_rows(db_path) == []
    assert partners.notices == []
    with connect(db_path) as conn:
        conn.execute("DROP TRIGGER no_topics" + (" ON topic" if is_postgres(db_path) else ""))
    await partners.ok("Alice", "poll close 1 confirm:yes")
    assert [r[:3] for r in decision_rows(db_path)] == [
        (1, "Keep “pipeline” off the table in the coalition's shared spaces? (split)",
         "passed")]
    assert topic_rows(db_path) == [("pipeline", "split", "Bob", 1, 0)]


async def test_a_passed_proposal_for_a_topic_added_meanwhile_adds_no_second_one(
        partners: Chat, db_path: Path) -> None:
    await partners.ok("Bob", "topic propose pipeline")
    await partners.ok("Alice", "topic add PIPELINE")
    await pass_proposal(partners)
    notice = partners.notices[-1]
    assert notice.title == "Poll #1 closed: passed"
    assert "off-limits topic" not in notice.text
    assert topic_rows(db_path) == [("PIPELINE", "", "Alice", 1, 0)]


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "line", "expected"), [
    ("Alice", "topic add", "`/topic add` needs PHRASE"),
    ("Alice", "topic add " + "x" * 101, "PHRASE is 101 characters long; at most 100 fit."),
    ("Alice", 'topic add pipeline reason:"' + "y" * 301 + '"',
     "reason is 301 characters long; at most 300 fit."),
    ("Alice", "topic add !!! ...", "A topic needs at least one word (letters or digits)."),
    ("Alice", "topic add Rent Control", "“rent control” is already an off-limits topic."),
    ("Alice", "topic remove pipeline", "“pipeline” is not an off-limits topic here."),
    ("Alice", "topic remove", "`/topic remove` needs PHRASE"),
    ("Bob", "topic add pipeline", "`/topic add` is for coordinators; you are a representative"),
    ("Bob", "topic remove rent control",
     "`/topic remove` is for coordinators; you are a representative"),
    ("Eve", "topic propose pipeline", "`/topic propose` is for representatives; you are a "
                                      "member"),
    ("Eve", "topic remove rent control", "`/topic remove` is for coordinators; you are a "
                                         "member"),
    ("Bob", "topic propose", "`/topic propose` needs PHRASE"),
    ("Bob", "topic propose " + "x" * 101, "PHRASE is 101 characters long; at most 100 fit."),
    ("Bob", 'topic propose pipeline reason:"' + "y" * 301 + '"',
     "reason is 301 characters long; at most 300 fit."),
    ("Bob", "topic propose (?)", "A topic needs at least one word (letters or digits)."),
    ("Bob", "topic propose RENT-CONTROL", "is already an off-limits topic."),
    ("Bob", "topic propose pipeline rule:unanimous", "unanimous"),
    ("Eve", "topic check", "`/topic check` needs TEXT"),
])
async def test_topic_errors_are_private_and_change_nothing(
        rent: Chat, db_path: Path, user: str, line: str, expected: str) -> None:
    message_ = await refused_without_change(rent, db_path, user, line)
    assert expected in message_
    assert [r[0] for r in topic_rows(db_path)] == ["rent control"]


async def test_topic_remove_of_an_unknown_topic_lists_the_agreed_ones(
        rent: Chat, db_path: Path) -> None:
    await rent.ok("Alice", "topic add pipeline")
    message_ = await refused_without_change(rent, db_path, "Alice", "topic remove unions")
    assert message_ == ("“unions” is not an off-limits topic here.\n"
                        "Topics: “rent control”, “pipeline”.")


async def test_a_phrase_of_underscores_is_refused_like_other_punctuation(
        partners: Chat, db_path: Path) -> None:
    message_ = await refused_without_change(partners, db_path, "Alice", "topic add ___")
    assert "at least one word" in message_


async def test_topic_commands_outside_a_coalition_say_there_is_none(
        rent: Chat, db_path: Path) -> None:
    before = snapshot(db_path)
    reply = await rent.say("Alice", "topic check rent control", workspace="elsewhere")
    assert reply.error
    assert reply.private
    assert reply.text.startswith("There is no coalition here yet.")
    assert snapshot(db_path) == before


# --- nudges ------------------------------------------------------------------------------


async def test_a_message_touching_a_topic_earns_its_author_one_private_nudge(
        rent: Chat, bot: Bot) -> None:
    rent.outlet.posted.clear()
    reply = await nudge(bot, "Eve", "Honestly, RENT-Controls are the answer.")
    assert reply is not None
    assert reply.private
    assert not reply.error
    assert reply.title == "A gentle reminder"
    assert reply.text == ("The coalition agreed to keep “rent control” off the table in its "
                          "shared spaces (partners differ). Nothing was removed; this note is "
                          "only for you.")
    assert not reply.buttons
    assert not reply.fields
    assert rent.notices == []  # nothing public


async def test_the_same_person_is_nudged_about_a_topic_at_most_once_per_ten_minutes(
        rent: Chat, bot: Bot, clock: MovableClock) -> None:
    assert await nudge(bot, "Eve", "rent control") is not None
    assert await nudge(bot, "Eve", "Rent control again") is None
    clock.advance(minutes=5)
    assert await nudge(bot, "Eve", "RENT CONTROL") is None  # does not restart the window
    clock.advance(minutes=4, seconds=59)
    assert await nudge(bot, "Eve", "rent-control") is None
    clock.advance(seconds=1)
    assert await nudge(bot, "Eve", "rent control") is not None
    assert await nudge(bot, "Eve", "rent control") is None
    clock.advance(minutes=30)
    assert await nudge(bot, "Eve", "rents control") is not None


async def test_each_person_is_nudged_on_their_own(rent: Chat, bot: Bot,
                                                   clock: MovableClock) -> None:
    assert await nudge(bot, "Eve", "rent control") is not None
    clock.advance(minutes=1)
    assert await nudge(bot, "Bob", "rent control") is not None
    assert await nudge(bot, "Zed", "rent control") is not None  # never seen before
    assert await nudge(bot, "Eve", "rent control") is None
    assert await nudge(bot, "Bob", "rent control") is None


async def test_a_message_touching_two_topics_nudges_about_one_at_a_time(
        rent: Chat, bot: Bot) -> None:
    await rent.ok("Alice", 'topic add pipeline reason:"members split"')
    text = "The pipeline and rent control, again"
    first = await nudge(bot, "Eve", text)
    second = await nudge(bot, "Eve", text)
    assert first is not None
    assert second is not None
    assert "“pipeline”" in first.text
    assert "members split" in first.text
    assert "“rent control”" in second.text
    assert "partners differ" in second.text
    assert await nudge(bot, "Eve", text) is None


async def test_a_message_in_a_workspace_without_a_coalition_gets_no_nudge_and_writes_nothing(
        rent: Chat, bot: Bot, db_path: Path) -> None:
    before = snapshot(db_path)
    assert await nudge(bot, "Eve", "rent control", workspace="elsewhere") is None
    assert await nudge(bot, "Newcomer", "rent control", workspace="elsewhere") is None
    assert snapshot(db_path) == before


async def test_a_message_touching_no_topic_gets_none_and_writes_nothing(
        rent: Chat, bot: Bot, db_path: Path) -> None:
    before = snapshot(db_path)
    for text in ("parental controls", "rent", "control rent", "current controller", "",
                 "a reunion of unions", "🙂"):
        assert await nudge(bot, "Newcomer", text) is None
        assert await nudge(bot, "Eve", text) is None
    assert snapshot(db_path) == before


async def test_a_coalition_with_no_topics_nudges_nobody(partners: Chat, bot: Bot,
                                                        db_path: Path) -> None:
    before = snapshot(db_path)
    assert await nudge(bot, "Eve", "rent control and anything else") is None
    assert snapshot(db_path) == before


async def test_topics_of_one_coalition_never_nudge_in_another(
        rent: Chat, bot: Bot) -> None:
    await rent.ok("Olga", 'coalition setup "Riverside Climate"', workspace="river")
    assert await nudge(bot, "Olga", "rent control", workspace="river") is None
    assert await nudge(bot, "Olga", "rent control") is not None


async def test_the_message_text_is_never_stored(rent: Chat, bot: Bot, db_path: Path,
                                                clock: MovableClock) -> None:
    await rent.ok("Alice", "topic add lighthouse")
    for user in ("Eve", "Bob", "Zed", "Eve", "Eve"):
        assert await nudge(bot, user, SECRET) is not None
        clock.advance(minutes=6)
    assert await nudge(bot, "Eve", SECRET, workspace="elsewhere") is None
    await rent.ok("Eve", f"topic check {SECRET}")
    assert query(db_path, "SELECT count(*) FROM nudge") == [(4,)]  # Eve has two topics

    needles = [SECRET, "Quetzal", "pelicans", "Zanzibar", "whisper", "beneath"]
    with connect(db_path) as conn:
        names = tables(conn)
        assert {"topic", "nudge", "person", "decision"} <= set(names)
        for table in names:
            columns = [d[0] for d in conn.execute(f'SELECT * FROM "{table}" LIMIT 0')
                       .description]
            for column in columns:
                for (value,) in conn.execute(f'SELECT "{column}" FROM "{table}"'):
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    for needle in needles:
                        assert needle.lower() not in str(value).lower(), (table, column)
    if is_postgres(db_path):
        return  # the server's files are not ours to read
    # nor on disk at all: the database file and its write-ahead log, byte by byte
    files = [p for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)]
    assert db_path in files
    for path in files:
        raw = path.read_bytes().lower()
        for needle in needles:
            assert needle.lower().encode() not in raw, path


async def test_the_matcher_is_compiled_once_and_rebuilt_only_when_the_list_changes(
        rent: Chat, bot: Bot, clock: MovableClock) -> None:
    assert await nudge(bot, "Eve", "hello") is None
    builds = bot.topics.builds
    for i in range(40):
        await nudge(bot, f"Person {i % 7}", f"message {i} about rent control or nothing")
    await rent.ok("Eve", "topic check rent control")
    await rent.ok("Alice", "poll create Picnic?")
    assert (await rent.say("Alice", "topic add rent control")).error  # not a change
    assert bot.topics.builds == builds

    await rent.ok("Alice", "topic add pipeline")
    assert bot.topics.builds == builds  # rebuilt lazily, on the next message
    for _ in range(10):
        await nudge(bot, "Eve", "pipeline")
    assert bot.topics.builds == builds + 1

    await rent.ok("Alice", "topic remove pipeline")
    for _ in range(10):
        assert await nudge(bot, "Bob", "pipeline") is None
    assert bot.topics.builds == builds + 2

    await rent.ok("Bob", "topic propose unions")
    for _ in range(5):
        await nudge(bot, "Eve", "unions")
    assert bot.topics.builds == builds + 2  # a proposal alone changes nothing
    await rent.ok("Bob", "poll vote 2 agree")
    await rent.ok("Dan", "poll vote 2 agree")
    await rent.ok("Alice", "poll close 2 confirm:yes")
    for _ in range(10):
        await nudge(bot, "Zed", "unions")
    assert bot.topics.builds == builds + 3
    clock.advance(hours=1)
    assert await nudge(bot, "Zed", "the union's view") is not None
    assert bot.topics.builds == builds + 3


async def test_each_coalition_keeps_its_own_compiled_matcher(rent: Chat, bot: Bot) -> None:
    await rent.ok("Olga", 'coalition setup "Riverside Climate"', workspace="river")
    await rent.ok("Olga", "topic add pipeline", workspace="river")
    assert await nudge(bot, "Olga", "pipeline", workspace="river") is not None
    assert await nudge(bot, "Eve", "rent control") is not None
    builds = bot.topics.builds
    for _ in range(10):
        await nudge(bot, "Eve", "pipeline")
        await nudge(bot, "Olga", "rent control", workspace="river")
    assert bot.topics.builds == builds
    await rent.ok("Olga", "topic add refinery", workspace="river")
    for _ in range(5):
        await nudge(bot, "Eve", "rent control")
        await nudge(bot, "Olga", "refinery", workspace="river")
    assert bot.topics.builds == builds + 1  # only the river coalition rebuilt
