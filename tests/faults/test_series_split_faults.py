"""A series split ("this and following") while members RSVP: nobody is lost, capacity holds."""

from __future__ import annotations

from typing import Any

from tests.faults.botocore_faults import Faults


def stored(session_id: str) -> tuple[set[str], list[str]]:
    from chalicelib.domain.recurrence import parse_session_id
    from chalicelib.store.sessions import SessionRepository

    item = SessionRepository().get(*parse_session_id(session_id), consistent=True)
    return (set(), []) if item is None else (set(item.going or ()), list(item.waitlist or ()))


def test_split_carries_every_rsvp_within_the_new_capacity(api, clock, faults: Faults):
    """Three going (capacity 3) to Tuesday 19:00; the series moves to 20:00 with two seats while a
    fourth member's RSVP lands mid-split: all four carried, two going, two waiting in order."""
    facilitator = api.create_facilitator("Robin")
    group = api.create_group(facilitator["token"], name="Tuesday Circle")
    series = api.create_series(
        facilitator["token"], group["group_id"], start_local="2026-11-17T19:00", capacity=3
    )
    session_id = series["next_sessions"][0]["session_id"]
    people = [api.member(group["invite"]["code"]) for _ in range(4)]
    for member in people[:3]:
        assert (
            api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=member["token"]).json["status"]
            == "going"
        )
    late: dict[str, Any] = {}
    state = {"ran": False}

    def rsvp_mid_split(_params: dict[str, Any]) -> bool:
        if not state["ran"]:
            state["ran"] = True
            late["answer"] = api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=people[3]["token"]).json
        return False

    faults.fail("dynamodb", "UpdateItem", when=rsvp_mid_split)

    changed = api.call(
        "PATCH",
        f"/v1/series/{series['series_id']}",
        {"start_local": "2026-12-01T20:00", "capacity": 2},
        token=facilitator["token"],
    )

    assert changed.status_code == 200, changed.body
    assert late["answer"]["status"] == "waitlisted"  # answered: so it must not be lost
    new_session = changed.json["next_sessions"][0]["session_id"]
    going, waitlist = stored(new_session)
    everyone = {member["member_id"] for member in people}
    assert len(going) == 2
    assert going | set(waitlist) == everyone
    assert waitlist[-1] == people[3]["member_id"]  # who had a seat stays ahead of who was waiting
