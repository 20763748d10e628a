"""Calendar feeds and the Meeting Guide list."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import icalendar
import recurring_ical_events


def _ics(api, path: str, token: str | None = None) -> tuple[int, str, dict]:
    response = api.call("GET", path, token=token)
    return response.status_code, response.body.decode(), response.headers


def test_group_calendar_is_rfc5545_and_discreet(api, world):
    group_id = world["group_here"]["group_id"]
    token = world["facilitator_here"]["token"]
    second = world["series_here"]["next_sessions"][1]["session_id"]
    third = world["series_here"]["next_sessions"][2]["session_id"]
    api.call("PATCH", f"/v1/sessions/{second}", {"status": "cancelled"}, token=token)
    api.call("PATCH", f"/v1/sessions/{third}", {"start_local": "2026-12-16T18:00"}, token=token)

    status, body, headers = _ics(api, f"/v1/groups/{group_id}/calendar.ics", world["member_here"]["token"])

    assert status == 200
    assert headers["Content-Type"].startswith("text/calendar")
    assert "\r\n" in body
    assert "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["PRODID"]) == "-//Hearth//Hearth 1//EN"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    events = calendar.walk("VEVENT")
    master = next(e for e in events if "RRULE" in e)
    assert master["RRULE"]["FREQ"] == ["WEEKLY"]
    assert master["EXDATE"].dts[0].dt == datetime(2026, 12, 8, 19, 0, tzinfo=master["DTSTART"].dt.tzinfo)
    override = next(e for e in events if e.get("RECURRENCE-ID") is not None)
    assert override["DTSTART"].dt.hour == 18
    assert int(override["SEQUENCE"]) >= 1
    for event in events:
        assert str(event["SUMMARY"]) == "your session"
    for secret in ("Tuesday Circle", "anxiety", "meet.example.org"):
        assert secret not in body


def test_independent_expander_agrees_with_the_api(api, world):
    group_id = world["group_here"]["group_id"]
    token = world["facilitator_here"]["token"]
    sessions = world["series_here"]["next_sessions"]
    api.call("PATCH", f"/v1/sessions/{sessions[1]['session_id']}", {"status": "cancelled"}, token=token)
    api.call(
        "PATCH", f"/v1/sessions/{sessions[3]['session_id']}", {"start_local": "2026-12-23T08:15"}, token=token
    )
    api.create_series(
        token,
        group_id,
        start_local="2027-02-28T02:30",
        timezone="Europe/London",
        rrule="FREQ=MONTHLY;BYDAY=-1SU",
        duration_minutes=45,
    )
    start, end = "2026-11-27T00:00:00Z", "2027-11-27T00:00:00Z"

    listed = api.call(
        "GET", f"/v1/groups/{group_id}/sessions?from={quote(start)}&to={quote(end)}", token=token
    )
    _, body, _ = _ics(api, f"/v1/groups/{group_id}/calendar.ics", token)
    expanded = recurring_ical_events.of(icalendar.Calendar.from_ical(body)).between(
        datetime(2026, 11, 27, tzinfo=UTC), datetime(2027, 11, 27, tzinfo=UTC)
    )

    from_api = sorted(s["start"] for s in listed.json["sessions"] if s["status"] == "scheduled")
    from_ics = sorted(e["DTSTART"].dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for e in expanded)
    assert from_api == from_ics
    assert "2026-12-23T13:15:00Z" in from_ics
    assert "2027-03-28T01:30:00Z" in from_ics  # last Sunday of March in London, after the clocks change


def test_private_feed_follows_its_secret_and_rotates(api, world):
    token = world["member_here"]["token"]
    path = f"/v1/feeds/{world['feed_token']}/calendar.ics"

    status, body, _ = _ics(api, path)
    assert status == 200
    assert "BEGIN:VEVENT" in body
    assert "meet.example.org" not in body

    api.call("POST", "/v1/me/calendar-token", token=token)
    assert _ics(api, path)[0] == 404
    assert _ics(api, "/v1/feeds/not-a-token/calendar.ics")[0] == 404


def test_private_feed_stops_when_the_member_erases(api, world):
    api.call("DELETE", "/v1/me", token=world["member_here"]["token"])

    assert _ics(api, f"/v1/feeds/{world['feed_token']}/calendar.ics")[0] == 404


def test_unlisted_group_calendar_is_hidden_from_outsiders(api, world):
    path = f"/v1/groups/{world['group_here']['group_id']}/calendar.ics"

    assert _ics(api, path)[0] == 404
    assert _ics(api, f"/v1/groups/{world['group_there']['group_id']}/calendar.ics")[0] == 200


def test_meeting_guide_lists_weekly_series_of_listed_groups(api, world):
    facilitator = world["facilitator_there"]["token"]
    group_id = world["group_there"]["group_id"]
    api.create_series(
        facilitator, group_id, rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", start_local="2026-12-07T12:00"
    )
    api.create_series(
        facilitator,
        group_id,
        rrule="FREQ=WEEKLY;BYDAY=SA,SU",
        start_local="2026-12-05T09:30",
        timezone="America/Chicago",
        duration_minutes=90,
    )

    meetings = api.call("GET", "/v1/meetings.json")

    assert meetings.status_code == 200
    entries = meetings.json
    assert len(entries) == 2  # the unlisted group's series and the biweekly one are left out
    tuesday = next(e for e in entries if e["day"] == 2)
    assert tuesday | {"slug": None, "updated": None} == {
        "name": "Open Harbor",
        "slug": None,
        "day": 2,
        "time": "19:00",
        "end_time": "20:00",
        "timezone": "America/New_York",
        "types": ["ONL"],
        "notes": "",
        "url": f"http://127.0.0.1:8000/j/{world['group_there']['join_code']}",
        "formatted_address": "New York, NY, USA",
        "approximate": "yes",
        "regions": ["Online"],
        "updated": None,
    }
    weekend = next(e for e in entries if isinstance(e["day"], list))
    assert (weekend["day"], weekend["time"], weekend["end_time"]) == ([0, 6], "09:30", "11:00")
    assert weekend["formatted_address"] == "Chicago, IL, USA"
    slugs = [e["slug"] for e in entries]
    assert len(set(slugs)) == len(slugs)
    assert all(len(s) <= 64 and s.replace("-", "").isalnum() for s in slugs)
    assert "Bright Finch" not in meetings.body.decode()
