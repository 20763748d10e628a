"""Seats freed while newcomers RSVP, on dynalite's real per-item atomicity: a freed seat always
goes to the head of the waitlist, never to a newcomer (freeing and promoting are one write)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.dynalite


def test_freed_seats_go_to_the_waitlist_heads_while_newcomers_rsvp(dynalite):
    from chalicelib.domain.identity import Caller, Role
    from chalicelib.domain.recurrence import parse_session_id
    from chalicelib.services.groups import GroupService
    from chalicelib.services.sessions import SessionService
    from chalicelib.store.facilitators import FacilitatorItem

    FacilitatorItem("FAC#fac_seat", "FAC", facilitator_id="fac_seat", display_name="S", token_hash="x").save()
    facilitator = Caller(Role.FACILITATOR, subject_id="fac_seat")
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
        capacity=8,
        conference_url=None,
    )
    session_id = series.next_sessions[0].session_id

    def member(name: str) -> Caller:
        return Caller(Role.MEMBER, subject_id=name, group_id=group.group_id)

    holders = [member(f"mem_hold_{i:02d}") for i in range(8)]
    waiting = [member(f"mem_wait_{i:02d}") for i in range(8)]
    newcomers = [member(f"mem_new_{i:02d}") for i in range(16)]
    for caller in holders + waiting:
        sessions.rsvp(caller, session_id)

    work = [(sessions.cancel_rsvp, c) for c in holders] + [(sessions.rsvp, c) for c in newcomers]
    work = [item for pair in zip(work[:8], work[8:16], work[16:], strict=False) for item in pair] + work[24:]
    with ThreadPoolExecutor(max_workers=24) as pool:
        list(pool.map(lambda job: job[0](job[1], session_id), work))

    item = sessions.sessions.get(*parse_session_id(session_id), consistent=True)
    assert set(item.going) == {c.subject_id for c in waiting}
    assert sorted(item.waitlist) == sorted(c.subject_id for c in newcomers)
