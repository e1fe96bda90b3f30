"""`/coalition health`: three months of a coalition's life, played through real commands
under the movable clock, and every figure of the report checked against numbers worked
out by hand below; then each flag is turned off by what would fix it.

Day 0 is Monday 23 November 2026, 15:00 UTC (10:00 in New York). The report is read on
day 95 (Friday 26 February 2027) over the default 90 days, so the window starts on day 5
(Saturday 28 November, 10:00 in New York): poll #1, the meeting of 24 November and
action #1, done on day 2, fall before it.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from helpers import START, Chat, MovableClock, error, field, text_of
from PIL import Image

from coalition_bot.replies import Reply

pytestmark = pytest.mark.both_backends


def at(clock: MovableClock, day: int, hours: float = 0) -> None:
    clock.now = START + timedelta(days=day, hours=hours)


async def poll(chat: Chat, clock: MovableClock, number: int, day: int,
               votes: list[tuple[str, float]], quorum: int = 0) -> None:
    """Poll NUMBER opens on DAY; each (person, hours) votes agree that many hours after it
    opened; a coordinator closes it on DAY + 2."""
    at(clock, day)
    await chat.ok("Alice", f'poll create "Question {number}?" quorum:{quorum}% '
                           f'closes:"{(START + timedelta(days=day + 3)).date()} 12:00"')
    for person, hours in votes:
        at(clock, day, hours)
        await chat.ok(person, f"poll vote {number} agree")
    at(clock, day + 2)
    await chat.ok("Alice", f"poll close {number} confirm:yes")


@pytest.fixture
async def history(chat: Chat, clock: MovableClock) -> Chat:
    """Tenants United (Bob, Gus), Climate Now (Dan), Faith Leaders (an observer, Olga),
    Youth Voice (no representative); Eve is a member of no organization."""
    c = chat
    await c.ok("Alice", 'coalition setup "Eastside Tenants" America/New_York')
    for org in ('"Tenants United"', '"Climate Now"', '"Faith Leaders" observer:yes',
                '"Youth Voice"'):
        await c.ok("Alice", f"coalition org add {org}")
    for person, org in (("Bob", "Tenants United"), ("Gus", "Tenants United"),
                        ("Dan", "Climate Now"), ("Olga", "Faith Leaders")):
        await c.ok("Alice", f'coalition rep add {person} "{org}"')
    await c.ok("Eve", "coalition info")
    await c.ok("Alice", "coalition goal add Rent stabilization")
    await c.ok("Alice", "coalition goal add A tenants' union office")
    await c.ok("Alice", "coalition goal update #2 done Opened")
    await c.ok("Alice", "role create Facilitator")
    await c.ok("Alice", 'role assign Facilitator Bob org:"Tenants United"')
    await c.ok("Alice", "role create Notes")
    await c.ok("Alice", "role assign Notes Dan")

    # Meetings on Tuesdays at 18:00 in New York. RSVPs given ahead of time.
    await c.ok("Alice", 'meeting schedule Strategy "2026-11-24 18:00" every:weekly')
    for person, day in (("Bob", "2026-11-24"), ("Bob", "2026-12-01"), ("Dan", "2026-12-01"),
                        ("Dan", "2026-12-08"), ("Olga", "2026-12-08"), ("Bob", "2026-12-15"),
                        ("Bob", "2026-12-22"), ("Gus", "2026-12-22"), ("Dan", "2026-12-29")):
        await c.ok(person, f"meeting rsvp 1 yes occurrence:{day}")
    await c.ok("Dan", "meeting rsvp 1 no occurrence:2026-12-29")  # changed their mind
    await c.ok("Alice", "meeting cancel 1 occurrence:2026-12-15")

    # Action items (numbers in the order written), noted at the 24 November meeting.
    at(clock, 1, 9)  # Tue 24 Nov, 19:00 in New York
    for owner, due in (("Gus", ""), ("Bob", "2026-12-23 10:00"), ("Bob", "2027-02-21 10:00"),
                       ("Bob", ""), ("Bob", ""), ("Dan", "2027-03-03 10:00"),
                       ("Olga", ""), ("Eve", "2027-02-25 10:00")):
        due_opt = f' due:"{due}"' if due else ""
        await c.ok("Alice", f"meeting note 1 action Task for {owner} owner:{owner}{due_opt}")
    at(clock, 2)
    await c.ok("Gus", "meeting done 1")  # before the window

    await poll(c, clock, 1, 0, [("Bob", 1), ("Dan", 1)])  # closed on day 2: before the window
    await poll(c, clock, 2, 10, [("Bob", 4)])
    await poll(c, clock, 3, 20, [("Gus", 10), ("Dan", 20)])
    await poll(c, clock, 4, 30, [("Bob", 1)])
    await poll(c, clock, 5, 40, [("Bob", 3)], quorum=100)  # fails quorum
    await poll(c, clock, 6, 50, [("Bob", 5)])

    at(clock, 60)
    await c.ok("Olga", "meeting done 7")
    for day, people in (("2026-11-24", "Bob"), ("2026-12-01", "Bob, Gus"),
                        ("2026-12-08", "Dan Olga"), ("2026-12-22", "Bob")):
        await c.ok("Bob", f"meeting attended 1 {people} occurrence:{day}")
    at(clock, 95)
    await c.ok("Bob", "meeting rsvp 1 yes")  # the next meeting, after the report's now
    return c


def org_field(reply: Reply, name: str) -> str:
    return field(reply, name)


async def test_every_figure_of_the_report_matches_the_history(history: Chat) -> None:
    reply = await history.ok("Alice", "coalition health")
    assert reply.private
    assert reply.title == "Health of Eastside Tenants, last 90 days"
    # Tenants United: polls 2-6 (5), all voted, after 4, 10, 1, 3, 5 hours: median 4 h.
    # Said yes: 1 Dec, 22 Dec (15 Dec was cancelled; 24 Nov is before the window; the
    # next one is after now). Attended: 1 Dec, 22 Dec. Open: #2, #3, #4, #5; overdue: #2
    # (due 23 Dec), #3 (due 21 Feb); #1 was done before the window. One role for it.
    assert org_field(reply, "#1 Tenants United") == (
        "Polls: voted in 5 of 5 (100%), median 4 hours after a poll opened.\n"
        "Meetings: said yes to 2, attended 2.\n"
        "Action items: 4 open, 2 overdue, 0 done in the period.\n"
        "Roles held: 1. Representatives: 2.")
    # Climate Now: voted only in poll 3, 20 hours in: 1 of 5. Said yes 1 and 8 Dec (29
    # Dec changed to no); attended 8 Dec. Open #6, due after now. The Notes role (held by
    # Dan, on behalf of nobody, counts for the organization he represents).
    assert org_field(reply, "#2 Climate Now") == (
        "Polls: voted in 1 of 5 (20%), median 20 hours after a poll opened.\n"
        "Meetings: said yes to 2, attended 1.\n"
        "Action items: 1 open, 0 overdue, 0 done in the period.\n"
        "Roles held: 1. Representatives: 1.")
    assert org_field(reply, "#3 Faith Leaders (observer)") == (
        "Polls: an observer, does not vote.\n"
        "Meetings: said yes to 1, attended 1.\n"
        "Action items: 0 open, 0 overdue, 1 done in the period.\n"
        "Roles held: 0. Representatives: 1.")
    assert org_field(reply, "#4 Youth Voice") == (
        "Polls: voted in 0 of 5 (0%).\n"
        "Meetings: said yes to 0, attended 0.\n"
        "Action items: 0 open, 0 overdue, 0 done in the period.\n"
        "Roles held: 0. Representatives: 0.")
    # Decisions 2, 3, 4, 6; poll 5 failed its quorum; poll 1 closed before the window.
    assert field(reply, "Coalition") == ("Decisions taken: 4.\nPolls that failed quorum: 1.\n"
                                         "Goals: 1 open, 1 done.")
    # Loads (open actions + roles): Bob 4 + 1 = 5, Dan 1 + 1 = 2, Eve 1: median 2, and
    # 5 > 2 x 2. Overdue by more than 14 days on day 95: #2 only (65 days); #3 is 5 days
    # late, #8 (Eve) 1 day.
    assert field(reply, "Flags").split("\n") == [
        "- Climate Now has not voted in the last 3 polls.",
        "- Youth Voice has not voted in the last 5 polls.",
        "- Youth Voice has no representative.",
        "- Youth Voice carries nothing: 0 open action items, 0 roles, 0 action items "
        "finished in the period.",
        "- Bob carries 5 (open action items and roles), more than twice the median of 2.",
        "- 1 action item overdue by more than two weeks: #2 (Bob, 65 days).",
    ]


async def test_a_shorter_period_counts_less(history: Chat) -> None:
    # period:30d from day 95: day 65 on. No poll closed, no meeting in it.
    reply = await history.ok("Alice", "coalition health period:30d")
    assert reply.title == "Health of Eastside Tenants, last 30 days"
    assert org_field(reply, "#1 Tenants United").split("\n")[:2] == [
        "Polls: none closed in the period that it could vote in.",
        "Meetings: said yes to 0, attended 0."]
    assert field(reply, "Coalition").startswith("Decisions taken: 0.\nPolls that failed "
                                                "quorum: 0.")
    # Olga's action was done on day 60: before this window. An observer carrying nothing
    # is not flagged; Youth Voice, a voting partner carrying nothing, is.
    assert "0 open, 0 overdue, 0 done" in org_field(reply, "#3 Faith Leaders (observer)")
    flags = field(reply, "Flags")
    assert "Faith Leaders" not in flags
    assert "- Youth Voice carries nothing" in flags


async def test_each_flag_goes_away_when_its_cause_does(history: Chat,
                                                       clock: MovableClock) -> None:
    c = history
    at(clock, 95)
    await c.ok("Alice", 'coalition rep add Yan "Youth Voice"')
    await c.ok("Alice", "meeting note 1 action Youth flyer owner:Yan")
    await c.ok("Yan", "meeting done 9")  # done work counts: not "carrying nothing"
    await c.ok("Bob", "meeting done 2")  # the old overdue one
    await c.ok("Bob", "meeting done 4")  # Bob: 3 open + 1 role = 4, not > 4
    at(clock, 96)
    await c.ok("Alice", 'poll create "Question 7?" quorum:0% closes:"2027-03-05 12:00"')
    for person in ("Dan", "Yan"):
        await c.ok(person, "poll vote 7 agree")
    await c.ok("Alice", "poll close 7 confirm:yes")
    reply = await c.ok("Alice", "coalition health")
    assert field(reply, "Flags") == "Nothing to flag."
    assert "Polls: voted in 1 of 6 (17%)" in org_field(reply, "#4 Youth Voice")
    assert "0 open, 0 overdue, 1 done in the period" in org_field(reply, "#4 Youth Voice")


async def test_the_overdue_flag_names_the_five_oldest_and_counts_the_rest(
        history: Chat, clock: MovableClock) -> None:
    at(clock, 95)  # Friday 26 February 2027; #2 (Bob) has been overdue since 23 December
    for n, due in enumerate(("2027-01-10", "2026-12-30", "2027-02-11", "2027-02-13",
                             "2027-01-20", "2026-12-01")):
        owner = " owner:Dan" if n % 2 else ""  # else the author, Alice
        await history.ok("Alice", f'meeting note 1 action Late {n} due:"{due} 10:00"{owner}')
    flags = field(await history.ok("Alice", "coalition health"), "Flags").split("\n")
    # #9-#14 in the order written; #11 (11 Feb, 15 days) counts, #12 (13 Feb) does not
    assert flags[-1] == (
        "- 6 action items overdue by more than two weeks: #14 (Dan, 87 days), "
        "#2 (Bob, 65 days), #10 (Dan, 58 days), #9 (Alice, 47 days), #13 (Alice, 37 days) "
        "and 1 more.")


async def test_a_representative_sees_their_own_organization(history: Chat) -> None:
    reply = await history.ok("Dan", "coalition health")
    assert reply.title == "Health of Eastside Tenants (your organization), last 90 days"
    assert [f.name for f in reply.fields] == ["#2 Climate Now", "Coalition", "Offers and asks",
                                              "Flags"]
    assert field(reply, "Flags") == "- Climate Now has not voted in the last 3 polls."
    assert "Bob" not in text_of(reply)


async def test_members_and_bad_periods_are_refused(history: Chat) -> None:
    message = await error(history, "Eve", "coalition health")
    assert "representative" in message
    message = await error(history, "Alice", "coalition health period:soon")
    assert "`soon` is not a duration" in message



async def test_the_chart_is_a_png_repeating_the_text(history: Chat) -> None:
    reply = await history.ok("Alice", "coalition health")
    (chart,) = reply.files
    assert (chart.filename, chart.media_type) == ("health.png", "image/png")
    image = Image.open(io.BytesIO(chart.data))
    assert image.format == "PNG"
    assert image.size[0] == 800
    assert 200 <= image.size[1] <= 400
    grey = image.convert("L")
    low, high = grey.getextrema()
    assert low < 60
    assert high == 255
    assert grey.getpixel((0, 0)) == 255  # ink on white
    dark = sum(grey.histogram()[:128])
    assert dark > 0.01 * image.size[0] * image.size[1]  # bars, not a blank page
    text = text_of(reply)
    for name in ("Tenants United", "Climate Now", "Faith Leaders", "Youth Voice"):
        assert name in text
    assert "voted in 5 of 5 (100%)" in text
    assert "voted in 1 of 5 (20%)" in text


    # the largest bar (100%) is dark across its length, at the top
    assert grey.crop((400, 40, 500, 60)).getextrema()[0] < 128


async def test_the_chart_draws_names_as_typed_not_as_math(history: Chat) -> None:
    # matplotlib reads text between dollar signs as mathtext; `\q` is no TeX command
    await history.ok("Alice", r'coalition org add "Save $\q$ Fund"')
    reply = await history.ok("Alice", "coalition health")
    assert r"Save $\q$ Fund" in text_of(reply)
    assert Image.open(io.BytesIO(reply.files[0].data)).format == "PNG"


async def test_the_chart_shows_only_a_representatives_own_organization(
        history: Chat) -> None:
    mine = (await history.ok("Dan", "coalition health")).files[0]
    everyone = (await history.ok("Alice", "coalition health")).files[0]
    assert Image.open(io.BytesIO(mine.data)).size[1] < Image.open(
        io.BytesIO(everyone.data)).size[1]


async def test_the_report_shows_offers_and_asks_of_the_period(history: Chat) -> None:
    before = await history.ok("Alice", "coalition health")
    assert field(before, "Offers and asks") == "Nothing posted yet."
    await history.ok("Bob", "resource ask Spanish-speaking canvassers tags:canvass")
    await history.ok("Dan", "resource take 1")
    await history.ok("Bob", "resource close 1 met")
    after = await history.ok("Alice", "coalition health")
    assert field(after, "Offers and asks") == (
        "1 of 1 ask(s) met, in less than a minute on median. Met by Climate Now (1). "
        "0 of 0 offer(s) taken up.")
