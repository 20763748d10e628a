"""RSVP rules on in-memory stores: seats, the waitlist, promotion, idempotence, who may RSVP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain import recurrence
from chalicelib.domain.identity import Caller, Role
from chalicelib.errors import ConflictError, ForbiddenError, NotFoundError
from chalicelib.responses import RsvpOut
from chalicelib.services.rsvps import RsvpService
from tests.contracts.rsvp_store import NOW, START, RsvpStoreContract
from tests.fakes import InMemorySeriesRepository, InMemorySessionRepository


def member(member_id: str, group_id: str = "grp_contract") -> Caller:
    return Caller(Role.MEMBER, subject_id=member_id, group_id=group_id)


@pytest.fixture
def rsvps() -> RsvpService:
    return RsvpService(InMemorySeriesRepository(), InMemorySessionRepository(), clock=lambda: NOW)


def weekly(rsvps: RsvpService, capacity: int | None) -> str:
    series = RsvpStoreContract().series(rsvps.series, capacity=capacity)
    return recurrence.session_id(series.series_id, START)


def test_members_go_while_seats_last_then_wait_in_order(rsvps):
    session_id = weekly(rsvps, capacity=2)

    answers = [rsvps.rsvp(member(m), session_id) for m in ("mem_a", "mem_b", "mem_c", "mem_d")]

    assert answers == [
        RsvpOut(status="going"),
        RsvpOut(status="going"),
        RsvpOut(status="waitlisted", position=1),
        RsvpOut(status="waitlisted", position=2),
    ]


def test_rsvp_again_changes_nothing(rsvps):
    session_id = weekly(rsvps, capacity=1)
    rsvps.rsvp(member("mem_a"), session_id)
    rsvps.rsvp(member("mem_b"), session_id)

    again = [rsvps.rsvp(member("mem_a"), session_id), rsvps.rsvp(member("mem_b"), session_id)]

    assert again == [RsvpOut(status="going"), RsvpOut(status="waitlisted", position=1)]


def test_a_seat_given_up_goes_to_the_first_waiting(rsvps):
    session_id = weekly(rsvps, capacity=1)
    for m in ("mem_a", "mem_b", "mem_c"):
        rsvps.rsvp(member(m), session_id)

    rsvps.cancel_rsvp(member("mem_a"), session_id)

    assert rsvps.rsvp(member("mem_b"), session_id) == RsvpOut(status="going")
    assert rsvps.rsvp(member("mem_c"), session_id) == RsvpOut(status="waitlisted", position=1)


def test_erasure_takes_a_member_off_and_promotes_whoever_waits(rsvps):
    session_id = weekly(rsvps, capacity=1)
    rsvps.rsvp(member("mem_a"), session_id)
    rsvps.rsvp(member("mem_b"), session_id)

    rsvps.forget_member("grp_contract", "mem_a")

    assert rsvps.rsvp(member("mem_b"), session_id) == RsvpOut(status="going")


def test_a_session_of_another_group_is_not_found(rsvps):
    session_id = weekly(rsvps, capacity=None)

    with pytest.raises(NotFoundError):
        rsvps.rsvp(member("mem_x", group_id="grp_other"), session_id)


def test_a_time_that_is_no_session_of_the_series_is_not_found(rsvps):
    session_id = weekly(rsvps, capacity=None)
    series_id, _original = recurrence.parse_session_id(session_id)

    with pytest.raises(NotFoundError):
        rsvps.rsvp(member("mem_a"), recurrence.session_id(series_id, START + timedelta(hours=1)))


def test_a_started_session_takes_no_rsvp(rsvps):
    session_id = weekly(rsvps, capacity=None)
    rsvps.clock = lambda: START + timedelta(minutes=1)

    with pytest.raises(ConflictError) as refused:
        rsvps.rsvp(member("mem_a"), session_id)

    assert refused.value.code == "session_past"


def test_only_members_rsvp(rsvps):
    session_id = weekly(rsvps, capacity=None)

    with pytest.raises(ForbiddenError):
        rsvps.rsvp(Caller(Role.FACILITATOR, subject_id="fac_a"), session_id)
