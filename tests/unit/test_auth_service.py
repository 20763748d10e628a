"""The authenticator resolves callers with a fake credential store (no AWS)."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.domain.identity import ADMIN, ANONYMOUS, Caller, Role, hash_token, new_token
from chalicelib.errors import ForbiddenError, UnauthorizedError
from chalicelib.services.auth import Authenticator, require
from tests.conftest import TEST_ADMIN_TOKEN


class FakeCredentials:
    def __init__(self) -> None:
        self.items: dict[str, Caller] = {}
        self.lookups: list[str] = []
        self.seen: list[datetime | None] = []

    def get(self, token_hash: str, seen_at: datetime | None = None) -> Caller | None:
        self.lookups.append(token_hash)
        self.seen.append(seen_at)
        return self.items.get(token_hash)


def test_no_token_is_anonymous_and_admin_token_is_admin():
    authenticator = Authenticator(FakeCredentials())

    assert authenticator.caller(None) == ANONYMOUS
    assert authenticator.caller(TEST_ADMIN_TOKEN) == ADMIN


def test_member_token_is_looked_up_by_its_hash_only():
    credentials = FakeCredentials()
    token = new_token(Role.MEMBER)
    member = Caller(Role.MEMBER, subject_id="mem_1", group_id="grp_1")
    credentials.items[hash_token(token)] = member

    assert Authenticator(credentials).caller(token) == member
    assert credentials.lookups == [hash_token(token)]
    assert credentials.seen[0] is not None  # the device is recorded as seen (hourly, by the repository)


@pytest.mark.parametrize("token", ["", "hm_unknown", "random-garbage"])
def test_unknown_or_malformed_tokens_are_401(token):
    with pytest.raises(UnauthorizedError):
        Authenticator(FakeCredentials()).caller(token)


def test_role_checks_401_for_anonymous_and_403_for_the_wrong_role():
    member = Caller(Role.MEMBER, subject_id="m", group_id="g")

    require(ANONYMOUS, {Role.ANONYMOUS})
    require(member, {Role.MEMBER, Role.FACILITATOR})
    with pytest.raises(UnauthorizedError):
        require(ANONYMOUS, {Role.ADMIN})
    with pytest.raises(ForbiddenError):
        require(member, {Role.ADMIN})
