"""Groups, the directory, invites and rosters through the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import TEST_ADMIN_TOKEN


def test_facilitator_creates_a_group_and_sees_its_first_invite(api):
    facilitator = api.create_facilitator()

    group = api.create_group(facilitator["token"], name="Tuesday Circle", description="Gentle space")

    assert group["group_id"].startswith("grp_")
    assert group["member_count"] == 0
    assert group["access"] == "invite"
    assert group["listed"] is False
    assert group["session_label"] == "your session"
    invite = group["invite"]
    assert invite["sms_text"] == f"JOIN {invite['code']}"
    assert invite["url"].endswith(f"/j/{invite['code']}")
    assert len(invite["code"]) == 8
    assert not set(invite["code"]) & set("01OIL")
    expires = datetime.strptime(invite["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)


def test_group_fields_are_validated(api):
    token = api.create_facilitator()["token"]

    bad = api.call("POST", "/v1/groups", {"name": "Hi", "topic": "x", "timezone": "Mars/Base"}, token=token)

    assert bad.status_code == 422
    assert set(bad.json["fields"]) == {"name", "topic", "timezone"}


def test_open_groups_must_be_listed(api):
    token = api.create_facilitator()["token"]

    response = api.call(
        "POST",
        "/v1/groups",
        {"name": "Open Door", "topic": "grief", "timezone": "UTC", "access": "open", "listed": False},
        token=token,
    )

    assert response.status_code == 422
    assert set(response.json["fields"]) == {"access"}


def test_session_label_may_not_reveal_the_group(api):
    token = api.create_facilitator()["token"]
    body = {"name": "Grief Circle", "topic": "grief", "timezone": "UTC"}

    named = api.call("POST", "/v1/groups", body | {"session_label": "Grief Circle meeting"}, token=token)
    topical = api.call(
        "POST", "/v1/groups", body | {"name": "Evening", "session_label": "grief chat"}, token=token
    )
    fancy = api.call(
        "POST", "/v1/groups", body | {"name": "Evening", "session_label": "your “chat”"}, token=token
    )

    for response in (named, topical, fancy):
        assert response.status_code == 422
        assert set(response.json["fields"]) == {"session_label"}


def test_directory_lists_listed_groups_only_and_filters_by_topic(api):
    token = api.create_facilitator()["token"]
    api.create_group(token, name="Hidden Room", listed=False)
    anxiety = api.create_group(token, name="Calm Harbor", listed=True, topic="Anxiety")
    grief = api.create_group(token, name="Open Door", listed=True, access="open", topic="grief")

    everything = api.call("GET", "/v1/groups").json["groups"]
    only_grief = api.call("GET", "/v1/groups?topic=grief").json["groups"]

    assert sorted(g["group_id"] for g in everything) == sorted([anxiety["group_id"], grief["group_id"]])
    assert [g["group_id"] for g in only_grief] == [grief["group_id"]]
    assert anxiety["topic"] == "anxiety"
    assert all(g["invite"] is None for g in everything)  # anonymous callers never see invites
    assert only_grief[0]["join_code"] == grief["join_code"]
    assert next(g for g in everything if g["group_id"] == anxiety["group_id"])["join_code"] is None


def test_unlisted_group_is_404_to_outsiders_and_visible_inside(api, world):
    group_id = world["group_here"]["group_id"]
    path = f"/v1/groups/{group_id}"

    assert api.call("GET", path).status_code == 404
    assert api.call("GET", path, token=world["member_there"]["token"]).status_code == 404
    assert api.call("GET", path, token=world["facilitator_there"]["token"]).status_code == 404
    as_member = api.call("GET", path, token=world["member_here"]["token"])
    as_facilitator = api.call("GET", path, token=world["facilitator_here"]["token"])
    assert as_member.status_code == 200
    assert as_member.json["invite"] is None
    assert as_member.json["member_count"] == 1
    assert as_facilitator.json["invite"]["code"] == world["group_here"]["invite"]["code"]


def test_facilitator_updates_a_group_and_listing_follows(api, world):
    token = world["facilitator_here"]["token"]
    group_id = world["group_here"]["group_id"]

    updated = api.call(
        "PATCH",
        f"/v1/groups/{group_id}",
        {"listed": True, "topic": "Panic", "description": "New words", "session_label": "your meeting"},
        token=token,
    )

    assert updated.status_code == 200
    assert updated.json["listed"] is True
    assert updated.json["description"] == "New words"
    assert [g["group_id"] for g in api.call("GET", "/v1/groups?topic=panic").json["groups"]] == [group_id]
    assert api.call("GET", f"/v1/groups/{group_id}").status_code == 200

    api.call("PATCH", f"/v1/groups/{group_id}", {"listed": False}, token=token)
    assert api.call("GET", "/v1/groups?topic=panic").json["groups"] == []


def test_only_its_facilitators_change_a_group(api, world):
    group_id = world["group_there"]["group_id"]  # listed: visible to all

    assert (
        api.call(
            "PATCH", f"/v1/groups/{group_id}", {"name": "Mine now"}, token=world["facilitator_here"]["token"]
        ).status_code
        == 403
    )
    assert (
        api.call(
            "PATCH", f"/v1/groups/{group_id}", {"name": "Mine now"}, token=world["member_there"]["token"]
        ).status_code
        == 403
    )
    hidden = world["group_here"]["group_id"]
    assert (
        api.call(
            "PATCH", f"/v1/groups/{hidden}", {"name": "Mine now"}, token=world["facilitator_there"]["token"]
        ).status_code
        == 404
    )


def test_max_members_cannot_drop_below_the_member_count(api, world):
    token = world["facilitator_here"]["token"]
    group_id = world["group_here"]["group_id"]
    api.member(world["group_here"]["invite"]["code"])
    api.member(world["group_here"]["invite"]["code"])

    too_low = api.call("PATCH", f"/v1/groups/{group_id}", {"max_members": 2}, token=token)
    enough = api.call("PATCH", f"/v1/groups/{group_id}", {"max_members": 3}, token=token)
    unlimited = api.call("PATCH", f"/v1/groups/{group_id}", {"max_members": None}, token=token)

    assert too_low.status_code == 409
    assert too_low.json["code"] == "too_many_members"
    assert enough.json["max_members"] == 3
    assert unlimited.json["max_members"] is None


def test_invites_expire_get_used_up_and_rotate(api, world, monkeypatch):
    token = world["facilitator_here"]["token"]
    group_id = world["group_here"]["group_id"]

    single = api.call("POST", f"/v1/groups/{group_id}/invites", {"max_uses": 1}, token=token).json
    assert api.join(single["code"]).status_code == 201
    used_up = api.join(single["code"])
    assert used_up.status_code == 410

    rotated = api.call("POST", f"/v1/groups/{group_id}/invites", {"rotate": True}, token=token)
    assert rotated.status_code == 201
    assert api.join(world["group_here"]["invite"]["code"]).status_code == 410
    assert api.join(rotated.json["code"].lower()).status_code == 201  # any case works

    listed = api.call("GET", f"/v1/groups/{group_id}/invites", token=token).json["invites"]
    assert [i["active"] for i in listed if i["code"] == rotated.json["code"]] == [True]
    assert (
        api.call("DELETE", f"/v1/groups/{group_id}/invites/{rotated.json['code']}", token=token).status_code
        == 204
    )
    assert api.join(rotated.json["code"]).status_code == 410


def test_expired_invite_is_410(api, world):
    from chalicelib.store.groups import InviteItem, InviteRepository

    code = world["group_here"]["invite"]["code"]
    item = InviteRepository().get(code)
    item.update(actions=[InviteItem.expires.set(datetime.now(UTC) - timedelta(minutes=1))])

    response = api.join(code)

    assert response.status_code == 410
    assert response.json["code"] == "gone"


def test_unknown_code_is_404(api):
    assert api.join("ZZZZ2222").status_code == 404
    assert api.join("not a code!").status_code == 404


def test_roster_shows_handles_and_roles_only(api, world):
    group_id = world["group_here"]["group_id"]

    roster = api.call("GET", f"/v1/groups/{group_id}/members", token=world["member_here"]["token"])

    assert roster.status_code == 200
    assert roster.json["members"] == [
        {"member_id": world["facilitator_here"]["facilitator_id"], "handle": "Robin", "role": "facilitator"},
        {"member_id": world["member_here"]["member_id"], "handle": "Quiet Otter", "role": "member"},
    ]
    assert (
        api.call("GET", f"/v1/groups/{group_id}/members", token=world["member_there"]["token"]).status_code
        == 404
    )
    listed_id = world["group_there"]["group_id"]
    assert (
        api.call("GET", f"/v1/groups/{listed_id}/members", token=world["member_here"]["token"]).status_code
        == 403
    )


def test_admin_is_not_a_facilitator(api):
    response = api.call(
        "POST", "/v1/groups", {"name": "Ops Group", "topic": "x1", "timezone": "UTC"}, token=TEST_ADMIN_TOKEN
    )
    assert response.status_code == 403


def test_a_facilitator_shares_the_group_with_another(api, world):
    group_id = world["group_here"]["group_id"]
    other = world["facilitator_there"]

    added = api.call(
        "POST",
        f"/v1/groups/{group_id}/facilitators",
        {"facilitator_id": other["facilitator_id"]},
        token=world["facilitator_here"]["token"],
    )

    assert added.status_code == 200
    assert {"member_id": other["facilitator_id"], "handle": "Sky", "role": "facilitator"} in added.json[
        "members"
    ]
    patched = api.call("PATCH", f"/v1/groups/{group_id}", {"description": "Shared"}, token=other["token"])
    assert patched.status_code == 200
    unknown = api.call(
        "POST",
        f"/v1/groups/{group_id}/facilitators",
        {"facilitator_id": "fac_nobody"},
        token=world["facilitator_here"]["token"],
    )
    assert unknown.status_code == 404


def test_an_invite_can_be_previewed_before_joining_without_taking_a_seat(api, world):
    code = world["group_here"]["invite"]["code"]

    preview = api.call("GET", f"/v1/invites/{code.lower()}")

    assert preview.status_code == 200
    assert preview.json == {
        "code": code,
        "group_id": world["group_here"]["group_id"],
        "name": "Tuesday Circle",
        "description": "",
        "topic": "anxiety",
        "full": False,
    }
    assert api.call("GET", "/v1/invites/ZZZZ2222").status_code == 404
    group = api.call(
        "GET", f"/v1/groups/{world['group_here']['group_id']}", token=world["facilitator_here"]["token"]
    )
    assert group.json["member_count"] == 1
