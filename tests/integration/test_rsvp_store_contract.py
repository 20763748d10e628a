"""The RSVP store contract, held against the DynamoDB repositories (on moto)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from chalicelib.store.sessions import SeriesRepository, SessionRepository
from tests.contracts.rsvp_store import RsvpStoreContract


@pytest.fixture
def table() -> Iterator[None]:
    from chalicelib.store.tables import create_table

    with mock_aws():
        create_table()
        yield


class TestDynamoRsvpStore(RsvpStoreContract):
    @pytest.fixture
    def series_store(self, table: None) -> SeriesRepository:
        return SeriesRepository()

    @pytest.fixture
    def session_store(self, table: None) -> SessionRepository:
        return SessionRepository()
