"""Where one bot's web pages are seen from outside (`[web] base_url`), carried
explicitly from the composition root through `Bot` to the commands, notices and feeds."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Site"]


@dataclass(slots=True)
class Site:
    """Where one bot's web server is seen from outside (`[web] base_url`); "" when it
    serves no web pages. Each `Bot` has its own, shared with its dispatcher and outbox."""

    base_url: str = ""

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")

    def url(self, path: str) -> str:
        """The address of `path` on the bot's web server, or "" when it has none."""
        return f"{self.base_url}{path}" if self.base_url else ""
