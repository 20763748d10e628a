"""The facilitator's workspace through the HTTP API: their groups, the alert queue, RSVPs and unmuting."""

from __future__ import annotations

from datetime import timedelta

import pytest

CRISIS = "I want to end my life"


@pytest.fixture
def here(world):
    return {
        "group_id": world["group_here"]["group_id"],
        "member": world["member_here"]["token"],
        "member_id": world["member_here"]["member_id"],
        "facilitator": world["facilitator_here"]["token"],
    }


def post(api, clock, token, group_id, body):
    clock.now += timedelta(seconds=1)
    response = api.call("POST", f"/v1/groups/{group_id}/messages", {"body": body}, token=token)
    assert response.status_code == 201, response.body
    return response.json["message"]


def alerts(api, here, status=None):
    query = "" if status is None else f"?status={status}"
    response = api.call("GET", f"/v1/groups/{here['group_id']}/alerts{query}", token=here["facilitator"])
    assert response.status_code == 200, response.body
    return response.json["alerts"]


def handle(api, here, alert_id, token=None):
    return api.call(
        "PATCH",
        f"/v1/groups/{here['group_id']}/alerts/{alert_id}",
        {"status": "handled"},
        token=token or here["facilitator"],
    )


def my_groups(api, token):
    response = api.call("GET", "/v1/facilitator/groups", token=token)
    assert response.status_code == 200, response.body
    return response.json["groups"]


# --- the facilitator's groups ---------------------------------------------------------------


def test_every_group_a_facilitator_runs_is_listed_with_its_open_alerts(api, clock, world, here):
    """Given an unlisted group with two crisis alerts and a listed group, both are the facilitator's."""
    listed = api.create_group(here["facilitator"], name="Evening Harbor", listed=True, topic="sleep")
    post(api, clock, here["member"], here["group_id"], CRISIS)
    post(api, clock, here["member"], here["group_id"], "I want to die")

    groups = my_groups(api, here["facilitator"])

    by_id = {g["group_id"]: g for g in groups}
    assert set(by_id) == {here["group_id"], listed["group_id"]}
    assert by_id[here["group_id"]]["listed"] is False
    assert by_id[here["group_id"]]["open_alerts"] == 2
    assert by_id[listed["group_id"]]["open_alerts"] == 0
    assert by_id[here["group_id"]]["invite"]["code"] == world["group_here"]["invite"]["code"]
    assert [g["group_id"] for g in my_groups(api, world["facilitator_there"]["token"])] == [
        world["group_there"]["group_id"]
    ]


def test_a_shared_group_appears_for_the_co_facilitator(api, world, here):
    other = world["facilitator_there"]
    api.call(
        "POST",
        f"/v1/groups/{here['group_id']}/facilitators",
        {"facilitator_id": other["facilitator_id"]},
        token=here["facilitator"],
    )

    assert here["group_id"] in {g["group_id"] for g in my_groups(api, other["token"])}


# --- alerts as a queue ---------------------------------------------------------------------


def test_a_handled_alert_leaves_the_queue_and_keeps_who_and_when(api, clock, world, here):
    message = post(api, clock, here["member"], here["group_id"], CRISIS)
    (alert,) = alerts(api, here)
    assert alert["status"] == "open"
    assert alert["message_id"] == message["message_id"]
    assert alert["handled_at"] is None
    assert alert["handled_by"] is None

    clock.now += timedelta(minutes=3)
    response = handle(api, here, alert["alert_id"])

    assert response.status_code == 200, response.body
    assert response.json["status"] == "handled"
    assert response.json["handled_at"] == "2026-11-27T12:03:01Z"
    assert response.json["handled_by"] == "Robin"
    assert alerts(api, here) == []
    assert [a["alert_id"] for a in alerts(api, here, "handled")] == [alert["alert_id"]]
    assert [a["alert_id"] for a in alerts(api, here, "all")] == [alert["alert_id"]]
    assert my_groups(api, here["facilitator"])[0]["open_alerts"] == 0


def test_handling_is_audited_once_even_when_repeated(api, clock, here):
    post(api, clock, here["member"], here["group_id"], CRISIS)
    (alert,) = alerts(api, here)
    first = handle(api, here, alert["alert_id"]).json
    clock.now += timedelta(minutes=1)

    again = handle(api, here, alert["alert_id"])

    assert again.status_code == 200
    assert again.json == first
    entries = api.call("GET", f"/v1/groups/{here['group_id']}/audit", token=here["facilitator"]).json
    handled = [e for e in entries["entries"] if e["action"] == "alert_handled"]
    assert len(handled) == 1
    assert handled[0]["alert_id"] == alert["alert_id"]
    assert handled[0]["actor_name"] == "Robin"
    assert CRISIS not in str(entries)


def test_open_and_handled_alerts_are_told_apart_newest_first(api, clock, here):
    post(api, clock, here["member"], here["group_id"], CRISIS)
    post(api, clock, here["member"], here["group_id"], "I want to die")
    older, newer = reversed(alerts(api, here))
    handle(api, here, older["alert_id"])

    assert [a["alert_id"] for a in alerts(api, here)] == [newer["alert_id"]]
    assert [a["alert_id"] for a in alerts(api, here, "all")] == [newer["alert_id"], older["alert_id"]]


@pytest.mark.parametrize("alert_id", ["alt_nope", "msg_x", "alt_00000000000000000000ABCD"])
def test_handling_an_unknown_alert_is_404(api, here, alert_id):
    response = handle(api, here, alert_id)
    assert response.status_code == 404, response.body


def test_an_alert_of_another_group_cannot_be_handled_through_this_one(api, clock, world, here):
    there = world["group_there"]["group_id"]
    post(api, clock, world["member_there"]["token"], there, CRISIS)
    (alert,) = api.call("GET", f"/v1/groups/{there}/alerts", token=world["facilitator_there"]["token"]).json[
        "alerts"
    ]

    assert handle(api, here, alert["alert_id"]).status_code == 404
    other = handle(api, {"group_id": there, "facilitator": here["facilitator"]}, alert["alert_id"])
    assert other.status_code == 403  # a listed group: visible, not theirs


@pytest.mark.parametrize("body", [{"status": "open"}, {}, {"status": "handled", "note": "x"}])
def test_only_handled_is_a_status_to_set(api, clock, here, body):
    post(api, clock, here["member"], here["group_id"], CRISIS)
    (alert,) = alerts(api, here)
    response = api.call(
        "PATCH", f"/v1/groups/{here['group_id']}/alerts/{alert['alert_id']}", body, token=here["facilitator"]
    )
    assert response.status_code == 422
    assert alerts(api, here)[0]["status"] == "open"


def test_an_unknown_alert_status_filter_is_422(api, here):
    response = api.call(
        "GET", f"/v1/groups/{here['group_id']}/alerts?status=closed", token=here["facilitator"]
    )
    assert response.status_code == 422


# --- RSVPs by handle ----------------------------------------------------------------------


def test_rsvps_list_who_is_going_by_handle_and_the_waitlist_in_order(api, world):
    fac = world["facilitator_here"]["token"]
    group = world["group_here"]
    series = api.create_series(fac, group["group_id"], capacity=2)
    session_id = series["next_sessions"][0]["session_id"]
    people = [
        api.member(group["invite"]["code"], name)
        for name in ("Zesty Lemon", "Amber Fox", "Calm Lake", "Blue Jay")
    ]
    for person in people:
        assert api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=person["token"]).status_code == 200

    response = api.call("GET", f"/v1/sessions/{session_id}/rsvps", token=fac)

    assert response.status_code == 200, response.body
    assert [p["handle"] for p in response.json["going"]] == ["Amber Fox", "Zesty Lemon"]
    assert response.json["waitlist"] == [
        {"member_id": people[2]["member_id"], "handle": "Calm Lake", "position": 1},
        {"member_id": people[3]["member_id"], "handle": "Blue Jay", "position": 2},
    ]
    assert "phone" not in response.body.decode()
    assert "@" not in response.body.decode()


def test_an_unknown_session_has_no_rsvps(api, world):
    response = api.call(
        "GET", "/v1/sessions/ses_nothing_here/rsvps", token=world["facilitator_here"]["token"]
    )
    assert response.status_code == 404


# --- ending a mute ----------------------------------------------------------------------


def test_unmuting_lets_the_member_post_again_and_is_audited(api, clock, here):
    path = f"/v1/groups/{here['group_id']}/members/{here['member_id']}/mute"
    api.call("POST", path, {"minutes": 60}, token=here["facilitator"])
    roster = api.call("GET", f"/v1/groups/{here['group_id']}/members", token=here["facilitator"]).json
    (entry,) = [m for m in roster["members"] if m["member_id"] == here["member_id"]]
    assert entry["muted_until"] == "2026-11-27T13:00:00Z"
    assert entry["joined_at"]
    clock.now += timedelta(minutes=5)

    response = api.call("DELETE", path, token=here["facilitator"])

    assert response.status_code == 204
    post(api, clock, here["member"], here["group_id"], "Thanks, I'm back")
    roster = api.call("GET", f"/v1/groups/{here['group_id']}/members", token=here["facilitator"]).json
    (entry,) = [m for m in roster["members"] if m["member_id"] == here["member_id"]]
    assert "muted_until" not in entry
    entries = api.call("GET", f"/v1/groups/{here['group_id']}/audit", token=here["facilitator"]).json[
        "entries"
    ]
    assert [e["action"] for e in entries] == ["member_unmuted", "member_muted"]


def test_unmuting_someone_not_muted_changes_nothing(api, here):
    path = f"/v1/groups/{here['group_id']}/members/{here['member_id']}/mute"
    assert api.call("DELETE", path, token=here["facilitator"]).status_code == 204
    entries = api.call("GET", f"/v1/groups/{here['group_id']}/audit", token=here["facilitator"]).json[
        "entries"
    ]
    assert entries == []


def test_unmuting_an_unknown_member_is_404(api, here):
    path = f"/v1/groups/{here['group_id']}/members/mem_nobody/mute"
    assert api.call("DELETE", path, token=here["facilitator"]).status_code == 404


def test_members_see_no_join_or_mute_times(api, here):
    roster = api.call("GET", f"/v1/groups/{here['group_id']}/members", token=here["member"]).json
    assert all(set(m) == {"member_id", "handle", "role"} for m in roster["members"])
