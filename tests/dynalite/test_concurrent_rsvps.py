"""RSVPs racing for seats, on dynalite's real per-item atomicity."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.dynalite


def test_fifty_concurrent_rsvps_for_ten_seats(dynalite):
    from chalicelib.domain.identity import Caller, Role
    from chalicelib.services.groups import GroupService
    from chalicelib.services.sessions import SessionService
    from chalicelib.store.facilitators import FacilitatorItem

    FacilitatorItem("FAC#fac_rsvp", "FAC", facilitator_id="fac_rsvp", display_name="R", token_hash="x").save()
    facilitator = Caller(Role.FACILITATOR, subject_id="fac_rsvp")
    groups = GroupService()
    group = groups.create(
        facilitator,
        name="Seats Group",
        topic="seats",
        description="",
        timezone="UTC",
        access="invite",
        listed=False,
        max_members=None,
        session_label=None,
    )
    sessions = SessionService(groups=groups, clock=lambda: datetime(2026, 11, 27, 12, tzinfo=UTC))
    series = sessions.create_series(
        facilitator,
        group.group_id,
        title=None,
        start_local="2026-12-01T18:00",
        timezone="UTC",
        duration_minutes=60,
        rrule="FREQ=WEEKLY",
        capacity=10,
        conference_url=None,
    )
    session_id = series.next_sessions[0].session_id
    members = [Caller(Role.MEMBER, subject_id=f"mem_{i:02d}", group_id=group.group_id) for i in range(50)]

    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(lambda member: sessions.rsvp(member, session_id), members))

    going = [a for a in answers if a.status == "going"]
    waiting = sorted(a.position for a in answers if a.status == "waitlisted")
    assert len(going) == 10
    assert waiting == list(range(1, 41))
    view = sessions.get_session(facilitator, session_id)
    assert (view.going, view.waitlisted) == (10, 40)
    again = [sessions.rsvp(member, session_id) for member in members]
    assert sorted((a.status, a.position or 0) for a in again) == sorted(
        (a.status, a.position or 0) for a in answers
    )
