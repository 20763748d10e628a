"""Conditional writes hold under real concurrency (dynalite, not moto)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from chalicelib.errors import ConflictError, RateLimitedError

pytestmark = pytest.mark.dynalite


def _race(count: int, attempt) -> list[object]:
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(lambda index: _outcome(attempt, index), range(count)))


def _outcome(attempt, index):
    try:
        return attempt(index)
    except (ConflictError, RateLimitedError) as exc:
        return exc


def test_fifty_concurrent_hits_on_a_limit_of_ten_admit_exactly_ten(dynalite):
    from chalicelib.store.counters import CounterRepository

    counters = CounterRepository()
    now = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)

    outcomes = _race(50, lambda _index: counters.hit("test", "burst", 10, 3600, now))

    admitted = sorted(o for o in outcomes if isinstance(o, int))
    refused = [o for o in outcomes if isinstance(o, RateLimitedError)]
    assert admitted == list(range(1, 11))
    assert len(refused) == 40
    assert {o.retry_after_seconds for o in refused} == {3600 - 30}


def test_concurrent_creates_of_one_key_have_exactly_one_winner(dynalite):
    from chalicelib.domain.identity import Caller, Role
    from chalicelib.store.credentials import CredentialRepository

    credentials = CredentialRepository()

    def create(index: int):
        return credentials.create("same-hash", Caller(Role.MEMBER, subject_id=f"mem_{index}", group_id="g"))

    outcomes = _race(30, create)

    winners = [o for o in outcomes if not isinstance(o, ConflictError)]
    assert len(winners) == 1
    stored = credentials.get("same-hash")
    assert stored is not None
    assert stored.subject_id == winners[0].subject_id
