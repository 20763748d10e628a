"""The series and session store contracts, held against the DynamoDB repositories (on moto)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto import mock_aws

from chalicelib.store.sessions import SeriesRepository, SessionRepository
from tests.contracts.series_store import SeriesStoreContract
from tests.contracts.session_store import SessionStoreContract
from tests.faults.botocore_faults import Faults


@pytest.fixture
def table() -> Iterator[None]:
    from chalicelib.store.tables import create_table

    with mock_aws():
        create_table()
        yield


@pytest.fixture
def series_store(table: None) -> SeriesRepository:
    return SeriesRepository()


@pytest.fixture
def session_store(table: None) -> SessionRepository:
    return SessionRepository()


@pytest.fixture
def race(faults: Faults) -> Callable[..., None]:
    """`competing()` runs inside the botocore call of each of the next `times` UpdateItems, right
    before it reaches DynamoDB (its own writes pass straight through)."""

    def arm(competing: Callable[[], object], times: int = 1) -> None:
        state = {"left": times, "inside": False}

        def when(_params: dict[str, Any]) -> bool:
            if state["left"] > 0 and not state["inside"]:
                state["left"] -= 1
                state["inside"] = True
                try:
                    competing()
                finally:
                    state["inside"] = False
            return False

        faults.fail("dynamodb", "UpdateItem", when=when)

    return arm


class TestDynamoSeriesStore(SeriesStoreContract):
    pass


class TestDynamoSessionStore(SessionStoreContract):
    pass
