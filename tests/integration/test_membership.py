"""Joining, the member's own profile, leaving and erasure through the HTTP API."""

from __future__ import annotations

import pytest


def test_join_returns_a_token_once_and_a_generated_handle(api, world):
    code = world["group_here"]["invite"]["code"]

    joined = api.join(code, timezone="Europe/London")

    assert joined.status_code == 201
    body = joined.json
    assert body["group_id"] == world["group_here"]["group_id"]
    assert body["token"].startswith("hm_")
    assert body["timezone"] == "Europe/London"
    assert len(body["handle"].split()) >= 2
    me = api.call("GET", "/v1/me", token=body["token"]).json
    assert me["handle"] == body["handle"]
    assert "token" not in me


def test_member_timezone_defaults_to_the_group_zone(api, world):
    assert world["member_here"]["timezone"] == "America/New_York"


@pytest.mark.parametrize(
    "taken", ["quiet otter", "QUIET OTTER", "Quiet  Otter", "Ｑｕｉｅｔ Ｏｔｔｅｒ", "Quiet 0tter"]
)
def test_handles_are_unique_ignoring_case_and_look_alikes(api, world, taken):
    response = api.join(world["group_here"]["invite"]["code"], taken)

    assert response.status_code == 409
    assert response.json["code"] == "handle_taken"


def test_a_refused_join_gives_the_invite_use_back(api, world):
    token = world["facilitator_here"]["token"]
    group_id = world["group_here"]["group_id"]
    single = api.call("POST", f"/v1/groups/{group_id}/invites", {"max_uses": 1}, token=token).json

    assert api.join(single["code"], "Quiet Otter").status_code == 409
    assert api.join(single["code"], "Another Name").status_code == 201


@pytest.mark.parametrize(
    "handle",
    [
        "ab",
        "x" * 25,
        "call 614 555 0123",
        "me@example.org",
        "www.example.com",
        "Admin",
        "The Moderator",
        "staff",
    ],
)
def test_handle_rules_are_enforced(api, world, handle):
    response = api.join(world["group_here"]["invite"]["code"], handle)

    assert response.status_code == 422
    assert set(response.json["fields"]) == {"handle"}


def test_full_group_refuses_with_409(api):
    token = api.create_facilitator()["token"]
    group = api.create_group(token, max_members=2)
    code = group["invite"]["code"]

    assert api.join(code).status_code == 201
    assert api.join(code).status_code == 201
    full = api.join(code)

    assert full.status_code == 409
    assert full.json["code"] == "group_full"
    assert api.call("GET", f"/v1/groups/{group['group_id']}", token=token).json["member_count"] == 2


def test_member_joining_their_own_group_again_is_409(api, world):
    response = api.join(world["group_here"]["invite"]["code"], token=world["member_here"]["token"])

    assert response.status_code == 409
    assert response.json["code"] == "already_member"


def test_removed_member_is_refused_everywhere_and_cannot_rejoin(api, world):
    group_id = world["group_here"]["group_id"]
    member = world["member_here"]

    removed = api.call(
        "DELETE",
        f"/v1/groups/{group_id}/members/{member['member_id']}",
        token=world["facilitator_here"]["token"],
    )

    assert removed.status_code == 204
    assert api.call("GET", "/v1/me", token=member["token"]).status_code == 403
    rejoin = api.join(world["group_here"]["invite"]["code"], token=member["token"])
    assert rejoin.status_code == 403
    assert rejoin.json["code"] == "removed"
    roster = api.call("GET", f"/v1/groups/{group_id}/members", token=world["facilitator_here"]["token"]).json
    assert member["member_id"] not in [m["member_id"] for m in roster["members"]]
    assert (
        api.join(world["group_here"]["invite"]["code"], "Quiet Otter").status_code == 409
    )  # handle not reissued


def test_removed_phone_cannot_rejoin(api, world):
    from chalicelib.domain.identity import ANONYMOUS
    from chalicelib.errors import ForbiddenError
    from chalicelib.services.container import services

    member = world["member_here"]
    api.call("PUT", "/v1/me/contact", {"phone": "+1 614 555 0123"}, token=member["token"])
    api.call(
        "DELETE",
        f"/v1/groups/{world['group_here']['group_id']}/members/{member['member_id']}",
        token=world["facilitator_here"]["token"],
    )

    with pytest.raises(ForbiddenError):
        services().membership.join(
            ANONYMOUS,
            world["group_here"]["invite"]["code"],
            None,
            None,
            phone="+16145550123",
        )


def test_patch_me_changes_handle_timezone_and_reminders(api, world):
    token = world["member_here"]["token"]

    updated = api.call(
        "PATCH",
        "/v1/me",
        {
            "handle": "Calm Heron",
            "timezone": "America/Chicago",
            "reminders": {
                "channels": ["sms"],
                "lead_minutes": [60, 1440],
                "quiet_hours": {"start": "21:00", "end": "08:00"},
            },
        },
        token=token,
    )

    assert updated.status_code == 200
    assert updated.json["handle"] == "Calm Heron"
    assert updated.json["timezone"] == "America/Chicago"
    assert updated.json["reminders"] == {
        "channels": ["sms"],
        "lead_minutes": [1440, 60],
        "quiet_hours": {"start": "21:00", "end": "08:00"},
    }
    # the old handle is free again, the new one taken
    assert api.join(world["group_here"]["invite"]["code"], "Quiet Otter").status_code == 201
    assert api.join(world["group_here"]["invite"]["code"], "calm heron").status_code == 409


def test_changing_only_the_case_of_a_handle_is_allowed(api, world):
    response = api.call("PATCH", "/v1/me", {"handle": "quiet otter"}, token=world["member_here"]["token"])

    assert response.status_code == 200
    assert response.json["handle"] == "quiet otter"


def test_taking_a_handle_that_is_taken_is_409(api, world):
    code = world["group_here"]["invite"]["code"]
    other = api.member(code, "Silver Birch")

    response = api.call("PATCH", "/v1/me", {"handle": "Quiet Otter"}, token=other["token"])

    assert response.status_code == 409
    assert api.call("GET", "/v1/me", token=other["token"]).json["handle"] == "Silver Birch"


@pytest.mark.parametrize(
    ("reminders", "field"),
    [
        ({"channels": ["pager"], "lead_minutes": [60]}, "reminders.channels.0"),
        ({"channels": ["sms", "sms"], "lead_minutes": [60]}, "reminders.channels"),
        ({"channels": ["sms"], "lead_minutes": []}, "reminders.lead_minutes"),
        ({"channels": ["sms"], "lead_minutes": [5]}, "reminders.lead_minutes"),
        ({"channels": ["sms"], "lead_minutes": [60, 120, 240, 480]}, "reminders.lead_minutes"),
        ({"channels": ["sms"], "lead_minutes": [10081]}, "reminders.lead_minutes"),
        (
            {"channels": ["sms"], "lead_minutes": [60], "quiet_hours": {"start": "25:00", "end": "08:00"}},
            "reminders.quiet_hours.start",
        ),
        (
            {"channels": ["sms"], "lead_minutes": [60], "quiet_hours": {"start": "08:00", "end": "08:00"}},
            "reminders.quiet_hours",
        ),
    ],
)
def test_reminder_preferences_are_validated(api, world, reminders, field):
    response = api.call("PATCH", "/v1/me", {"reminders": reminders}, token=world["member_here"]["token"])

    assert response.status_code == 422
    assert field in response.json["fields"]


def test_unknown_timezone_is_422(api, world):
    response = api.call("PATCH", "/v1/me", {"timezone": "Ohio/Columbus"}, token=world["member_here"]["token"])

    assert response.status_code == 422
    assert set(response.json["fields"]) == {"timezone"}


def test_erase_removes_everything_and_the_token_stops_at_once(api, world):
    from chalicelib.store.tables import HearthItem

    member = world["member_here"]
    api.call(
        "PUT",
        "/v1/me/contact",
        {"phone": "(614) 555-0123", "email": "quiet@example.org"},
        token=member["token"],
    )

    erased = api.call("DELETE", "/v1/me", token=member["token"])

    assert erased.status_code == 204
    assert api.call("GET", "/v1/me", token=member["token"]).status_code == 401
    items = [item.attribute_values for item in HearthItem.scan()]  # test inspection only
    dumped = repr(items)
    assert member["member_id"] not in dumped
    assert not any("phone_enc" in values or "email_enc" in values for values in items)
    group = api.call(
        "GET", f"/v1/groups/{world['group_here']['group_id']}", token=world["facilitator_here"]["token"]
    )
    assert group.json["member_count"] == 0
    assert api.join(world["group_here"]["invite"]["code"], "Quiet Otter").status_code == 201


def test_calendar_token_rotates(api, world):
    token = world["member_here"]["token"]
    before = api.call("GET", "/v1/me", token=token).json["calendar_url"]

    rotated = api.call("POST", "/v1/me/calendar-token", token=token)

    assert rotated.status_code == 200
    assert rotated.json["calendar_url"] != before
    assert api.call("GET", "/v1/me", token=token).json["calendar_url"] == rotated.json["calendar_url"]
    assert "/v1/feeds/" in before
