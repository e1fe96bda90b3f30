"""The decision log's hash chain, as pure functions (README: "Checking the decision log").

An entry is a JSON object. Its canonical text is `json.dumps(entry, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`, and its hash is the SHA-256, in lower-case
hex, of the UTF-8 bytes of `prev_hash + "\\n" + canonical`, where `prev_hash` is the hash
of the entry before it (`GENESIS`, 64 zeros, for the first). Entries hold only text,
integers, booleans, null, lists and objects: no floats, whose text differs between
languages.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["GENESIS", "SHORT", "canonical", "entry_hash", "short"]

GENESIS = "0" * 64
SHORT = 12  # hex digits of a hash people read and compare: 48 bits


def canonical(entry: Mapping[str, Any]) -> str:
    """The one text of an entry that its hash covers."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, body: str) -> str:
    """The hash of an entry whose canonical text is `body`, after `prev_hash`."""
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def short(full: str) -> str:
    """The first `SHORT` hex digits, as notices show them."""
    return full[:SHORT]
