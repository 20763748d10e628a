"""Verification guesses racing on dynalite's real atomicity: five tries mean five."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.errors import GoneError, ValidationError
from tests.dynalite.test_concurrent_joins import _group

pytestmark = pytest.mark.dynalite


class _Inbox:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def sms(self, to: str, body: str) -> None:
        self.sent.append(body)

    def email(self, to, subject, text, html=None, headers=None) -> None:
        self.sent.append(text)


def test_fourteen_concurrent_guesses_spend_only_five_tries(dynalite):
    from chalicelib.domain.identity import Caller, Role
    from chalicelib.services.contact import ContactService
    from chalicelib.services.membership import MembershipService

    group = _group(max_members=None)
    # the membership is stored directly: joining is a transaction, which dynalite lacks
    MembershipService().members.new_item(
        group.group_id,
        "mem_guess",
        handle="Quiet Guess",
        handle_key="quietguess",
        timezone="UTC",
        reminders={},
        status="active",
        token_hash="x",
        feed_hash="y",
        feed_enc=b"z",
    ).save()
    caller = Caller(Role.MEMBER, subject_id="mem_guess", group_id=group.group_id)
    inbox = _Inbox()
    service = ContactService(outbound=lambda: inbox)
    service.set(caller, {"email": "quiet@example.org"})
    right = re.search(r"\b(\d{6})\b", inbox.sent[-1]).group(1)
    wrong = [f"{(int(right) + n) % 10**6:06d}" for n in range(1, 14)]

    def guess(code: str) -> object:
        try:
            return ContactService(outbound=lambda: inbox).verify(caller, "email", code)
        except (GoneError, ValidationError) as exc:
            return exc

    with ThreadPoolExecutor(max_workers=14) as pool:
        outcomes = list(pool.map(guess, [*wrong[:7], right, *wrong[7:]]))

    compared_wrong = sum(isinstance(o, ValidationError) for o in outcomes)
    verified = service.membership.me(caller).contact.email.status == "verified"
    assert compared_wrong + int(verified) <= 5  # the right one counts only if it came within five
    assert sum(isinstance(o, GoneError) for o in outcomes) >= 14 - 5 - (13 if verified else 0)
