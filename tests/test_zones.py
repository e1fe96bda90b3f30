"""Which time zone a person means (rules/zones.py): pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coalition_bot.errors import UsageError
from coalition_bot.rules.times import format_local, parse_when
from coalition_bot.rules.zones import describe_zone, resolve_zone


@pytest.mark.parametrize(("raw", "zone"), [
    ("EST", "America/New_York"), ("EDT", "America/New_York"), ("est", "America/New_York"),
    ("CST", "America/Chicago"), ("CDT", "America/Chicago"),
    ("MST", "America/Denver"), ("PST", "America/Los_Angeles"), ("pdt", "America/Los_Angeles"),
    ("EST5EDT", "America/New_York"), ("HST", "Pacific/Honolulu"), ("JST", "Asia/Tokyo"),
    ("AEST", "Australia/Sydney"), ("UTC", "UTC"), ("Etc/UTC", "UTC"), ("zulu", "UTC"),
    ("Chicago", "America/Chicago"), ("new york", "America/New_York"),
    ("europe/berlin", "Europe/Berlin"),
])
def test_common_abbreviations_and_cities_mean_the_place(raw: str, zone: str) -> None:
    assert resolve_zone(raw) == zone


def test_est_in_july_follows_new_york_daylight_saving() -> None:
    """Before, `EST` was the fixed UTC-5 zone: a July 18:00 meeting landed at 19:00."""
    july = parse_when("2027-07-15 18:00", resolve_zone("EST"), datetime(2027, 1, 1, tzinfo=UTC))
    assert format_local(july, "America/New_York") == "Thu 15 Jul 2027, 18:00 (America/New_York)"


@pytest.mark.parametrize(("raw", "candidates"), [
    ("IST", "Asia/Kolkata, Europe/Dublin, Asia/Jerusalem"),
    ("BST", "Europe/London, Asia/Dhaka"),
    ("GMT", "UTC, Europe/London"),
    ("CET", "Europe/Berlin, Europe/Paris"),
])
def test_abbreviations_of_several_places_are_refused_with_the_candidates(
        raw: str, candidates: str) -> None:
    with pytest.raises(UsageError) as info:
        resolve_zone(raw)
    assert info.value.message.startswith(f"`{raw}` names more than one time zone: {candidates}")


@pytest.mark.parametrize("raw", ["localtime", "Factory", "Etc/GMT+5", "posixrules",
                                 "Etc/GMT-14"])
def test_zones_that_are_not_places_are_refused(raw: str) -> None:
    with pytest.raises(UsageError, match="is not the time zone of a place"):
        resolve_zone(raw)


def test_an_unknown_zone_suggests_a_real_one_not_an_abbreviation() -> None:
    with pytest.raises(UsageError) as info:
        resolve_zone("Amrica/Chicago")
    assert info.value.message.endswith("Did you mean `America/Chicago`?")


def test_describe_zone_says_the_offset_and_daylight_saving() -> None:
    winter = datetime(2026, 12, 1, tzinfo=UTC)
    assert describe_zone("America/Chicago", winter) == (
        "America/Chicago (now UTC-06:00; follows daylight saving)")
    assert describe_zone("Asia/Tokyo", winter) == "Asia/Tokyo (now UTC+09:00; no daylight saving)"
    assert describe_zone("UTC", winter) == "UTC"
