"""Who is calling: roles, the caller value object, and token handling rules.

Tokens are 32 random bytes (URL-safe base64) with a short prefix naming their
role, shown to their owner once and stored only as a SHA-256 hex digest.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass

TOKEN_BYTES = 32


class Role(enum.StrEnum):
    ANONYMOUS = "anonymous"
    ADMIN = "admin"
    FACILITATOR = "facilitator"
    MEMBER = "member"


_PREFIX = {Role.FACILITATOR: "hf_", Role.MEMBER: "hm_"}


@dataclass(frozen=True)
class Caller:
    role: Role
    subject_id: str | None = None
    group_id: str | None = None
    removed: bool = False  # a member a facilitator removed: known, but refused everywhere
    device_id: str | None = None  # which of a member's devices holds the token

    @property
    def is_anonymous(self) -> bool:
        return self.role is Role.ANONYMOUS


ANONYMOUS = Caller(Role.ANONYMOUS)
ADMIN = Caller(Role.ADMIN, subject_id="admin")


def new_token(role: Role) -> str:
    """A fresh bearer token for a facilitator or member."""
    return _PREFIX[role] + secrets.token_urlsafe(TOKEN_BYTES)


def legacy_device_id(token_hash: str) -> str:
    """The device id of a member token made before devices had their own ids."""
    return f"dev_{token_hash[:16]}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison that also hides the expected secret's length."""
    return hmac.compare_digest(
        hashlib.sha256(given.encode("utf-8")).digest(),
        hashlib.sha256(expected.encode("utf-8")).digest(),
    )


def parse_bearer(header: str | None) -> str | None:
    """The token in an `Authorization: Bearer <token>` header, or None when absent."""
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        return ""
    return value
