"""Text with spans: how handlers build it, what it reads as, and how the outbox keeps it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from coalition_bot.adapters.console.render import render_notice
from coalition_bot.replies import CommandRef, Field, Notice, Text, When, join, spans
from coalition_bot.services.deliveries import notice_from_json, notice_to_json

WHEN = When(datetime(2026, 12, 1, 23, 0, tzinfo=UTC), "America/New_York")


def test_text_reads_as_the_console_shows_it_and_keeps_its_spans() -> None:
    text = "Closes " + WHEN + ". Vote with " + CommandRef("poll vote #1 CHOICE") + "."
    assert text == ("Closes Tue 1 Dec 2026, 18:00 (America/New_York). "
                    "Vote with `/poll vote #1 CHOICE`.")
    assert spans(text) == ("Closes ", WHEN, ". Vote with ", CommandRef("poll vote #1 CHOICE"),
                           ".")
    lines = join("\n", ["Rule: majority.", "Closes " + WHEN + "."])
    assert spans(lines) == ("Rule: majority.\nCloses ", WHEN, ".")


def test_an_f_string_gives_the_plain_reading_only() -> None:
    assert f"at {WHEN}" == "at Tue 1 Dec 2026, 18:00 (America/New_York)"
    assert spans(f"at {'at ' + WHEN}") == ("at at Tue 1 Dec 2026, 18:00 (America/New_York)",)


def test_a_notice_keeps_its_spans_through_the_outbox() -> None:
    notice = Notice(1, "Poll #1 now closes " + WHEN, "Vote with " + CommandRef("poll vote 1"),
                    fields=(Field("When", Text(WHEN)), Field("Plain", "as typed: 5/3 6pm")))
    back = notice_from_json(notice_to_json(notice))
    assert back == notice
    assert spans(back.title) == spans(notice.title)
    assert spans(back.text) == spans(notice.text)
    assert spans(back.fields[0].value) == (WHEN,)
    assert render_notice(back) == render_notice(notice)


def test_a_notice_written_before_spans_still_loads() -> None:
    body = json.dumps({"coalition_id": 1, "title": "Poll #1 closed: passed",
                       "text": "Strike?\nClosed at its deadline.",
                       "fields": [{"name": "Tally", "value": "agree: 2", "inline": False,
                                   "channel_id": ""}],
                       "buttons": [], "mentions": []})
    notice = notice_from_json(body)
    assert notice.text == "Strike?\nClosed at its deadline."
    assert spans(notice.fields[0].value) == ("agree: 2",)
