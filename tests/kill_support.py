"""What the kill -9 tests share: a clean environment for a `coalition-bot` process, a
wait with a deadline, and the one rule for a message that reached people twice.

The rule (ARCHITECTURE.md, "A notice is a row before it is a post"; outbox.py, "The
at-least-once window"): a delivery may go out again only when the process that sent it
was killed after the platform took the post and before its mark reached the database.
So every copy but the last must come from a process that was later killed, and the next
copy must come after that kill: two live processes never both send one delivery.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Copy", "clean_env", "extra_copies_inside_window", "resent_inside_window",
           "wait_for"]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the bot's own variables (COALITION_BOT_*), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COALITION_BOT")}
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


def wait_for(check: Callable[[], object], *, within: float, what: str) -> None:
    """Poll `check` until it is truthy; fail, saying `what`, after `within` seconds."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        time.sleep(0.02)


@dataclass(frozen=True)
class Copy:
    """One copy of a message as people saw it: when it arrived (epoch seconds), which
    process run sent it, and when that run was killed (None: it was not)."""

    at: float
    sender: str
    killed_at: float | None


def resent_inside_window(key: str, copies: Sequence[Copy], report: str, *,
                         most: int | None = None, slack: float = 0.0) -> float:
    """Check that the copies of one message (two or more) are re-sends through the
    at-least-once window: each copy but the last came from a run killed afterwards, and
    the next copy came after that kill. Returns the widest gap between a copy and the
    kill of its sender (how long its mark had not landed). `slack`: how much later than
    the kill a copy may be stamped (a reader that stamps on arrival, not on sending)."""
    assert len(copies) >= 2, (key, copies)
    assert most is None or len(copies) <= most, f"{key} sent {len(copies)} times\n{report}"
    ordered = sorted(copies, key=lambda c: c.at)
    widest = 0.0
    for first, then in itertools.pairwise(ordered):
        assert first.killed_at is not None, (
            f"{key}: sent again, but its sender {first.sender} lived\n{report}")
        assert first.at <= first.killed_at + slack, (
            f"{key}: a copy stamped {first.at - first.killed_at:.3f} s after its sender "
            f"{first.sender} was killed\n{report}")
        assert first.killed_at <= then.at, (
            f"{key}: sent again by {then.sender} while its first sender {first.sender} "
            f"was alive\n{report}")
        widest = max(widest, first.killed_at - first.at)
    return widest


def extra_copies_inside_window(key: str, copies: Sequence[Copy], expected: int, report: str,
                               *, slack: float = 0.0) -> float:
    """Like `resent_inside_window`, for a group of `expected` messages that people cannot
    tell apart one by one (a meeting's five reminders, one of which may say how long was
    really left once it went out late): each copy beyond `expected` must be matched by
    a copy whose sender was killed after it, with a later copy after that kill. Returns
    the widest gap between such a copy and the kill of its sender."""
    extra = len(copies) - expected
    assert extra >= 0, f"{key}: {len(copies)} copies of {expected}\n{report}"
    ordered = sorted(copies, key=lambda c: c.at)
    gaps = [c.killed_at - c.at for c in ordered
            if c.killed_at is not None and c.at <= c.killed_at + slack
            and any(later.at >= c.killed_at for later in ordered)]
    assert extra <= len(gaps), (
        f"{key}: {extra} copies too many, {len(gaps)} of them explained by a kill of "
        f"their sender\n{report}")
    return max(sorted(gaps)[:extra] or [0.0])
