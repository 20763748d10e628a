"""The RSVP store contract, held against the in-memory fakes the unit tests use."""

from __future__ import annotations

import pytest

from tests.contracts.rsvp_store import RsvpStoreContract
from tests.fakes import InMemorySeriesRepository, InMemorySessionRepository


class TestInMemoryRsvpStore(RsvpStoreContract):
    @pytest.fixture
    def series_store(self) -> InMemorySeriesRepository:
        return InMemorySeriesRepository()

    @pytest.fixture
    def session_store(self) -> InMemorySessionRepository:
        return InMemorySessionRepository()
