"""The tamper-evident decision log: each coalition's decisions as a hash chain.

Every decision row (a poll's outcome, a topic adopted or removed, an organization that
left) and every other joint act (an organization added, a coordinator added or removed,
a poll withdrawn, a written outcome) is an entry; each entry's hash covers its canonical
JSON and the hash before it (`rules/chain.py`, README "Checking the decision log").

- A `decision` entry is rebuilt, when verified, from its decision row and from the
  poll's vote rows (and anonymous tally) as they are now, so changing a decision or a
  vote in the database breaks the chain at that entry. Other kinds are their own record.
- Decisions are written with a pending entry (hash NULL) in the same statement group;
  `seal` chains pending entries in order, before anything is appended and before a
  verify. Decisions recorded before migration 0015 were given pending entries by the
  migration, so the first verify or new decision after the upgrade chains them, as they
  are then.
- Notices of decisions end with the short head hash (`footer`), so each partner holds
  the head outside the bot's database. The chain proves nothing against someone who
  rewrites the whole database and recomputes every hash; a head a partner kept does.
"""

from __future__ import annotations

from coalition_bot.rules.chain import short
from coalition_bot.store.chain import (
    Broken,
    Verdict,
    append,
    decision_body,
    export_entries,
    head,
    seal,
    verify,
)
from coalition_bot.store.database import Conn

__all__ = ["Broken", "Verdict", "append", "check", "decision_body", "export_entries", "footer",
           "head", "seal", "verify"]


def footer(head_hash: str | None) -> str:
    """The line that ends a decision notice (with its line break): the chain's head as
    it is after that decision; nothing if there is no chain yet."""
    return f"\nDecision log head: {short(head_hash)}" if head_hash else ""



async def check(conn: Conn, coalition_id: int) -> Verdict:
    """Chain what is pending, then verify the whole chain (`/coalition log verify`)."""
    await seal(conn, coalition_id)
    return await verify(conn, coalition_id)
