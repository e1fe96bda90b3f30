"""Who carries what: flag uneven workloads. Pure functions over counts."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from statistics import median
from typing import TypeVar

__all__ = ["idle", "overloaded"]

K = TypeVar("K", bound=Hashable)


def overloaded(loads: Mapping[K, int]) -> set[K]:
    """Those carrying more than twice the median load of everyone who carries anything."""
    carrying = [n for n in loads.values() if n > 0]
    if not carrying:  # with one or two carrying, nobody is over twice the median anyway
        return set()
    limit = 2 * median(carrying)
    return {who for who, n in loads.items() if n > limit}


def idle(loads: Mapping[K, int]) -> set[K]:
    """Those carrying nothing at all."""
    return {who for who, n in loads.items() if n == 0}
