"""One exception tree for everything a user can get wrong.

Every subclass carries the sentence the user reads: what was expected and what was
given (plain text or a `replies.Text`), and may name the command `option` it is about
(a form shows the message under that input). The dispatcher turns any `CoalitionError`
into a private reply and rolls the transaction back; anything else is a bug, logged with
context.

In detail:

- **Errors** are one tree (`errors.py`); each message says what was expected and what was
  given. Grammar errors are raised before the database is touched.
  Storage trouble a person can act on is named, not apologised for: a database locked by
  another program ("busy", try again) or a full disk ("full", tell whoever runs the bot);
  either way the transaction is rolled back, a failed COMMIT included. A `disk I/O
  error` (a file-size limit, a failing disk) is answered the same way ("tell whoever
  runs the bot"), and the bot keeps serving. Text that is not text (bytes that were not
  UTF-8, which Python hands on as lone surrogates, or lone surrogates spelled out in a
  platform's JSON) is refused by the dispatcher as bad input before anything reads it.
"""

from __future__ import annotations

__all__ = [
    "CoalitionError",
    "ConfigError",
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


class ConfigError(CoalitionError):
    """The configuration file or the environment is missing something, or has it wrong."""
