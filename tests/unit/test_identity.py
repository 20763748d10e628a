"""Tokens: random, role-prefixed, stored as hashes, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from chalicelib.domain import identity
from chalicelib.domain.identity import Role


def test_tokens_are_long_random_and_role_prefixed():
    tokens = {identity.new_token(Role.MEMBER) for _ in range(200)}

    assert len(tokens) == 200
    assert all(token.startswith("hm_") and len(token) >= 46 for token in tokens)
    assert identity.new_token(Role.FACILITATOR).startswith("hf_")


def test_token_hash_is_sha256_hex():
    assert identity.hash_token("abc") == hashlib.sha256(b"abc").hexdigest()


def test_secret_comparison_is_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(identity.hmac, "compare_digest", spy)

    assert identity.same_secret("s3cret", "s3cret") is True
    assert identity.same_secret("s3cre", "s3cret") is False
    assert len(calls) == 2
    assert all(len(a) == len(b) == 32 for a, b in calls)  # digests: length never leaks


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("Bearer abc", "abc"),
        ("bearer   abc  ", "abc"),
        ("Bearer", ""),
        ("Bearer a b", ""),
        ("Basic abc", ""),
        ("", ""),
    ],
)
def test_bearer_header_parsing(header, expected):
    assert identity.parse_bearer(header) == expected
