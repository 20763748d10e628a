"""Calendar feeds and the Meeting Guide list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import icalendar
import recurring_ical_events

from tests.clients import icaljs, tsml_ui


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
    # and Mozilla ical.js, reading only the file's VTIMEZONEs, shows the same starts and ends
    shown = icaljs.expand(body, datetime(2026, 11, 27, tzinfo=UTC), datetime(2027, 11, 27, tzinfo=UTC))
    assert sorted(
        (start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ"))
        for (_, start), end in shown.items()
    ) == sorted((s["start"], s["end"]) for s in listed.json["sessions"] if s["status"] == "scheduled")
    assert "2026-12-23T13:15:00Z" in from_ics
    assert "2027-03-28T01:30:00Z" in from_ics  # last Sunday of March in London, after the clocks change


def test_private_feed_follows_its_secret_and_rotates(api, world):
    token = world["member_here"]["token"]
    path = f"/v1/feeds/{world['feed_token']}/calendar.ics"

    status, body, _ = _ics(api, path)
    assert status == 200
    assert "BEGIN:VEVENT" in body
    assert "meet.example.org" not in body
    listed = api.call("GET", f"/v1/groups/{world['group_here']['group_id']}/sessions", token=token).json
    shown = icaljs.expand(
        body, datetime(2026, 11, 27, 12, tzinfo=UTC), datetime(2026, 12, 27, 12, tzinfo=UTC)
    )
    assert sorted(start.strftime("%Y-%m-%dT%H:%M:%SZ") for _, start in shown) == [
        s["start"] for s in listed["sessions"]
    ]

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


def test_meeting_guide_lists_each_weekday_of_weekly_series_of_open_listed_groups(api, world):
    facilitator = world["facilitator_there"]["token"]
    group_id = world["group_there"]["group_id"]
    api.create_series(
        facilitator, group_id, rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", start_local="2026-12-07T12:00"
    )
    weekend = api.create_series(
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
    # the unlisted group's series and the biweekly one are left out; the weekend one is two entries
    assert len(entries) == 3
    tuesday = next(e for e in entries if e["day"] == 2)
    join = f"http://127.0.0.1:8000/j/{world['group_there']['join_code']}"
    assert tuesday | {"slug": None, "updated": None} == {
        "name": "Open Harbor",
        "slug": None,
        "day": 2,
        "time": "19:00",
        "end_time": "20:00",
        "timezone": "America/New_York",
        "types": ["O"],
        "notes": "",
        "conference_url": join,
        "url": join,
        "formatted_address": "New York, NY, USA",
        "approximate": "yes",
        "regions": ["Online"],
        "updated": None,
    }
    days = {e["day"]: e for e in entries if e["timezone"] == "America/Chicago"}
    assert sorted(days) == [0, 6]
    assert {(e["time"], e["end_time"]) for e in days.values()} == {("09:30", "11:00")}
    chain = weekend["series_id"].removeprefix("ser_")
    assert (days[0]["slug"], days[6]["slug"]) == (f"{chain}-sunday", f"{chain}-saturday")
    slugs = [e["slug"] for e in entries]
    assert len(set(slugs)) == len(slugs)
    assert all(len(s) <= 64 and s.replace("-", "").isalnum() for s in slugs)
    body = meetings.body.decode()
    assert "Bright Finch" not in body
    assert "meet.example.org" not in body  # the private conference link never leaves Hearth


HEARTH_PROVIDER = {"conference_providers": {"127.0.0.1:8000": "Hearth"}}


def test_tsml_ui_shows_every_listed_weekday_as_an_active_online_meeting(api, world, tmp_path):
    # Given two multi-day series (which made tsml-ui fail the whole page when listed as day arrays)
    facilitator = world["facilitator_there"]["token"]
    group_id = world["group_there"]["group_id"]
    api.create_series(
        facilitator, group_id, rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR", start_local="2026-11-30T08:00"
    )
    api.create_series(
        facilitator,
        group_id,
        rrule="FREQ=WEEKLY;BYDAY=SA,SU",
        start_local="2026-11-28T21:15",
        timezone="Africa/Casablanca",
        duration_minutes=45,
    )
    feed = api.call("GET", "/v1/meetings.json").json

    # When tsml-ui's own loader reads the feed, on a finder page that names Hearth as a provider
    page = tsml_ui.load(feed, tmp_path, settings=HEARTH_PROVIDER, timezone="America/New_York")

    # Then every entry is a meeting it shows, online and active, on its weekday
    assert page["error"] is None
    assert sorted(page["meetings"]) == sorted(entry["slug"] for entry in feed)
    assert len(feed) == 1 + 3 + 2
    for entry in feed:
        meeting = page["meetings"][entry["slug"]]
        assert meeting["isOnline"] is True
        assert meeting["isActive"] is True
        assert meeting["conference_url"] == entry["conference_url"]
        assert meeting["conference_provider"] == "Hearth"
        assert "online" in meeting["types"]
        assert "inactive" not in meeting["types"]
        assert "O" in meeting["types"]  # a spec type survives; ONL never did
    listed = {slug for day in page["weekdays"] for slug in day["slugs"]}
    assert listed == set(page["meetings"])
    assert not [w for w in page["warnings"] if "unknown" in w or "invalid" in w]
    # 21:15 in Casablanca on a Saturday is 16:15 (or 15:15) in New York the same day
    saturday = next(e for e in feed if e["timezone"] == "Africa/Casablanca" and e["day"] == 6)
    assert page["meetings"][saturday["slug"]]["weekday"] == 6

    # (tsml-ui takes a conference link only from a provider the page knows: with its defaults the
    # same entries are listed, as inactive)
    default_page = tsml_ui.load(feed, tmp_path, timezone="America/New_York")
    assert default_page["error"] is None
    assert all(m["isActive"] is False for m in default_page["meetings"].values())


def test_tsml_ui_reports_an_empty_feed_as_a_format_error(api, tmp_path):
    # Given no open listed group with weekly sessions
    meetings = api.call("GET", "/v1/meetings.json")

    # Then the feed is an empty array (tsml-ui itself calls that a format error: theirs to fix)
    assert meetings.status_code == 200
    assert meetings.body == b"[]"
    assert (
        tsml_ui.load(meetings.json, tmp_path)["error"]
        == "Loading error: Error: data is not in the correct format"
    )


def test_listing_shows_what_meets_in_the_coming_weeks_and_keeps_its_slug(api, world, clock):
    facilitator = world["facilitator_there"]["token"]
    group_id = world["group_there"]["group_id"]
    (series,) = api.call("GET", f"/v1/groups/{group_id}/series", token=facilitator).json["series"]
    # a series that starts in three months is not listed yet
    api.create_series(facilitator, group_id, rrule="FREQ=WEEKLY;BYDAY=TH", start_local="2027-03-04T18:00")

    def tuesday():
        (entry,) = api.call("GET", "/v1/meetings.json").json
        return entry

    before = tuesday()
    assert (before["day"], before["time"]) == (2, "19:00")

    # When the facilitator moves this and following sessions to 20:00 from December 9, a day later
    clock.now += timedelta(days=1)
    changed = api.call(
        "PATCH",
        f"/v1/series/{series['series_id']}",
        {"start_local": "2026-12-15T20:00", "effective_from": "2026-12-09T00:00:00Z"},
        token=facilitator,
    )
    assert changed.status_code == 200, changed.body
    assert changed.json["series_id"] != series["series_id"]  # the series was split

    # Then the listing still shows 19:00 while the sessions at 19:00 happen, under the same slug,
    # and says it was updated
    now = tuesday()
    assert (now["slug"], now["time"]) == (before["slug"], "19:00")
    assert now["updated"] > before["updated"]

    # and 20:00 once they are over
    clock.now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    later = tuesday()
    assert (later["slug"], later["day"], later["time"], later["end_time"]) == (
        before["slug"],
        2,
        "20:00",
        "21:00",
    )


def test_meeting_guide_feed_can_be_read_by_a_page_on_another_site(api, world, client):
    response = client.http.get("/v1/meetings.json", headers={"Origin": "https://finder.example"})

    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Content-Security-Policy"]  # the security headers stay
    # the browser's preflight, as `chalice local` answers it and as API Gateway is told to
    preflight = client.http._local_gateway.handle_request(
        method="OPTIONS",
        path="/v1/meetings.json",
        headers={"Origin": "https://finder.example", "Access-Control-Request-Method": "GET"},
        body=b"",
    )
    assert preflight["statusCode"] == 200
    assert preflight["headers"]["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["headers"]["Access-Control-Allow-Methods"]
    from chalice.deploy.swagger import SwaggerGenerator

    from app import app

    swagger = SwaggerGenerator(
        "us-east-1", {"api_handler_arn": "arn:aws:lambda:::function:x"}
    ).generate_swagger(app)
    options = swagger["paths"]["/v1/meetings.json"]["options"]
    headers = options["x-amazon-apigateway-integration"]["responses"]["default"]["responseParameters"]
    assert headers["method.response.header.Access-Control-Allow-Origin"] == "'*'"
    assert "options" not in swagger["paths"]["/v1/groups"]  # only the public feed is opened up
