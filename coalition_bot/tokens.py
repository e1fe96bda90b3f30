"""Platform tokens at rest: encrypted with Fernet, the key from the environment.

The environment variable holds one key or several separated by commas (`NEW,OLD`): the
first encrypts, every one decrypts (cryptography's `MultiFernet`). Rotating the key is
putting a new key first, restarting (the bot re-encrypts every stored token with it at
start), then dropping the old one. See README.md ("Installing into many workspaces").

cryptography is imported on first use: only a bot with installations needs it, and
the console and every other process start without its cost.
"""

from __future__ import annotations

from coalition_bot.errors import ConfigError

__all__ = ["TokenCipher", "TokenUnreadable", "new_key"]


class TokenUnreadable(Exception):
    """A stored token that none of the configured keys decrypts."""


def new_key() -> str:
    """A fresh key, for `coalition-bot new-token-key` and tests."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


class TokenCipher:
    """Encrypts and decrypts tokens with the keys of one environment variable."""

    def __init__(self, keys: str, *, env: str = "the token key") -> None:
        from cryptography.fernet import Fernet, InvalidToken, MultiFernet

        self._invalid = InvalidToken
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ConfigError(f"The environment variable {env} holds no key.",
                              hint="Make one with `coalition-bot new-token-key`.")
        try:
            keys_ = [Fernet(k.encode("ascii")) for k in parts]
        except (ValueError, UnicodeEncodeError):
            raise ConfigError(f"The environment variable {env} must hold Fernet keys "
                              f"(44 characters of URL-safe base64), separated by commas.",
                              hint="Make one with `coalition-bot new-token-key`.") from None
        self._first = keys_[0]
        self._fernet = MultiFernet(keys_)

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode("utf-8")).decode("ascii")

    def decrypt(self, cipher: str) -> str:
        try:
            return self._fernet.decrypt(cipher.encode("ascii")).decode("utf-8")
        except self._invalid:
            raise TokenUnreadable("no configured key decrypts this token") from None

    def is_current(self, cipher: str) -> bool:
        """Whether the first (current) key decrypts `cipher`."""
        try:
            self._first.decrypt(cipher.encode("ascii"))
        except self._invalid:
            return False
        return True

    def rotate(self, cipher: str) -> str:
        """The same token, encrypted with the first key."""
        try:
            return self._fernet.rotate(cipher.encode("ascii")).decode("ascii")
        except self._invalid:
            raise TokenUnreadable("no configured key decrypts this token") from None
