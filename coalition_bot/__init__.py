"""coalition-bot: a chat bot for a coalition of partner organizations."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("coalition-bot")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
