"""Every partition, sort and index key format in Hearth, built in one place.

Nothing outside this module concatenates key strings. Each builder returns the
attributes to set on an item, so callers never need to know the layout.
"""

from __future__ import annotations

from typing import NamedTuple


class Key(NamedTuple):
    pk: str
    sk: str


def facilitator(facilitator_id: str) -> Key:
    return Key(f"FAC#{facilitator_id}", "FAC")


def token(token_hash: str) -> Key:
    """A credential, addressed by the SHA-256 of the bearer token (never the token)."""
    return Key(f"TOKEN#{token_hash}", "TOKEN")


def counter(scope: str, subject: str, window: int) -> Key:
    """A fixed-window counter: `scope` names the limit, `subject` what is counted."""
    return Key(f"LIMIT#{scope}#{subject}", f"WINDOW#{window}")
