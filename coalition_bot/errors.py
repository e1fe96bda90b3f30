"""One exception tree for everything a user can get wrong.

Every subclass carries the sentence the user reads: what was expected and what was
given (plain text or a `replies.Text`), and may name the command `option` it is about
(a form shows the message under that input). The dispatcher turns any `CoalitionError`
into a private reply and rolls the transaction back; anything else is a bug, logged with
context.
"""

from __future__ import annotations

__all__ = [
    "CoalitionError",
    "Conflict",
    "NotFound",
    "NotSetUp",
    "PermissionDenied",
    "SchemaTooNew",
    "StorageError",
    "UsageError",
]


class CoalitionError(Exception):
    """Root of all errors whose message is meant for the person who caused them."""

    def __init__(self, message: str, *, hint: str = "", option: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.option = option

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class UsageError(CoalitionError):
    """The command line does not fit the command's grammar (unknown word, bad value)."""


class NotFound(CoalitionError):
    """A name or number that does not exist in the caller's coalition."""


class Conflict(CoalitionError):
    """The request contradicts what is already recorded (duplicate name, double setup)."""


class PermissionDenied(CoalitionError):
    """The caller's role is below what the command needs."""


class NotSetUp(CoalitionError):
    """A command that needs a coalition, run where none has been set up."""


class SchemaTooNew(CoalitionError):
    """The database was written by a newer version of coalition-bot."""


class StorageError(CoalitionError):
    """The database file cannot be used as it is: one sentence naming the file and the
    cause (not a database, read-only, locked by another program, deleted or replaced)."""
