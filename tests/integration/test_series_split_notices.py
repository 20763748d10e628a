"""A split on the DynamoDB repositories (moto): members of a session the new shape does not have
are told it is off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from moto import mock_aws

from chalicelib.api.sessions import UpdateSeries
from chalicelib.store.sessions import SeriesRepository, SessionRepository
from tests.fakes.services import FACILITATOR, Scheduling, member


@pytest.fixture
def hub() -> Iterator[Scheduling]:
    from chalicelib.store.tables import create_table

    with mock_aws():
        create_table()
        yield Scheduling(series_store=SeriesRepository(), session_store=SessionRepository())  # type: ignore[arg-type]


def test_a_split_to_a_day_with_no_session_tells_those_going_it_is_off(hub):
    series = hub.weekly()  # Tuesdays
    week2 = series.next_sessions[1].session_id
    hub.rsvps.rsvp(member("mem_a"), week2)
    hub.clock.now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # after the first session

    hub.series.update_series(
        FACILITATOR,
        series.series_id,
        UpdateSeries.model_validate({"start_local": "2026-12-10T19:00", "rrule": "FREQ=WEEKLY;BYDAY=TH"}),
        None,
    )

    assert hub.notices.told("cancelled") == ["mem_a"]
    assert hub.sessions.get_session(member("mem_a"), week2).status == "cancelled"
