"""How many examples a hypothesis law tries.

Under mutation testing (`mutmut run`, which sets MUTANT_UNDER_TEST) every surviving
mutant reruns the laws, so they try a tenth as many examples, derandomized so that a
run kills the same mutants every time; the example tests pin what must never slip.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["law_settings"]


def law_settings(max_examples: int) -> settings:
    """Settings for a law: `max_examples`, or a tenth (at least 30) under mutmut."""
    mutating = bool(os.environ.get("MUTANT_UNDER_TEST"))
    return settings(max_examples=max(30, max_examples // 10) if mutating else max_examples,
                    derandomize=mutating, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
