"""Session rules on the in-memory stores: cancelling and moving one session and the notices they
owe, promotion and who is told, owed notices outliving a queue that is down, join links, the
facilitator's attendance list, and a group's next session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import (
    ConflictError,
    ForbiddenError,
    GoneError,
    NotFoundError,
    TooEarlyError,
    ValidationError,
)
from chalicelib.responses import RsvpOut
from chalicelib.store.members import MemberItem
from tests.fakes.services import FACILITATOR, GROUP, Scheduling, member


@pytest.fixture
def hub() -> Scheduling:
    return Scheduling()


@pytest.fixture
def series(hub: Scheduling):
    return hub.weekly()  # Tuesdays 19:00 in New York from Dec 1, five seats


def listed(hub: Scheduling) -> list[tuple[str, str]]:
    page = hub.sessions.list_sessions(
        FACILITATOR, GROUP, datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 20, tzinfo=UTC)
    )
    return [(s.start_local, s.status) for s in page.sessions]


def test_a_cancelled_session_is_listed_as_such_refuses_rsvps_and_moves(hub, series):
    session_id = series.next_sessions[1].session_id
    hub.rsvps.rsvp(member("mem_a"), session_id)

    cancelled = hub.sessions.cancel_session(FACILITATOR, session_id)

    assert cancelled.status == "cancelled"
    assert [status for _start, status in listed(hub)] == ["scheduled", "cancelled", "scheduled"]
    assert hub.notices.told("cancelled") == ["mem_a"]
    with pytest.raises(ConflictError) as rsvp:
        hub.rsvps.rsvp(member("mem_b"), session_id)
    assert rsvp.value.code == "session_cancelled"
    with pytest.raises(ConflictError) as move:
        hub.sessions.move_session(FACILITATOR, session_id, "2026-12-10T19:00", None)
    assert move.value.code == "session_cancelled"


def test_cancelling_again_tells_nobody_twice(hub, series):
    session_id = series.next_sessions[0].session_id
    hub.rsvps.rsvp(member("mem_a"), session_id)
    hub.sessions.cancel_session(FACILITATOR, session_id)

    again = hub.sessions.cancel_session(FACILITATOR, session_id)

    assert again.status == "cancelled"
    assert hub.notices.told("cancelled") == ["mem_a"]


def test_a_session_that_started_is_not_cancelled(hub, series):
    hub.clock.now = series.next_sessions[0].start + timedelta(minutes=1)

    with pytest.raises(ConflictError) as refused:
        hub.sessions.cancel_session(FACILITATOR, series.next_sessions[0].session_id)

    assert refused.value.code == "session_past"


def test_a_moved_session_keeps_its_identity_and_tells_those_going_the_old_and_new_start(hub, series):
    session_id = series.next_sessions[1].session_id
    hub.rsvps.rsvp(member("mem_a"), session_id)

    moved = hub.sessions.move_session(FACILITATOR, session_id, "2026-12-10T18:30", 90)

    assert moved.session_id == session_id
    assert (moved.start, moved.end) == (
        datetime(2026, 12, 10, 23, 30, tzinfo=UTC),
        datetime(2026, 12, 11, 1, 0, tzinfo=UTC),
    )
    assert moved.moved_from == datetime(2026, 12, 9, 0, 0, tzinfo=UTC)
    assert [start for start, _status in listed(hub)] == [
        "2026-12-01T19:00",
        "2026-12-10T18:30",
        "2026-12-15T19:00",
    ]
    assert hub.notices.delivered == [f"moved mem_a {session_id} 2026-12-10T23:30Z from 2026-12-09T00:00Z"]
    assert hub.rsvps.rsvp(member("mem_a"), session_id) == RsvpOut(status="going")


@pytest.mark.parametrize("start_local", ["2027-02-10T18:30", "2026-11-20T18:30"])
def test_a_session_moves_only_to_the_future_within_30_days(hub, series, start_local):
    with pytest.raises(ValidationError) as refused:
        hub.sessions.move_session(FACILITATOR, series.next_sessions[1].session_id, start_local, None)

    assert "start_local" in refused.value.fields


def test_only_the_groups_facilitators_change_a_session(hub, series):
    with pytest.raises(ForbiddenError):
        hub.sessions.cancel_session(member("mem_a"), series.next_sessions[0].session_id)


def test_unknown_or_impossible_session_ids_are_not_found(hub, series):
    off_rule = f"{series.series_id}.20261202T0100Z"

    for session_id in (off_rule, "ser_nothing.20261202T0000Z", "garbage"):
        with pytest.raises(NotFoundError):
            hub.sessions.get_session(member("mem_a"), session_id)
        with pytest.raises(NotFoundError):
            hub.rsvps.rsvp(member("mem_a"), session_id)


def test_a_freed_seat_goes_to_the_first_waiting_who_is_told(hub):
    series = hub.weekly(capacity=1)
    session_id = series.next_sessions[0].session_id
    for m in ("mem_a", "mem_b", "mem_c"):
        hub.rsvps.rsvp(member(m), session_id)

    hub.rsvps.cancel_rsvp(member("mem_a"), session_id)

    view = hub.sessions.get_session(member("mem_b"), session_id)
    assert (view.my_rsvp, view.going, view.waitlisted) == ("going", 1, 1)
    assert hub.sessions.get_session(member("mem_c"), session_id).position == 1
    assert hub.notices.told("promoted") == ["mem_b"]


def test_notices_owed_while_the_queue_is_down_are_queued_by_the_minute_job(hub, series):
    session_id = series.next_sessions[0].session_id
    hub.rsvps.rsvp(member("mem_a"), session_id)
    hub.rsvps.rsvp(member("mem_b"), session_id)
    hub.notices.failing = True

    hub.sessions.cancel_session(FACILITATOR, session_id)
    assert hub.notices.delivered == []
    hub.notices.failing = False

    assert hub.sessions.deliver_owed() == 2
    assert hub.notices.told("cancelled") == ["mem_a", "mem_b"]
    assert hub.sessions.deliver_owed() == 0  # settled: queued once


def test_a_promotion_not_yet_queued_is_withdrawn_when_the_promoted_member_leaves(hub):
    series = hub.weekly(capacity=1)
    session_id = series.next_sessions[0].session_id
    for m in ("mem_a", "mem_b", "mem_c"):
        hub.rsvps.rsvp(member(m), session_id)
    hub.notices.failing = True
    hub.rsvps.cancel_rsvp(member("mem_a"), session_id)  # mem_b promoted, told later

    hub.rsvps.cancel_rsvp(member("mem_b"), session_id)
    hub.notices.failing = False
    hub.sessions.deliver_owed()

    assert hub.notices.told("promoted") == ["mem_c"]


def test_a_removed_member_gives_back_only_seats_still_to_come(hub):
    series = hub.weekly(capacity=1)
    first, second = (s.session_id for s in series.next_sessions[:2])
    for session_id in (first, second):
        hub.rsvps.rsvp(member("mem_a"), session_id)
        hub.rsvps.rsvp(member("mem_b"), session_id)
    hub.clock.now = series.next_sessions[0].start + timedelta(minutes=5)

    hub.rsvps.release_member(GROUP, "mem_a")

    assert hub.sessions.get_session(member("mem_a"), first).my_rsvp == "going"  # it happened
    assert hub.sessions.get_session(member("mem_b"), second).my_rsvp == "going"
    assert hub.notices.told("promoted") == ["mem_b"]


def test_the_join_link_opens_15_minutes_before_for_members_going(hub, series):
    session_id = series.next_sessions[0].session_id  # 2026-12-02T00:00Z, an hour long
    with pytest.raises(ForbiddenError):
        hub.sessions.join_link(member("mem_a"), session_id)
    hub.rsvps.rsvp(member("mem_a"), session_id)

    hub.clock.now = datetime(2026, 12, 1, 23, 44, tzinfo=UTC)
    with pytest.raises(TooEarlyError):
        hub.sessions.join_link(member("mem_a"), session_id)
    hub.clock.now = datetime(2026, 12, 1, 23, 45, tzinfo=UTC)
    assert hub.sessions.join_link(member("mem_a"), session_id) == "https://meet.example.org/tuesday"
    hub.clock.now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    with pytest.raises(GoneError):
        hub.sessions.join_link(member("mem_a"), session_id)


def test_attendance_lists_who_is_going_by_handle_and_the_waitlist_in_order(hub):
    series = hub.weekly(capacity=2)
    session_id = series.next_sessions[0].session_id
    handles = {"mem_a": "river", "mem_b": "Oak", "mem_c": "wren", "mem_d": "ash"}
    for m in handles:
        hub.rsvps.rsvp(member(m), session_id)
    hub.sessions.members = _Members(handles)  # type: ignore[assignment]

    seen = hub.sessions.attendance(FACILITATOR, session_id)

    assert [p.handle for p in seen.going] == ["Oak", "river"]
    assert [(p.handle, p.position) for p in seen.waitlist] == [("wren", 1), ("ash", 2)]


def test_the_group_shows_its_next_scheduled_session(hub, series):
    first, second = series.next_sessions[:2]
    assert hub.upcoming.next_session(member("mem_a"), GROUP).session_id == first.session_id

    hub.sessions.cancel_session(FACILITATOR, first.session_id)

    found = hub.upcoming.next_session(member("mem_a"), GROUP)
    assert (found.session_id, found.start, found.start_local) == (
        second.session_id,
        second.start,
        "2026-12-08T19:00",
    )


class _Members:
    """The memberships `SessionService.attendance` reads (`MemberRepository.many`)."""

    def __init__(self, handles: dict[str, str]) -> None:
        self.handles = handles

    def many(self, group_id: str, member_ids: set[str]) -> dict[str, MemberItem]:
        return {
            m: MemberItem(f"GROUP#{group_id}", f"MEMBER#{m}", member_id=m, handle=self.handles[m])
            for m in member_ids
            if m in self.handles
        }
