"""The series and session store contracts, held against the in-memory fakes the unit tests use."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.contracts.series_store import SeriesStoreContract
from tests.contracts.session_store import SessionStoreContract
from tests.fakes import InMemorySeriesRepository, InMemorySessionRepository


@pytest.fixture
def series_store() -> InMemorySeriesRepository:
    return InMemorySeriesRepository()


@pytest.fixture
def session_store() -> InMemorySessionRepository:
    return InMemorySessionRepository()


@pytest.fixture
def race(session_store: InMemorySessionRepository) -> Callable[..., None]:
    def arm(competing: Callable[[], object], times: int = 1) -> None:
        left = [times]

        def before_write() -> None:
            if left[0] > 0:
                left[0] -= 1
                competing()

        session_store.before_write = before_write

    return arm


class TestInMemorySeriesStore(SeriesStoreContract):
    pass


class TestInMemorySessionStore(SessionStoreContract):
    pass
