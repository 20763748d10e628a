"""Seats freed while newcomers RSVP, on dynalite's real per-item atomicity: a freed seat always
goes to the head of the waitlist, never to a newcomer (freeing and promoting are one write)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.dynalite.conftest import weekly_session

pytestmark = pytest.mark.dynalite


def test_freed_seats_go_to_the_waitlist_heads_while_newcomers_rsvp(dynalite):
    from chalicelib.domain.identity import Caller, Role
    from chalicelib.domain.recurrence import parse_session_id

    sessions, _facilitator, group_id, session_id = weekly_session(8, "fac_seat")

    def member(name: str) -> Caller:
        return Caller(Role.MEMBER, subject_id=name, group_id=group_id)

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
