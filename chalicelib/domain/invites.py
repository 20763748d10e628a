"""Invite codes: short, unguessable, easy to read aloud and to type in an SMS.

Codes use 31 symbols with no look-alikes (no 0/O, 1/I/L) and are 8 long, about
40 bits; wrong guesses are rate limited where codes are entered. People may type
them in any case, with spaces or dashes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
_SEPARATORS = re.compile(r"[\s\-_.]+")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_code(raw: str) -> str | None:
    """The canonical code for what someone typed, or None if it cannot be a code."""
    code = _SEPARATORS.sub("", raw).upper()
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


@dataclass(frozen=True)
class Invite:
    code: str
    group_id: str
    expires_at: datetime | None
    max_uses: int | None
    uses: int
    revoked: bool
    standing: bool

    def usable(self, now: datetime) -> bool:
        if self.revoked:
            return False
        if self.expires_at is not None and now >= self.expires_at:
            return False
        return self.max_uses is None or self.uses < self.max_uses
