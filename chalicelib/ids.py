"""Identifiers: random, URL-safe, unambiguous, with a prefix naming the thing."""

from __future__ import annotations

import base64
import secrets


def new_id(prefix: str) -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
    return f"{prefix}_{raw}"
