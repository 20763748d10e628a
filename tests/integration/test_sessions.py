"""Series, sessions, exceptions, RSVPs and join links through the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest


def _window(start: str, end: str) -> str:
    return f"?from={quote(start)}&to={quote(end)}"


def _sessions(api, group_id: str, start: str, end: str, token: str | None = None) -> list[dict]:
    response = api.call("GET", f"/v1/groups/{group_id}/sessions{_window(start, end)}", token=token)
    assert response.status_code == 200, response.body
    return response.json["sessions"]


def test_series_lists_its_next_sessions_with_local_and_utc_times(api, world):
    series = world["series_here"]

    assert series["series_id"].startswith("ser_")
    assert series["rrule"] == "FREQ=WEEKLY;BYDAY=TU"
    assert series["conference_url"] == "https://meet.example.org/tuesday"  # its facilitator sees it
    first, second = series["next_sessions"][:2]
    assert (first["start"], first["start_local"]) == ("2026-12-02T00:00:00Z", "2026-12-01T19:00")
    assert (second["start"], second["start_local"]) == ("2026-12-09T00:00:00Z", "2026-12-08T19:00")
    assert first["end"] == "2026-12-02T01:00:00Z"
    assert first["capacity"] == 5


def test_members_do_not_see_the_conference_url_in_series(api, world):
    listed = api.call(
        "GET", f"/v1/groups/{world['group_here']['group_id']}/series", token=world["member_here"]["token"]
    )

    assert listed.status_code == 200
    assert [s["conference_url"] for s in listed.json["series"]] == [None]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rrule": "FREQ=YEARLY"}, "rrule"),
        ({"rrule": "FREQ=HOURLY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;COUNT=501"}, "rrule"),
        ({"rrule": "FREQ=DAILY;UNTIL=20300101T000000Z"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;FOO=1"}, "rrule"),
        ({"duration_minutes": 14}, "duration_minutes"),
        ({"duration_minutes": 241}, "duration_minutes"),
        ({"conference_url": "http://meet.example.org/x"}, "conference_url"),
        ({"conference_url": "javascript:alert(1)"}, "conference_url"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"start_local": "2026-12-01 19:00"}, "start_local"),
        ({"start_local": "2026-02-30T19:00"}, "start_local"),
    ],
)
def test_series_that_hearth_should_not_run_are_422_naming_the_field(api, world, changes, field):
    body = {
        "start_local": "2026-12-01T19:00",
        "timezone": "America/New_York",
        "duration_minutes": 60,
        "rrule": "FREQ=WEEKLY;BYDAY=TU",
    } | changes

    response = api.call(
        "POST",
        f"/v1/groups/{world['group_here']['group_id']}/series",
        body,
        token=world["facilitator_here"]["token"],
    )

    assert response.status_code == 422, response.body
    assert field in response.json["fields"]


def test_wall_clock_time_holds_across_dst_in_both_directions(api, world):
    sessions = _sessions(
        api,
        world["group_here"]["group_id"],
        "2027-03-01T00:00:00Z",
        "2027-03-20T00:00:00Z",
        world["member_here"]["token"],
    )

    assert [s["start_local"] for s in sessions] == [
        "2027-03-02T19:00",
        "2027-03-09T19:00",
        "2027-03-16T19:00",
    ]
    assert [s["start"] for s in sessions] == [
        "2027-03-03T00:00:00Z",
        "2027-03-10T00:00:00Z",
        "2027-03-16T23:00:00Z",
    ]
    autumn = _sessions(
        api,
        world["group_here"]["group_id"],
        "2027-10-25T00:00:00Z",
        "2027-11-12T00:00:00Z",
        world["member_here"]["token"],
    )
    assert [s["start"] for s in autumn] == [
        "2027-10-26T23:00:00Z",
        "2027-11-02T23:00:00Z",
        "2027-11-10T00:00:00Z",
    ]


def test_a_window_of_366_days_lists_a_year_and_more_is_refused(api, world):
    group_id = world["group_here"]["group_id"]
    token = world["member_here"]["token"]

    year = _sessions(api, group_id, "2027-01-01T00:00:00Z", "2028-01-02T00:00:00Z", token)
    too_long = api.call(
        "GET",
        f"/v1/groups/{group_id}/sessions{_window('2027-01-01T00:00:00Z', '2028-01-03T00:00:00Z')}",
        token=token,
    )
    backwards = api.call(
        "GET",
        f"/v1/groups/{group_id}/sessions{_window('2027-01-02T00:00:00Z', '2027-01-01T00:00:00Z')}",
        token=token,
    )
    naive = api.call("GET", f"/v1/groups/{group_id}/sessions?from=2027-01-01T00:00:00", token=token)

    assert len(year) == 52
    assert too_long.status_code == 422
    assert backwards.status_code == 422
    assert naive.status_code == 422


def test_default_window_is_the_next_30_days(api, world):
    sessions = api.call(
        "GET", f"/v1/groups/{world['group_here']['group_id']}/sessions", token=world["member_here"]["token"]
    )

    assert [s["start_local"][:10] for s in sessions.json["sessions"]] == [
        "2026-12-01",
        "2026-12-08",
        "2026-12-15",
        "2026-12-22",
    ]


def test_listed_groups_show_sessions_to_anyone(api, world):
    group_id = world["group_there"]["group_id"]

    anonymous = api.call("GET", f"/v1/groups/{group_id}/sessions")

    assert anonymous.status_code == 200
    assert anonymous.json["sessions"][0]["my_rsvp"] is None
    assert api.call("GET", f"/v1/groups/{world['group_here']['group_id']}/sessions").status_code == 404


def test_cancel_one_session(api, world):
    session_id = world["series_here"]["next_sessions"][1]["session_id"]
    token = world["facilitator_here"]["token"]

    cancelled = api.call("PATCH", f"/v1/sessions/{session_id}", {"status": "cancelled"}, token=token)

    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled"
    listed = _sessions(
        api, world["group_here"]["group_id"], "2026-11-30T00:00:00Z", "2026-12-20T00:00:00Z", token
    )
    assert [s["status"] for s in listed] == ["scheduled", "cancelled", "scheduled"]
    refused = api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=world["member_here"]["token"])
    assert refused.status_code == 409
    assert refused.json["code"] == "session_cancelled"
    moved = api.call("PATCH", f"/v1/sessions/{session_id}", {"start_local": "2026-12-10T19:00"}, token=token)
    assert moved.status_code == 409


def test_move_one_session(api, world):
    session_id = world["series_here"]["next_sessions"][1]["session_id"]
    token = world["facilitator_here"]["token"]

    moved = api.call(
        "PATCH",
        f"/v1/sessions/{session_id}",
        {"start_local": "2026-12-10T18:30", "duration_minutes": 90},
        token=token,
    )

    assert moved.status_code == 200
    assert moved.json["session_id"] == session_id  # identity is the original start
    assert (moved.json["start"], moved.json["end"]) == ("2026-12-10T23:30:00Z", "2026-12-11T01:00:00Z")
    listed = _sessions(
        api, world["group_here"]["group_id"], "2026-11-30T00:00:00Z", "2026-12-20T00:00:00Z", token
    )
    assert [s["start_local"] for s in listed] == ["2026-12-01T19:00", "2026-12-10T18:30", "2026-12-15T19:00"]
    assert (
        api.call(
            "PATCH", f"/v1/sessions/{session_id}", {"start_local": "2027-02-10T18:30"}, token=token
        ).status_code
        == 422
    )
    assert (
        api.call(
            "PATCH", f"/v1/sessions/{session_id}", {"start_local": "2026-11-20T18:30"}, token=token
        ).status_code
        == 422
    )
    both = api.call(
        "PATCH", f"/v1/sessions/{session_id}", {"status": "cancelled", "duration_minutes": 30}, token=token
    )
    assert both.status_code == 422


def test_unknown_or_impossible_session_ids_are_404(api, world):
    series_id = world["series_here"]["series_id"]
    token = world["member_here"]["token"]

    assert (
        api.call("GET", f"/v1/sessions/{series_id}.20261202T0100Z", token=token).status_code == 404
    )  # not on the rule
    assert api.call("GET", "/v1/sessions/ser_nothing.20261202T0000Z", token=token).status_code == 404
    assert api.call("GET", "/v1/sessions/garbage", token=token).status_code == 404
    assert api.call("PUT", f"/v1/sessions/{series_id}.20261202T0100Z/rsvp", token=token).status_code == 404
    assert api.call("PUT", "/v1/sessions/%C3%8E7k/rsvp", token=token).status_code == 404  # found by fuzzing
    assert api.call("DELETE", "/v1/sessions/not-a-session/rsvp", token=token).status_code == 404


def test_rsvp_fills_seats_then_a_fifo_waitlist_and_promotes(api, world):
    facilitator = world["facilitator_here"]["token"]
    group_id = world["group_here"]["group_id"]
    series = api.create_series(
        facilitator, group_id, capacity=2, start_local="2026-12-03T12:00", rrule="FREQ=WEEKLY"
    )
    session_id = series["next_sessions"][0]["session_id"]
    code = world["group_here"]["invite"]["code"]
    members = [api.member(code) for _ in range(4)]

    answers = [api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=m["token"]).json for m in members]
    again = api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=members[3]["token"]).json

    assert answers == [
        {"status": "going", "position": None},
        {"status": "going", "position": None},
        {"status": "waitlisted", "position": 1},
        {"status": "waitlisted", "position": 2},
    ]
    assert again == {"status": "waitlisted", "position": 2}
    assert api.call("DELETE", f"/v1/sessions/{session_id}/rsvp", token=members[0]["token"]).status_code == 204
    promoted = api.call("GET", f"/v1/sessions/{session_id}", token=members[2]["token"]).json
    assert (promoted["my_rsvp"], promoted["going"], promoted["waitlisted"]) == ("going", 2, 1)
    last = api.call("GET", f"/v1/sessions/{session_id}", token=members[3]["token"]).json
    assert (last["my_rsvp"], last["position"]) == ("waitlisted", 1)
    assert api.call("DELETE", f"/v1/sessions/{session_id}/rsvp", token=members[3]["token"]).status_code == 204
    assert api.call("GET", f"/v1/sessions/{session_id}", token=members[3]["token"]).json["my_rsvp"] is None
    assert api.call("DELETE", f"/v1/sessions/{session_id}/rsvp", token=members[3]["token"]).status_code == 204


def test_past_sessions_refuse_rsvps(api, world, clock):
    session_id = world["session_here"]
    clock.now = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)  # it started half an hour ago

    refused = api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=world["member_here"]["token"])

    assert refused.status_code == 409
    assert refused.json["code"] == "session_past"


def test_join_link_opens_15_minutes_before_for_members_going(api, world, clock):
    session_id = world["session_here"]
    token = world["member_here"]["token"]
    path = f"/v1/sessions/{session_id}/join"

    assert api.call("GET", path, token=token).status_code == 403  # not going
    api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=token)
    clock.now = datetime(2026, 12, 1, 23, 44, tzinfo=UTC)
    early = api.call("GET", path, token=token)
    clock.now = datetime(2026, 12, 1, 23, 45, tzinfo=UTC)
    opened = api.call("GET", path, token=token)
    clock.now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    over = api.call("GET", path, token=token)

    assert early.status_code == 425
    assert opened.json == {"conference_url": "https://meet.example.org/tuesday"}
    assert over.status_code == 410


def test_editing_times_splits_the_series_keeping_the_past(api, world, clock):
    facilitator = world["facilitator_here"]["token"]
    group_id = world["group_here"]["group_id"]
    series_id = world["series_here"]["series_id"]
    member = world["member_here"]["token"]
    week3 = world["series_here"]["next_sessions"][2]["session_id"]
    api.call("PUT", f"/v1/sessions/{week3}/rsvp", token=member)
    clock.now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # after the first session

    changed = api.call(
        "PATCH", f"/v1/series/{series_id}", {"start_local": "2026-12-08T20:00"}, token=facilitator
    )

    assert changed.status_code == 200
    assert changed.json["series_id"] != series_id
    assert changed.json["next_sessions"][0]["start_local"] == "2026-12-08T20:00"
    listed = _sessions(api, group_id, "2026-11-30T00:00:00Z", "2026-12-20T00:00:00Z", member)
    scheduled = [(s["start_local"], s["my_rsvp"]) for s in listed if s["status"] == "scheduled"]
    assert scheduled == [
        ("2026-12-01T19:00", None),
        ("2026-12-08T20:00", None),
        ("2026-12-15T20:00", "going"),
    ]
    series = api.call("GET", f"/v1/groups/{group_id}/series", token=facilitator).json["series"]
    assert sorted(s["status"] for s in series) == ["active", "ended"]


def test_editing_a_series_that_has_not_started_changes_it_in_place(api, world):
    facilitator = world["facilitator_here"]["token"]
    series_id = world["series_here"]["series_id"]

    changed = api.call(
        "PATCH",
        f"/v1/series/{series_id}",
        {"rrule": "FREQ=WEEKLY;BYDAY=TH", "start_local": "2026-12-03T19:00"},
        token=facilitator,
    )
    renamed = api.call(
        "PATCH", f"/v1/series/{series_id}", {"title": "Check-in", "capacity": None}, token=facilitator
    )

    assert changed.json["series_id"] == series_id
    assert changed.json["next_sessions"][0]["start_local"] == "2026-12-03T19:00"
    assert (renamed.json["title"], renamed.json["capacity"]) == ("Check-in", None)


def test_ending_a_series_cancels_its_future_sessions(api, world):
    facilitator = world["facilitator_here"]["token"]
    group_id = world["group_here"]["group_id"]

    ended = api.call("DELETE", f"/v1/series/{world['series_here']['series_id']}", token=facilitator)

    assert ended.status_code == 204
    listed = _sessions(api, group_id, "2026-11-27T12:00:00Z", "2027-02-01T00:00:00Z", facilitator)
    assert all(s["status"] == "cancelled" for s in listed)
    rsvp = api.call("PUT", f"/v1/sessions/{world['session_here']}/rsvp", token=world["member_here"]["token"])
    assert rsvp.status_code == 409
    assert (
        api.call(
            "PATCH", f"/v1/series/{world['series_here']['series_id']}", {"title": "x"}, token=facilitator
        ).status_code
        == 409
    )


def test_sessions_for_reminders_are_materialised_on_the_start_index(api, world):
    from chalicelib.store import keys
    from chalicelib.store.sessions import SessionItem

    session_id = world["session_here"]
    shard = keys.start_shard(session_id)

    found = list(SessionItem.by_start.query(keys.start_minute("2026-12-02T00:00", shard)))

    assert session_id in [item.session_id for item in found]
    assert all(item.start == datetime(2026, 12, 2, tzinfo=UTC) for item in found)
    stored = list(SessionItem.gsi2.query(keys.group_occurrences(world["group_here"]["group_id"])))
    assert len(stored) == 8  # the eight-week horizon


def test_daily_job_extends_the_horizon(api, world, clock):
    from app import app  # noqa: F401  (registers the job)
    from chalicelib.events.jobs import extend_horizon
    from chalicelib.store import keys
    from chalicelib.store.sessions import SessionItem

    clock.now += timedelta(days=14)
    result = extend_horizon(
        {
            "id": "e",
            "time": "2026-12-11T03:15:00Z",
            "detail": {},
            "source": "aws.events",
            "detail-type": "Scheduled Event",
            "account": "1",
            "region": "us-east-1",
            "resources": [],
            "version": "0",
        },
        None,
    )

    assert result == {"sessions": 4}  # two weeks more for each of the two series
    stored = list(SessionItem.gsi2.query(keys.group_occurrences(world["group_here"]["group_id"])))
    assert len(stored) == 10


def test_erasure_gives_up_seats_and_promotes_the_waitlist(api, world):
    facilitator = world["facilitator_here"]["token"]
    series = api.create_series(
        facilitator,
        world["group_here"]["group_id"],
        capacity=1,
        rrule="FREQ=WEEKLY;BYDAY=WE",
        start_local="2026-12-02T10:00",
    )
    session_id = series["next_sessions"][0]["session_id"]
    other = api.member(world["group_here"]["invite"]["code"])
    api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=world["member_here"]["token"])
    api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=other["token"])

    api.call("DELETE", "/v1/me", token=world["member_here"]["token"])

    view = api.call("GET", f"/v1/sessions/{session_id}", token=other["token"]).json
    assert (view["my_rsvp"], view["going"], view["waitlisted"]) == ("going", 1, 0)


def test_group_shows_its_next_session(api, world):
    group = api.call(
        "GET", f"/v1/groups/{world['group_here']['group_id']}", token=world["member_here"]["token"]
    ).json

    assert group["next_session"]["session_id"] == world["session_here"]
    assert group["next_session"]["start"] == "2026-12-02T00:00:00Z"
