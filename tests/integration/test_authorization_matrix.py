"""Every route × every kind of caller, with the status each must get.

Routes are discovered from the app: a route without a row here fails the suite.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

CALLERS = (
    "anonymous",
    "member_here",
    "muted_member",
    "member_elsewhere",
    "removed_member",
    "facilitator_here",
    "facilitator_elsewhere",
    "admin",
)


def _row(default: int, **overrides: int) -> dict[str, int]:
    """Expected statuses; a muted member is refused like a member of the group unless told otherwise."""
    row = {caller: overrides.get(caller, default) for caller in CALLERS}
    row["muted_member"] = overrides.get("muted_member", row["member_here"])
    return row


def _with(base: dict[str, int], **changes: int) -> dict[str, int]:
    """`base` with some callers changed; the muted member follows the member unless named."""
    row = base | changes
    if "member_here" in changes and "muted_member" not in changes:
        row["muted_member"] = changes["member_here"]
    return row


PUBLIC = _row(200)
MANAGE = _row(403, anonymous=401, facilitator_here=200, facilitator_elsewhere=404)
ME = _row(403, anonymous=401, member_here=200, member_elsewhere=200, muted_member=200)

# (method, route) -> (path parameters and body, expected status per caller)
MATRIX: dict[tuple[str, str], tuple[dict[str, Any], dict[str, int]]] = {
    ("GET", "/health"): ({}, PUBLIC),
    ("GET", "/openapi.json"): ({}, PUBLIC),
    ("POST", "/v1/admin/facilitators"): (
        {"body": {"display_name": "New"}},
        _row(403, anonymous=401, admin=201),
    ),
    ("DELETE", "/v1/admin/facilitators/{facilitator_id}"): (
        {},
        _row(403, anonymous=401, admin=204),
    ),
    ("POST", "/v1/admin/facilitators/{facilitator_id}/token"): (
        {},
        _row(403, anonymous=401, admin=201),
    ),
    ("POST", "/v1/admin/reminders/sweep"): (
        {"body": {"to": "2026-12-01T23:01:00Z"}},
        _row(403, anonymous=401, admin=200),
    ),
    ("POST", "/v1/unsubscribe/{token}"): ({}, _row(404)),
    ("POST", "/v1/login"): ({"body": {"login": "never-issued-sign-in-link"}}, _row(410)),
    ("POST", "/v1/groups"): (
        {"body": {"name": "New Group", "topic": "sleep", "timezone": "UTC"}},
        _row(403, anonymous=401, facilitator_here=201, facilitator_elsewhere=201),
    ),
    ("GET", "/v1/groups"): ({}, PUBLIC),
    ("GET", "/v1/groups/{group_id}"): (
        {},
        _row(404, member_here=200, facilitator_here=200),
    ),
    ("PATCH", "/v1/groups/{group_id}"): ({"body": {"description": "Changed"}}, MANAGE),
    ("POST", "/v1/groups/{group_id}/invites"): ({"body": {}}, _with(MANAGE, facilitator_here=201)),
    ("GET", "/v1/groups/{group_id}/invites"): ({}, MANAGE),
    ("DELETE", "/v1/groups/{group_id}/invites/{code}"): ({}, _with(MANAGE, facilitator_here=204)),
    ("GET", "/v1/groups/{group_id}/members"): (
        {},
        _row(404, anonymous=401, member_here=200, removed_member=403, facilitator_here=200, admin=403),
    ),
    ("DELETE", "/v1/groups/{group_id}/members/{member_id}"): ({}, _with(MANAGE, facilitator_here=204)),
    ("GET", "/v1/groups/{group_id}/messages"): (
        {},
        _row(404, anonymous=401, member_here=200, removed_member=403, facilitator_here=200, admin=403),
    ),
    ("POST", "/v1/groups/{group_id}/messages"): (
        {"body": {"body": "Hello, room"}},
        _row(
            404,
            anonymous=401,
            member_here=201,
            muted_member=403,
            removed_member=403,
            facilitator_here=201,
            admin=403,
        ),
    ),
    ("POST", "/v1/messages/{message_id}/report"): (
        {"body": {"reason": "unkind"}},
        _row(403, anonymous=401, member_here=202, member_elsewhere=404),
    ),
    ("DELETE", "/v1/messages/{message_id}"): (  # the message is the facilitator's, not member_here's
        {},
        _row(403, anonymous=401, member_elsewhere=404, facilitator_here=204, facilitator_elsewhere=404),
    ),
    ("POST", "/v1/groups/{group_id}/members/{member_id}/mute"): ({"body": {"minutes": 30}}, MANAGE),
    ("DELETE", "/v1/groups/{group_id}/members/{member_id}/mute"): ({}, _with(MANAGE, facilitator_here=204)),
    ("GET", "/v1/groups/{group_id}/alerts"): ({}, MANAGE),
    ("PATCH", "/v1/groups/{group_id}/alerts/{alert_id}"): ({"body": {"status": "handled"}}, MANAGE),
    ("GET", "/v1/facilitator/groups"): (
        {},
        _row(403, anonymous=401, facilitator_here=200, facilitator_elsewhere=200),
    ),
    ("GET", "/v1/groups/{group_id}/audit"): ({}, MANAGE),
    ("POST", "/v1/groups/{group_id}/facilitators"): (
        {"body": {"facilitator_id": "{other_facilitator}"}},
        MANAGE,
    ),
    ("DELETE", "/v1/groups/{group_id}/facilitators/{facilitator_id}"): (  # the group's last one: 409
        {},
        _with(MANAGE, facilitator_here=409),
    ),
    ("POST", "/v1/join"): (
        {"body": {"code": "{code}"}},
        _row(201, member_here=409, removed_member=403),
    ),
    ("GET", "/v1/me"): ({}, ME),
    ("PATCH", "/v1/me"): ({"body": {"timezone": "Europe/Paris"}}, ME),
    ("DELETE", "/v1/me"): ({}, _with(ME, member_here=204, member_elsewhere=204)),
    ("PUT", "/v1/me/contact"): (
        {"body": {"email": "x@example.org"}},
        _with(ME, member_here=202, member_elsewhere=202),
    ),
    ("POST", "/v1/me/contact/verify"): (
        {"body": {"channel": "sms", "code": "123456"}},
        _with(ME, member_here=409, member_elsewhere=409),
    ),
    ("POST", "/v1/me/calendar-token"): ({}, ME),
    ("POST", "/v1/groups/{group_id}/series"): (
        {
            "body": {
                "start_local": "2027-01-05T18:00",
                "timezone": "UTC",
                "duration_minutes": 45,
                "rrule": "FREQ=WEEKLY",
            }
        },
        _with(MANAGE, facilitator_here=201),
    ),
    ("GET", "/v1/groups/{group_id}/series"): (
        {},
        _row(404, anonymous=401, member_here=200, removed_member=403, facilitator_here=200, admin=403),
    ),
    ("PATCH", "/v1/series/{series_id}"): ({"body": {"title": "Renamed"}}, MANAGE),
    ("DELETE", "/v1/series/{series_id}"): ({}, _with(MANAGE, facilitator_here=204)),
    ("GET", "/v1/groups/{group_id}/sessions"): ({}, _row(404, member_here=200, facilitator_here=200)),
    ("GET", "/v1/sessions/{session_id}"): ({}, _row(404, member_here=200, facilitator_here=200)),
    ("PATCH", "/v1/sessions/{session_id}"): ({"body": {"status": "cancelled"}}, MANAGE),
    ("PUT", "/v1/sessions/{session_id}/rsvp"): ({}, _with(ME, member_elsewhere=404)),
    ("DELETE", "/v1/sessions/{session_id}/rsvp"): ({}, _with(ME, member_here=204, member_elsewhere=404)),
    ("GET", "/v1/sessions/{session_id}/rsvps"): ({}, MANAGE),
    ("GET", "/v1/sessions/{session_id}/join"): ({}, _with(ME, member_here=403, member_elsewhere=404)),
    ("GET", "/v1/groups/{group_id}/calendar.ics"): ({}, _row(404, member_here=200, facilitator_here=200)),
    ("GET", "/v1/feeds/{feed_token}/calendar.ics"): ({}, PUBLIC),
    ("GET", "/v1/meetings.json"): ({}, PUBLIC),
    ("GET", "/v1/dev/outbox"): ({}, PUBLIC),
    ("DELETE", "/v1/dev/outbox"): ({}, _row(204)),
    ("POST", "/v1/dev/sms"): ({"body": {"from": "+16145550123", "body": "HELP"}}, PUBLIC),
    ("GET", "/"): ({}, PUBLIC),
    ("GET", "/j/{code}"): ({}, PUBLIC),
    ("GET", "/g/{group_id}"): ({}, PUBLIC),
    ("GET", "/f"): ({}, PUBLIC),
    ("GET", "/static/hearth.css"): ({}, PUBLIC),
    ("GET", "/static/hearth.js"): ({}, PUBLIC),
    ("GET", "/static/index.js"): ({}, PUBLIC),
    ("GET", "/static/join.js"): ({}, PUBLIC),
    ("GET", "/static/room.js"): ({}, PUBLIC),
    ("GET", "/static/console.js"): ({}, PUBLIC),
    ("GET", "/static/live.js"): ({}, PUBLIC),
    ("GET", "/static/qr.js"): ({}, PUBLIC),
    ("GET", "/v1/invites/{code}"): ({}, PUBLIC),
    ("GET", "/v1/live"): ({}, PUBLIC),
}


def test_every_route_has_a_row():
    from app import app

    routed = {(method, path) for path, methods in app.routes.items() for method in methods}
    assert routed == set(MATRIX)


def _fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        return template.format(**values)
    if isinstance(template, dict):
        return {key: _fill(value, values) for key, value in template.items()}
    return template


def route_values(api, world, *, with_message: bool, with_alert: bool = False) -> dict[str, str]:
    """Path parameters naming the world's things; on demand a message by the group's facilitator
    and a crisis alert raised by a member's message."""
    values = {
        "group_id": world["group_here"]["group_id"],
        "member_id": world["member_here"]["member_id"],
        "code": world["group_here"]["invite"]["code"],
        "other_facilitator": world["facilitator_there"]["facilitator_id"],
        "facilitator_id": world["facilitator_here"]["facilitator_id"],
        "series_id": world["series_here"]["series_id"],
        "session_id": world["session_here"],
        "feed_token": world["feed_token"],
        "token": "grp_x.mem_y.0000",  # not signed by Hearth, so refused (test_reminders.py uses real ones)
    }
    if with_message:
        values["message_id"] = api.call(
            "POST",
            f"/v1/groups/{values['group_id']}/messages",
            {"body": "Welcome, everyone"},
            token=world["facilitator_here"]["token"],
        ).json["message"]["message_id"]
    if with_alert:  # a crisis alert raised by member_here's message
        api.call(
            "POST",
            f"/v1/groups/{values['group_id']}/messages",
            {"body": "I want to end my life"},
            token=world["member_here"]["token"],
        )
        values["alert_id"] = api.call(
            "GET", f"/v1/groups/{values['group_id']}/alerts", token=world["facilitator_here"]["token"]
        ).json["alerts"][0]["alert_id"]
    return values


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda route: f"{route[0]} {route[1]}")
def test_route_answers_each_caller_as_expected(api, world, callers, route):
    """Refusals are tried first, so a caller's successful change cannot affect another's check."""
    method, template = route
    spec, expected = MATRIX[route]
    values = route_values(
        api, world, with_message="{message_id}" in template, with_alert="{alert_id}" in template
    )
    got = {}
    for caller in sorted(CALLERS, key=lambda name: expected[name] < 400):
        response = api.call(
            method, _fill(template, values), _fill(spec.get("body"), values), token=callers[caller]
        )
        got[caller] = response.status_code
        if response.status_code >= 400:
            assert set(json.loads(response.body)) >= {"code", "message"}, (caller, response.body)

    assert got == expected
