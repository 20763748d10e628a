"""Throttles on the anonymous doors: guessing invite codes, and filling a group with joins.

Counted with the shared fixed-window counters (`store.counters`), keyed by blind indexes
of the client address, so nothing here says who anyone is once the window expires.

- Wrong invite codes (404 from `GET /v1/invites/{code}` or `POST /v1/join`) count per
  client address and per code prefix. Once either count is reached, every code answers
  429 from that address (or with that prefix) until the window ends, right ones too, so a
  guesser cannot tell a hit from a miss. Right codes are never counted.
- Joins count per client address and group; past the limit the join answers 429.

The numbers are picked so that a clinic, where every member shares one address, still
works: a room of people joining in the same hour, with the odd typo, stays well inside.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from chalicelib import crypto
from chalicelib.domain.identity import Caller
from chalicelib.domain.invites import normalise_code
from chalicelib.errors import NotFoundError, RateLimitedError
from chalicelib.responses import InvitePreview, Joined
from chalicelib.services.groups import GroupService
from chalicelib.services.membership import MembershipService
from chalicelib.store.counters import CounterRepository

HOUR = 3600
WRONG_CODES_PER_ADDRESS = 20  # per hour: typos from a shared address, never a search
WRONG_CODES_PER_PREFIX = 100  # per hour and 2-symbol prefix (961 of them): bounds distributed guessing
JOINS_PER_ADDRESS_PER_GROUP = 30  # per hour: a clinic's whole session joining at once
PREFIX_LENGTH = 2

T = TypeVar("T")

TOO_MANY_CODES = "Too many invite codes were tried from here. Please wait a little and try again."
TOO_MANY_JOINS = "Many people have joined this group from here just now. Please try again a little later."


class Admission:
    """The anonymous ways in (previewing an invite, joining), each behind its throttles."""

    def __init__(
        self,
        groups: GroupService,
        membership: MembershipService,
        counters: CounterRepository | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.groups = groups
        self.membership = membership
        self.counters = counters or CounterRepository()
        self.clock = clock

    def preview(self, raw_code: str, client_ip: str | None) -> InvitePreview:
        return self._guessing(raw_code, client_ip, lambda: self.groups.preview_invite(raw_code))

    def join(
        self,
        caller: Caller,
        raw_code: str,
        handle: str | None,
        timezone: str | None,
        client_ip: str | None,
    ) -> Joined:
        def admit() -> Joined:
            code = normalise_code(raw_code)
            invite = None if code is None else self.membership.invites.get(code)
            if invite is not None and client_ip:
                subject = f"{_address(client_ip)}:{invite.group_id}"
                try:
                    self.counters.hit("join-ip", subject, JOINS_PER_ADDRESS_PER_GROUP, HOUR, self.clock())
                except RateLimitedError as exc:
                    raise RateLimitedError(exc.retry_after_seconds, TOO_MANY_JOINS) from exc
            return self.membership.join(caller, raw_code, handle, timezone)

        return self._guessing(raw_code, client_ip, admit)

    def _guessing(self, raw_code: str, client_ip: str | None, attempt: Callable[[], T]) -> T:
        now = self.clock()
        limits = self._code_limits(raw_code, client_ip)
        try:
            for scope, subject, limit in limits:
                self.counters.reached(scope, subject, limit, HOUR, now)
        except RateLimitedError as exc:
            raise RateLimitedError(exc.retry_after_seconds, TOO_MANY_CODES) from exc
        try:
            return attempt()
        except NotFoundError:
            try:
                for scope, subject, limit in limits:
                    self.counters.hit(scope, subject, limit, HOUR, now)
            except RateLimitedError as exc:
                raise RateLimitedError(exc.retry_after_seconds, TOO_MANY_CODES) from exc
            raise

    @staticmethod
    def _code_limits(raw_code: str, client_ip: str | None) -> list[tuple[str, str, int]]:
        limits = []
        if client_ip:
            limits.append(("code-ip", _address(client_ip), WRONG_CODES_PER_ADDRESS))
        code = normalise_code(raw_code)
        if code is not None:
            limits.append(("code-prefix", code[:PREFIX_LENGTH], WRONG_CODES_PER_PREFIX))
        return limits


def _address(client_ip: str) -> str:
    return crypto.blind_index("ip", client_ip)
