"""/resource: offers and asks between partner organizations, on a real SQLite file.

Alice coordinates; Bob and Gus represent Tenants United, Dan and Fay Climate Now; Eve is
a member. The clock starts on Monday 23 November 2026, 15:00 UTC (10:00 in New York).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import Chat, MovableClock, error, field, query, refused_without_change, text_of

from coalition_bot.services.people import console_user_id
from coalition_bot.services.resources import network_numbers

HALL = "resource offer Meeting hall for 80 people, weekday evenings tags:hall,venue"
CANVASS = "resource ask Spanish-speaking canvassers for Saturday tags:canvass,spanish"


pytestmark = pytest.mark.both_backends

@pytest.fixture
async def board(partners: Chat) -> Chat:
    """Partners with a second representative each: Gus (Tenants United), Fay (Climate Now)."""
    await partners.ok("Alice", 'coalition rep add Gus "Tenants United"')
    await partners.ok("Alice", 'coalition rep add Fay "Climate Now"')
    return partners


def private_to(chat: Chat, name: str) -> list[str]:
    """Titles of what was sent privately to a console user."""
    return [n.title for user, n in chat.outlet.private if user == console_user_id(name)]


def resource_rows(db_path: Path) -> list[tuple]:
    return query(db_path, "SELECT number, kind, org_id, text, tags, status FROM resource"
                          " ORDER BY number")


# --- offer and ask ---------------------------------------------------------------------------


async def test_a_representative_offers_for_their_organization(
        board: Chat, db_path: Path) -> None:
    reply = await board.ok("Bob", f"{HALL} until:2026-12-31")
    assert reply.private
    assert reply.title == "Offer #1 posted for Tenants United"
    assert field(reply, "Stands") == "until the end of Thu 31 Dec 2026"
    assert field(reply, "Tags") == "hall, venue"
    assert [b.command for b in reply.buttons] == ["resource match 1", "resource close 1 withdrawn"]
    [notice] = board.notices
    assert (notice.title, notice.text) == ("New offer #1 from Tenants United",
                                           "Meeting hall for 80 people, weekday evenings")
    assert [(b.label, b.command) for b in notice.buttons] == [
        ("We could use this", "resource take 1")]
    assert resource_rows(db_path) == [
        (1, "offer", 1, "Meeting hall for 80 people, weekday evenings", "hall venue", "open")]


async def test_an_ask_reuses_the_spelling_of_tags_in_use(board: Chat, db_path: Path) -> None:
    await board.ok("Bob", HALL)
    reply = await board.ok("Dan", 'resource ask A room for our town meeting tags:"Halls,  '
                                  'TOWN-Meeting, halls"')
    assert reply.title == "Ask #2 posted for Climate Now"
    assert field(reply, "Stands") == "until closed"
    assert "1 open offer(s) may fit: see `/resource match #2`." in reply.text
    assert resource_rows(db_path)[1][4] == "hall town-meeting"
    listed = await board.ok("Eve", "resource list")
    assert field(listed, "Tags in use") == "hall (2), town-meeting (1), venue (1)"


async def test_a_coordinator_posts_for_any_organization_naming_it(
        board: Chat, db_path: Path) -> None:
    reply = await board.ok("Alice", 'resource ask Legal advice on evictions '
                                    'org:"Climate Now"')
    assert reply.title == "Ask #1 posted for Climate Now"
    message = await refused_without_change(board, db_path, "Alice",
                                           "resource ask Legal advice on evictions")
    assert "Name the organization you post for" in message
    assert "org:NAME" in message


async def test_list_shows_open_items_by_organization_newest_first_with_their_age(
        board: Chat, clock: MovableClock) -> None:
    await board.ok("Bob", f"{HALL} until:2026-12-31")
    clock.advance(days=2)
    await board.ok("Dan", CANVASS)
    clock.advance(hours=3)
    await board.ok("Bob", "resource ask Someone to print 500 flyers tags:print")
    listed = await board.ok("Eve", "resource list")
    assert listed.title == "Open offers and asks"
    assert [f.name for f in listed.fields] == [
        "Tenants United", "Climate Now", "Tags in use", "The network"]
    assert field(listed, "Tenants United") == (
        "Ask #3 (just now): Someone to print 500 flyers [print]\n"
        "Offer #1 (2 days ago, until Thu 31 Dec 2026): Meeting hall for 80 people, weekday "
        "evenings [hall, venue]")
    assert field(listed, "Climate Now") == (
        "Ask #2 (3 hours ago): Spanish-speaking canvassers for Saturday [canvass, spanish]")
    asks = await board.ok("Eve", "resource list asks")
    assert "Offer #1" not in text_of(asks)
    assert "Ask #2" in text_of(asks)
    tagged = await board.ok("Eve", "resource list tag:Venues")
    assert [f.name for f in tagged.fields][:1] == ["Tenants United"]
    assert "Ask #3" not in text_of(tagged)
    assert "Offer #1" in text_of(tagged)
    mine = await board.ok("Dan", "resource list mine")
    assert "Ask #2" in text_of(mine)
    assert "Tenants United" not in [f.name for f in mine.fields]


async def test_an_empty_board_says_how_to_post(board: Chat) -> None:
    listed = await board.ok("Eve", "resource list")
    assert "Nothing open" in listed.text
    assert "/resource offer TEXT" in listed.text
    assert field(listed, "The network") == "Nothing posted yet."


# --- match -----------------------------------------------------------------------------------


async def test_match_ranks_offers_by_shared_tags_then_words_and_says_why(
        board: Chat, clock: MovableClock) -> None:
    await board.ok("Alice", 'coalition org add "Print Shop"')
    await board.ok("Alice", 'coalition rep add Hal "Print Shop"')
    await board.ok("Dan", "resource ask Spanish speaking canvassers for Saturday morning "
                          "tags:canvassing,spanish")  # 1
    await board.ok("Bob", "resource offer Volunteers who canvass in Spanish "
                          "tags:spanish,canvassing")  # 2: two shared tags
    await board.ok("Hal", "resource offer Canvassers on Saturday tags:spanish")  # 3
    clock.advance(minutes=5)
    await board.ok("Bob", "resource offer Spanish translation of flyers tags:spanish,"
                          "translation")  # 4: as many points as #3, newer
    await board.ok("Hal", "resource offer Printing on Saturday mornings")  # 5: words only
    await board.ok("Bob", "resource offer Meeting hall tags:hall")  # 6: nothing shared
    await board.ok("Fay", "resource offer Spanish canvassers tags:spanish,canvassing")  # 7
    await board.ok("Hal", "resource offer Spanish speaking canvassers tags:spanish")  # 8
    await board.ok("Hal", "resource close 8 withdrawn")
    found = await board.ok("Eve", "resource match 1")
    assert found.title == "Open offers that may fit ask #1"
    assert [f.name for f in found.fields] == [
        "1. Offer #2 of Tenants United: score 6",
        "2. Offer #3 of Print Shop: score 5",
        "3. Offer #4 of Tenants United: score 3",
        "4. Offer #5 of Print Shop: score 2",
    ]
    assert [f.value.split("\nWhy: ")[1] for f in found.fields] == [
        "shared tags: canvassing, spanish (3 points each).",
        "shared tags: spanish (3 points each); shared words: canvassers, saturday "
        "(1 point each).",
        "shared tags: spanish (3 points each).",
        "shared words: saturday, morning (1 point each).",
    ]
    assert [(b.label, b.command) for b in found.buttons] == [
        ("Use offer #2", "resource take 2"), ("Use offer #3", "resource take 3"),
        ("Use offer #4", "resource take 4")]


async def test_match_works_from_an_offer_to_asks_and_ties_go_to_the_newest(
        board: Chat, clock: MovableClock) -> None:
    await board.ok("Bob", HALL)  # 1
    await board.ok("Dan", "resource ask A hall for a town meeting tags:halls")  # 2
    clock.advance(hours=1)
    await board.ok("Fay", "resource ask Meeting room tags:hall")  # 3: same score, newer
    found = await board.ok("Eve", "resource match #1")
    assert found.title == "Open asks that may fit offer #1"
    assert [f.name for f in found.fields] == ["1. Ask #3 of Climate Now: score 4",
                                              "2. Ask #2 of Climate Now: score 4"]
    assert [b.label for b in found.buttons] == ["Meet ask #3", "Meet ask #2"]


async def test_match_with_nothing_in_common_says_so(board: Chat) -> None:
    await board.ok("Bob", HALL)
    await board.ok("Dan", "resource ask Lawyer for eviction cases")
    found = await board.ok("Eve", "resource match 2")
    assert found.fields == ()
    assert "No open offer of another organization" in found.text


# --- take ------------------------------------------------------------------------------------


async def test_take_tells_both_sides_privately_and_the_home_channel_once(
        board: Chat, db_path: Path) -> None:
    await board.ok("Dan", CANVASS)
    board.outlet.posted.clear()
    reply = await board.ok("Bob", "resource take 1 Maria can bring 6 people")
    assert reply.private
    assert reply.title == "Tenants United will meet Climate Now's ask #1"
    [notice] = board.notices
    assert notice.title == "Tenants United will meet Climate Now's ask #1"
    assert notice.text.endswith("Note: Maria can bring 6 people")
    # the asking side (Dan posted it, Fay also represents Climate Now), and Bob's partner
    asked = "Tenants United will meet your ask #1"
    assert private_to(board, "Dan") == [asked]
    assert private_to(board, "Fay") == [asked]
    assert private_to(board, "Gus") == ["Tenants United will meet Climate Now's ask #1"]
    assert private_to(board, "Bob") == []  # the reply told him
    [(_, to_dan)] = [(u, n) for u, n in board.outlet.private if u == "dan"]
    assert "Bob (Tenants United) committed to it." in to_dan.text
    assert [(b.label, b.command) for b in to_dan.buttons] == [
        ("Close as met", "resource close 1 met")]
    assert query(db_path, "SELECT resource_id, org_id, note FROM resource_take") == [
        (1, 1, "Maria can bring 6 people")]
    listed = await board.ok("Eve", "resource list")
    assert "; committed: Tenants United" in field(listed, "Climate Now")


async def test_taking_twice_or_ones_own_item_is_refused_without_change(
        board: Chat, db_path: Path) -> None:
    await board.ok("Dan", CANVASS)
    await board.ok("Bob", "resource take 1")
    twice = await refused_without_change(board, db_path, "Gus", "resource take 1")
    assert twice == "Tenants United has already committed to Ask #1.\nNothing changed."
    own = await refused_without_change(board, db_path, "Fay", "resource take #1")
    assert "Ask #1 is Climate Now's own ask." in own


async def test_a_closed_item_takes_nothing(board: Chat, db_path: Path) -> None:
    await board.ok("Dan", CANVASS)
    await board.ok("Dan", "resource close 1 withdrawn")
    message = await refused_without_change(board, db_path, "Bob", "resource take 1")
    assert message.startswith("Ask #1 was closed as withdrawn on Mon 23 Nov 2026.")


# --- close -----------------------------------------------------------------------------------


async def test_close_as_met_by_the_posters_organization_counts_who_met_it(
        board: Chat, clock: MovableClock, db_path: Path) -> None:
    await board.ok("Dan", CANVASS)
    await board.ok("Bob", "resource take 1")
    clock.advance(days=2, hours=12)
    board.outlet.posted.clear()
    reply = await board.ok("Fay", "resource close 1")  # met by default
    assert reply.title == "Ask #1 closed as met"
    [notice] = board.notices
    assert notice.title == "Climate Now's ask #1 was met by Tenants United"
    assert "After 2 days 12 hours." in notice.text
    assert "Ask #1 of Climate Now was closed as met" in private_to(board, "Bob")
    assert resource_rows(db_path)[0][5] == "met"
    listed = await board.ok("Eve", "resource list")
    assert field(listed, "The network") == (
        "1 of 1 ask(s) met, in 2.5 days on median. Met by Tenants United (1). "
        "0 of 0 offer(s) taken up.")
    again = await refused_without_change(board, db_path, "Dan", "resource close 1")
    assert again == "Ask #1 was closed as met on Wed 25 Nov 2026.\nNothing changed."


async def test_another_organization_cannot_close_yours_and_a_coordinator_can(
        board: Chat, db_path: Path) -> None:
    await board.ok("Dan", CANVASS)
    message = await refused_without_change(board, db_path, "Bob", "resource close 1 withdrawn")
    assert message == ("Ask #1 is Climate Now's: only its representatives or a coordinator "
                       "close it.")
    member = await refused_without_change(board, db_path, "Eve", "resource close 1")
    assert "is for representatives; you are a member" in member
    await board.ok("Alice", "resource close 1 withdrawn No longer needed")
    assert query(db_path, "SELECT status, close_note FROM resource") == [
        ("withdrawn", "No longer needed")]
    assert board.notices[-1].title == "New ask #1 from Climate Now"  # no notice: not met


# --- permissions -----------------------------------------------------------------------------


async def test_a_member_cannot_post_for_an_organization(board: Chat, db_path: Path) -> None:
    await board.ok("Eve", 'coalition join "Climate Now"')  # declared, not a representative
    for line in (HALL, CANVASS, f'{HALL} org:"Climate Now"'):
        message = await refused_without_change(board, db_path, "Eve", line)
        assert "is for representatives; you are a member here" in message


async def test_a_representative_posts_only_for_their_own_organization(
        board: Chat, db_path: Path) -> None:
    message = await refused_without_change(board, db_path, "Bob",
                                           f'{HALL} org:"Climate Now"')
    assert message == ("You represent Tenants United, not Climate Now: only its "
                       "representatives or a coordinator post for it.")
    taking = await refused_without_change(board, db_path, "Bob", "resource take 1 "
                                                                 'org:"Climate Now"')
    assert "There is no offer or ask #1" in taking


async def test_a_representative_of_two_organizations_names_the_one(
        board: Chat, db_path: Path) -> None:
    await board.ok("Alice", 'coalition rep add Bob "Climate Now"')
    message = await refused_without_change(board, db_path, "Bob", HALL)
    assert "You represent several organizations (Tenants United, Climate Now)" in message
    reply = await board.ok("Bob", f'{HALL} org:"#2"')
    assert reply.title == "Offer #1 posted for Climate Now"


# --- expiry and its reminder -----------------------------------------------------------------


async def test_an_item_past_its_date_is_no_longer_open(
        board: Chat, clock: MovableClock, db_path: Path) -> None:
    await board.ok("Dan", f"{CANVASS} by:2026-11-25")
    await board.ok("Bob", HALL)
    clock.advance(days=2, hours=14)  # Thu 26 Nov, 05:00 UTC: midnight in New York
    listed = await board.ok("Eve", "resource list")
    assert "Ask #2" not in text_of(listed)
    assert "Ask #1" not in text_of(listed)
    taking = await refused_without_change(board, db_path, "Bob", "resource take 1")
    assert taking.startswith("Ask #1 expired on Wed 25 Nov 2026, 23:59")
    found = await board.ok("Eve", "resource match 2")
    assert found.fields == ()
    exported = await board.ok("Eve", "coalition export resources json")
    assert [r["status"] for r in json.loads(exported.files[0].content)] == ["expired", "open"]
    # its organization may still record that it was met after all
    await board.ok("Dan", "resource close 1 met")


async def test_bad_input_for_each_option_is_refused_privately_without_change(
        board: Chat, db_path: Path) -> None:
    await board.ok("Dan", CANVASS)
    cases = {
        "resource offer": "needs TEXT",
        f"resource offer {'x' * 301}": "at most 300 fit",
        "resource offer Hall tags:#,!": "has no tag in it",
        f"resource offer Hall tags:{'a' * 31}": "longer than 30 characters",
        "resource offer Hall tags:" + ",".join(f"t{i}" for i in range(11)): "at most 10 fit",
        "resource offer Hall until:2026-11-22": "is in the past (today is Mon 23 Nov 2026)",
        "resource offer Hall until:someday": "someday",
        "resource ask Hall by:2026-11-01": "by:2026-11-01 is in the past",
        'resource ask Hall by:"not a date"': "not a date",
        'resource offer Hall org:"Nobody"': "There is no organization `Nobody`",
        "resource list everything": "must be one of all, offers, asks, mine",
        "resource list tag:!!!": "has no tag in it",
        "resource match": "needs #N",
        "resource match 0": "must be a resource number like #2",
        "resource match 9": "There is no offer or ask #9",
        "resource take 9": "There is no offer or ask #9",
        "resource take abc": "must be a resource number like #2",
        f"resource take 1 {'n' * 301}": "at most 300 fit",
        "resource close 1 done": "must be one of met, withdrawn, expired",
        "resource close 9": "There is no offer or ask #9",
        f"resource close 1 met {'n' * 301}": "at most 300 fit",
    }
    for line, expected in cases.items():
        user = "Dan" if "close" in line else "Bob"
        message = await refused_without_change(board, db_path, user, line)
        assert expected in message, (line, message)
    mine = await error(board, "Eve", "resource list mine")
    assert "You represent no organization" in mine


# --- the numbers -----------------------------------------------------------------------------


async def test_network_numbers_count_asks_met_by_whom_and_how_fast(
        board: Chat, bot, clock: MovableClock) -> None:
    await board.ok("Dan", "resource ask Canvassers")  # 1: met by Tenants United in 1 day
    await board.ok("Dan", "resource ask Printer")  # 2: met by both in 3 days
    await board.ok("Bob", "resource ask Lawyer")  # 3: met, nobody recorded, in 5 days
    await board.ok("Bob", "resource ask Hall")  # 4: withdrawn
    await board.ok("Dan", "resource offer Vans")  # taken up
    await board.ok("Dan", "resource offer Chairs")  # not
    await board.ok("Bob", "resource take 1")
    await board.ok("Bob", "resource take 2")
    await board.ok("Alice", 'coalition org add "Print Shop"')
    await board.ok("Alice", 'resource take 2 org:"Print Shop"')
    await board.ok("Bob", "resource take 5")
    clock.advance(days=1)
    await board.ok("Dan", "resource close 1 met")
    clock.advance(days=2)
    await board.ok("Dan", "resource close 2 met")
    clock.advance(days=2)
    await board.ok("Bob", "resource close 3 met")
    await board.ok("Bob", "resource close 4 withdrawn")
    async with bot.db.transaction() as conn:
        numbers = await network_numbers(conn, 1, clock.now)
        later = await network_numbers(conn, 1, clock.now, since=clock.now)
    assert (numbers.asks, numbers.met, numbers.median_days) == (4, 3, 3.0)
    assert numbers.met_by == (("Tenants United", 2), ("Print Shop", 1), ("not recorded", 1))
    assert (numbers.offers, numbers.offers_taken) == (2, 1)
    assert numbers.summary() == (
        "3 of 4 ask(s) met, in 3 days on median. Met by Tenants United (2), Print Shop (1), "
        "not recorded (1). 1 of 2 offer(s) taken up.")
    assert (later.asks, later.offers, later.summary()) == (0, 0, "Nothing posted yet.")


# --- export ----------------------------------------------------------------------------------


async def test_export_resources_as_csv_and_json_formula_safe(
        board: Chat, db_path: Path) -> None:
    await board.ok("Dan", "resource ask =SUM(A1:A9) tags:legal by:2026-12-01")
    await board.ok("Bob", "resource take 1 -call me")
    await board.ok("Dan", "resource close 1 met @done")
    csv_reply = await board.ok("Eve", "coalition export resources")
    [csv_file] = csv_reply.files
    assert csv_reply.private
    assert csv_file.filename.startswith("resources-")
    lines = csv_file.content.splitlines()
    assert lines[0] == ("number,kind,organization,text,tags,status,posted_at,ends_at,"
                        "closed_at,close_note,takes")
    assert lines[1].startswith("1,ask,Climate Now,'=SUM(A1:A9),")
    assert ",'@done," in lines[1]
    [row] = json.loads((await board.ok("Eve", "coalition export resources json")
                        ).files[0].content)
    assert row == {
        "number": 1, "kind": "ask", "organization": "Climate Now",
        "text": "=SUM(A1:A9)", "tags": ["legal"], "status": "met",
        "posted_at": "2026-11-23T10:00:00-05:00", "ends_at": "2026-12-02T00:00:00-05:00",
        "closed_at": "2026-11-23T10:00:00-05:00", "close_note": "@done",
        "takes": [{"organization": "Tenants United", "by": "Bob", "note": "-call me",
                   "at": "2026-11-23T10:00:00-05:00"}]}


async def test_help_lists_the_resource_command(board: Chat) -> None:
    reply = await board.say("Eve", "resource help")
    for words in ("offer", "ask", "list", "match", "take", "close"):
        assert f"/resource {words}" in text_of(reply)
