"""Marks of sent deliveries, committed together: one fsync for every mark waiting.

A delivery's mark (sent, failed, pending again) is a durable commit. The outbox sends
to several channels at once; when their posts end close together, their marks queue up
behind the commit in progress. `MarkQueue.mark` hands a mark over and waits for the
commit that holds it: the first mark starts a commit at once (alone, it waits for
nothing: a lone reminder is marked exactly as before), and the marks that arrive while
that commit's fsync runs go together in the next one. The marks of one commit are one
`UPDATE … FROM (VALUES …) WHERE owner = ? … RETURNING id` (`store.deliveries.mark_many`):
each mark sets what it set alone, with its own time, and is still checked on its own (the
ids returned are the claims that were still ours); one transaction records them all or
none.

The at-least-once window (a post the platform took, then the process killed before its
mark reached the disk) grows by at most the commit in progress a mark waits behind:
bench/scheduler_bench.py prints it as "send to mark".
"""

from __future__ import annotations

import asyncio

from coalition_bot.store import deliveries as delivery_sql
from coalition_bot.store.database import Conn, Database
from coalition_bot.store.deliveries import Mark  # what became of one claim

__all__ = ["Mark", "MarkQueue"]


class MarkQueue:
    """Commits marks for `owner`'s claims, as many together as are waiting."""

    def __init__(self, db: Database, owner: str) -> None:
        self.db = db
        self.owner = owner
        self._waiting: list[tuple[Mark, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.commits = 0  # transactions made, for the benchmarks
        self.marks = 0

    async def mark(self, mark: Mark) -> bool:
        """Record `mark` durably; False if the claim was no longer ours (its lease ran out
        and another process took the row back). A caller cancelled meanwhile does not
        cancel the commit: the others' marks are in it."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((mark, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await asyncio.shield(done)

    async def _update(self, conn: Conn, marks: list[Mark]) -> list[bool]:
        """One statement for all the marks (`store.deliveries.mark_many`), or one per
        round when a delivery is marked twice: in order, so the first mark wins, as
        with one statement per mark."""
        held: list[bool] = [False] * len(marks)
        left = list(range(len(marks)))
        while left:
            seen: set[int] = set()
            now: list[int] = []
            later: list[int] = []
            for at in left:
                (later if marks[at].claimed.id in seen else now).append(at)
                seen.add(marks[at].claimed.id)
            rows = [marks[at] for at in now]
            for at, ok in zip(now, await delivery_sql.mark_many(conn, rows, owner=self.owner),
                              strict=True):
                held[at] = ok
            left = later
        return held

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                async with self.db.transaction(exclusive=False) as conn:
                    held = await self._update(conn, [m for m, _ in batch])
            except BaseException as error:  # the file is gone, the disk full: all of them
                for _, done in batch:
                    if done.done():
                        continue
                    if isinstance(error, asyncio.CancelledError):
                        done.cancel()
                    else:
                        done.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                continue
            self.commits += 1
            self.marks += len(batch)
            for (_, done), ok in zip(batch, held, strict=True):
                if not done.done():
                    done.set_result(ok)
