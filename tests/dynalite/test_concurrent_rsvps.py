"""RSVPs racing for seats, on dynalite's real per-item atomicity."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.dynalite.conftest import weekly_session

pytestmark = pytest.mark.dynalite


def test_fifty_concurrent_rsvps_for_ten_seats(dynalite):
    from chalicelib.domain.identity import Caller, Role

    sessions, facilitator, group_id, session_id = weekly_session(10, "fac_rsvp")
    members = [Caller(Role.MEMBER, subject_id=f"mem_{i:02d}", group_id=group_id) for i in range(50)]

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
