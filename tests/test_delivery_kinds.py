"""The delivery vocabulary: one class per kind, found by the name a row stores.

What each kind renders and where it goes is tested end to end through the scheduler
and the outbox (test_scheduler.py, test_resource_reminders.py, test_digest.py, …);
these pin the registry and the expiry rules, which are plain arithmetic.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coalition_bot.services.delivery_kinds import KINDS, kind_of
from coalition_bot.services.meetings import Due

AT = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
NAMES = {"meeting-reminder", "poll-closing", "poll-result", "action-due",
         "resource-expiring", "digest", "notice"}


def due(kind: str, offset_min: int = 0) -> Due:
    return Due(kind, 1, AT, 7, "", offset_min)


def test_every_kind_a_row_can_hold_has_one_class() -> None:
    assert set(KINDS) == NAMES
    for name, kind in KINDS.items():
        assert kind.name == name
        assert kind_of(name) is kind


def test_an_unknown_kind_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown delivery kind 'meeting-remnder'"):
        kind_of("meeting-remnder")


@pytest.mark.parametrize("name", ["meeting-reminder", "poll-closing", "resource-expiring"])
def test_a_reminder_ahead_is_given_up_when_its_event_comes(name: str) -> None:
    assert kind_of(name).expiry(due(name, 90), AT) == AT + timedelta(minutes=90)


def test_a_poll_result_is_kept_a_week_after_it_was_found() -> None:
    result = kind_of("poll-result")
    assert result.expiry(due("poll-result"), AT) == AT + timedelta(days=7)
    found_late = AT + timedelta(days=3)
    assert result.expiry(due("poll-result"), found_late) == found_late + timedelta(days=7)


def test_an_action_is_kept_a_day_and_its_reminder_ahead_until_it_is_due() -> None:
    action = kind_of("action-due")
    assert action.expiry(due("action-due"), AT) == AT + timedelta(days=1)
    assert action.expiry(due("action-due", 2880), AT) == AT + timedelta(days=2)


def test_a_digest_is_kept_a_day_and_a_commands_notice_a_week() -> None:
    assert kind_of("digest").expiry(due("digest"), AT) == AT + timedelta(days=1)
    assert kind_of("notice").expiry(due("notice"), AT) == AT + timedelta(days=7)


def test_only_a_poll_result_is_announced_late_rather_than_skipped() -> None:
    late = {name for name, kind in KINDS.items() if kind.announced_late}
    assert late == {"poll-result"}


def test_coordinators_see_the_same_labels_as_before() -> None:
    labels = {name: kind.label for name, kind in KINDS.items()}
    assert labels == {"meeting-reminder": "Meeting reminder",
                      "poll-closing": "Poll closing soon", "poll-result": "Poll result",
                      "action-due": "Action item due",
                      "resource-expiring": "Offer or ask expiring",
                      "digest": "Weekly digest", "notice": "notice"}
