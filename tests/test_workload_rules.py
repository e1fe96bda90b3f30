"""The pure workload rules (`rules/workload.py`): who carries too much, who nothing."""

from __future__ import annotations

import pytest

from coalition_bot.rules.workload import idle, overloaded


@pytest.mark.parametrize(("loads", "expected"), [
    ({"a": 1, "b": 1, "c": 5}, {"c"}),  # median 1: more than 2
    ({"a": 1, "b": 1, "c": 2}, set()),  # exactly twice the median is not overloaded
    ({"a": 1, "b": 1, "c": 3}, {"c"}),
    ({"a": 2, "b": 4, "c": 9}, {"c"}),  # median 4: more than 8
    ({"a": 2, "b": 4, "c": 8}, set()),
    ({"a": 0, "b": 0, "c": 1, "d": 1, "e": 3}, {"e"}),
    ({"a": 0, "b": 0, "c": 0, "d": 1, "e": 2}, set()),  # zeros do not lower the median
    ({"a": 3}, set()),
    ({"a": 0, "b": 7}, set()),  # one carrier: nobody to compare with
    ({"a": 1, "b": 3}, set()),  # median of two is their mean, 2: 3 is not over 4
    ({"a": 1, "b": 2, "c": 5}, {"c"}),  # the median (2), not the mean (2.67)
    ({}, set()),
])
def test_overloaded_is_more_than_twice_the_median_of_those_carrying_anything(
        loads: dict[str, int], expected: set[str]) -> None:
    assert overloaded(loads) == expected


def test_idle_is_those_carrying_nothing() -> None:
    assert idle({"a": 0, "b": 1, "c": 0}) == {"a", "c"}
    assert idle({"a": 2}) == set()
    assert idle({}) == set()
