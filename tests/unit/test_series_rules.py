"""Series rules on the in-memory stores: materialising, "this and following" splits that carry
RSVPs, in-place edits, capacity changes that promote, ending, and the bounds on a series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.api.sessions import UpdateSeries
from chalicelib.domain.identity import Caller, Role
from chalicelib.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from chalicelib.services.series import MAX_ACTIVE_SERIES
from tests.fakes.services import FACILITATOR, GROUP, Scheduling, member


@pytest.fixture
def hub() -> Scheduling:
    return Scheduling()


def change(hub: Scheduling, series_id: str, **fields: object):
    return hub.series.update_series(
        FACILITATOR, series_id, UpdateSeries.model_validate(fields), fields.get("effective_from")
    )


def scheduled(hub: Scheduling, caller, start: str, end: str) -> list[tuple[str, str | None]]:
    page = hub.sessions.list_sessions(caller, GROUP, _at(start), _at(end))
    return [(s.start_local, s.my_rsvp) for s in page.sessions if s.status == "scheduled"]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_new_series_is_materialised_eight_weeks_ahead_and_the_daily_job_keeps_up(hub):
    series = hub.weekly()
    horizon = hub.session_store.starting(hub.clock.now, hub.clock.now + timedelta(weeks=10))
    assert len(horizon) == 8
    assert all(item.series_id == series.series_id for item in horizon)

    hub.clock.now += timedelta(days=14)

    assert hub.series.extend_horizon() == 2
    assert len(hub.session_store.starting(hub.clock.now, hub.clock.now + timedelta(weeks=10))) == 8


def test_a_session_rsvpd_beyond_the_horizon_is_materialised_when_the_horizon_reaches_it(hub):
    series = hub.weekly()
    far = series.next_sessions[0].start + timedelta(weeks=10)
    far_id = f"{series.series_id}.{far:%Y%m%dT%H%MZ}"
    hub.rsvps.rsvp(member("mem_a"), far_id)
    assert hub.session_store.starting(far, far) == []

    hub.clock.now += timedelta(weeks=3)
    hub.series.extend_horizon()

    assert [item.session_id for item in hub.session_store.starting(far, far)] == [far_id]


def test_editing_times_after_the_first_session_splits_and_keeps_the_rsvps(hub):
    series = hub.weekly()
    week3 = series.next_sessions[2].session_id
    hub.rsvps.rsvp(member("mem_a"), week3)
    hub.clock.now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # after the first session

    changed = change(hub, series.series_id, start_local="2026-12-08T20:00")

    assert changed.series_id != series.series_id
    assert changed.next_sessions[0].start_local == "2026-12-08T20:00"
    assert scheduled(hub, member("mem_a"), "2026-11-30T00:00", "2026-12-20T00:00") == [
        ("2026-12-01T19:00", None),
        ("2026-12-08T20:00", None),
        ("2026-12-15T20:00", "going"),
    ]
    assert sorted(s.status for s in hub.series.list_series(FACILITATOR, GROUP)) == ["active", "ended"]
    assert hub.notices.told("moved") == ["mem_a"]
    assert hub.notices.told("cancelled") == []


def test_a_split_carries_every_rsvp_within_the_new_capacity(hub):
    """Three going to Tuesday 19:00 (capacity 3) and one waiting; the series moves to 20:00 with
    two seats: all four carried, two going, who had a seat ahead of who was waiting."""
    hub.clock.now = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    series = hub.weekly(start_local="2026-11-17T19:00", capacity=3)
    session_id = series.next_sessions[3].session_id  # Tuesday Dec 8
    answers = [hub.rsvps.rsvp(member(m), session_id).status for m in ("mem_a", "mem_b", "mem_c", "mem_d")]
    assert answers == ["going", "going", "going", "waitlisted"]
    hub.clock.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # after the first session

    changed = change(hub, series.series_id, start_local="2026-12-01T20:00", capacity=2)

    new_session = next(s for s in changed.next_sessions if s.start_local == "2026-12-08T20:00")
    stored = hub.session_store.get(new_session.series_id, new_session.start)
    assert set(stored.going) == {"mem_a", "mem_b"}
    assert list(stored.waitlist) == ["mem_c", "mem_d"]
    assert sorted(hub.notices.told("moved")) == ["mem_a", "mem_b"]
    assert hub.notices.told("cancelled") == ["mem_c"]  # had a seat, now waits: told it is off


def test_a_split_to_a_day_with_no_session_tells_those_going_it_is_off(hub):
    series = hub.weekly()
    week2 = series.next_sessions[1].session_id
    hub.rsvps.rsvp(member("mem_a"), week2)
    hub.rsvps.rsvp(member("mem_b"), week2)
    hub.clock.now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)

    change(hub, series.series_id, start_local="2026-12-10T19:00", rrule="FREQ=WEEKLY;BYDAY=TH")

    assert sorted(hub.notices.told("cancelled")) == ["mem_a", "mem_b"]
    with pytest.raises(ConflictError) as refused:
        hub.rsvps.rsvp(member("mem_c"), week2)
    assert refused.value.code == "session_cancelled"


def test_editing_a_series_that_has_not_started_changes_it_in_place(hub):
    series = hub.weekly()

    changed = change(hub, series.series_id, rrule="FREQ=WEEKLY;BYDAY=TH", start_local="2026-12-03T19:00")
    renamed = change(hub, series.series_id, title="Check-in", capacity=None)

    assert changed.series_id == series.series_id
    assert changed.next_sessions[0].start_local == "2026-12-03T19:00"
    assert (renamed.title, renamed.capacity) == ("Check-in", None)
    indexed = {
        item.start for item in hub.session_store.starting(hub.clock.now, hub.clock.now + timedelta(weeks=9))
    }
    assert datetime(2026, 12, 4, 0, 0, tzinfo=UTC) in indexed  # Thursday 19:00 in New York


def test_raising_the_capacity_seats_the_waiting_in_arrival_order(hub):
    series = hub.weekly(capacity=1)
    session_id = series.next_sessions[0].session_id
    for m in ("mem_a", "mem_c", "mem_b", "mem_d"):
        hub.rsvps.rsvp(member(m), session_id)

    change(hub, series.series_id, capacity=3)

    assert [hub.rsvps.rsvp(member(m), session_id).status for m in ("mem_c", "mem_b", "mem_d")] == [
        "going",
        "going",
        "waitlisted",
    ]
    assert hub.notices.told("promoted") == ["mem_c", "mem_b"]


def test_ending_a_series_cancels_its_future_sessions_and_tells_those_going(hub):
    series = hub.weekly()
    hub.rsvps.rsvp(member("mem_a"), series.next_sessions[1].session_id)
    hub.rsvps.rsvp(member("mem_a"), series.next_sessions[2].session_id)

    hub.series.end_series(FACILITATOR, series.series_id)

    page = hub.sessions.list_sessions(FACILITATOR, GROUP, _at("2026-11-27T12:00"), _at("2027-02-01T00:00"))
    assert len(page.sessions) == 8  # the stored eight weeks, each shown cancelled
    assert {s.status for s in page.sessions} == {"cancelled"}
    assert set(hub.notices.told("series_ended")) == {"mem_a"}  # the ledger sends one of them
    with pytest.raises(ConflictError) as rsvp:
        hub.rsvps.rsvp(member("mem_b"), series.next_sessions[0].session_id)
    assert rsvp.value.code == "session_cancelled"
    with pytest.raises(ConflictError) as edit:
        change(hub, series.series_id, title="x")
    assert edit.value.code == "series_ended"
    assert hub.series_store.active() == []


def test_a_group_runs_a_bounded_number_of_series(hub):
    for _ in range(MAX_ACTIVE_SERIES):
        hub.weekly()

    with pytest.raises(ConflictError) as refused:
        hub.weekly()

    assert refused.value.code == "too_many_series"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rrule": "FREQ=YEARLY"}, "rrule"),
        ({"rrule": "FREQ=HOURLY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;COUNT=501"}, "rrule"),
        ({"rrule": "FREQ=DAILY;UNTIL=20300101T000000Z"}, "rrule"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"start_local": "2026-02-30T19:00"}, "start_local"),
    ],
)
def test_a_series_hearth_should_not_run_is_refused_naming_the_field(hub, fields, field):
    with pytest.raises(ValidationError) as refused:
        hub.weekly(**fields)

    assert field in refused.value.fields


def test_only_the_groups_facilitators_schedule(hub):
    with pytest.raises(ForbiddenError):
        hub.series.create_series(
            member("mem_a"), GROUP, title=None, start_local="2026-12-01T19:00", timezone="UTC",
            duration_minutes=60, rrule="FREQ=WEEKLY", capacity=None, conference_url=None,
        )  # fmt: skip
    with pytest.raises(NotFoundError):
        hub.series.create_series(
            Caller(Role.FACILITATOR, subject_id="fac_elsewhere"), GROUP, title=None,
            start_local="2026-12-01T19:00", timezone="UTC", duration_minutes=60, rrule="FREQ=WEEKLY",
            capacity=None, conference_url=None,
        )  # fmt: skip
