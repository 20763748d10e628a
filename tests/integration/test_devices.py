"""One membership on several devices: sign-in links, the device list, signing a device out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

EMAIL = "quiet@example.org"
PHONE = "+16145550123"


def _code(api, to: str) -> str:
    return re.search(r"\b(\d{6})\b", api.outbox(to)[-1]["body"]).group(1)


def _verify(api, token: str, channel: str = "email") -> None:
    field, address = ("email", EMAIL) if channel == "email" else ("phone", PHONE)
    api.call("PUT", "/v1/me/contact", {field: address}, token=token)
    verified = api.call(
        "POST", "/v1/me/contact/verify", {"channel": channel, "code": _code(api, address)}, token=token
    )
    assert verified.status_code == 200, verified.body


def _link(api, to: str) -> str:
    return re.search(r"#login=([\w-]+)", api.outbox(to)[-1]["body"]).group(1)


@pytest.fixture
def member(api, world):
    token = world["member_here"]["token"]
    _verify(api, token)
    return world["member_here"]


def _second_device(api, token: str) -> dict:
    sent = api.call("POST", "/v1/me/sign-in-link", {"channel": "email"}, token=token)
    assert sent.status_code == 202, sent.body
    login = api.call("POST", "/v1/login", {"login": _link(api, EMAIL)})
    assert login.status_code == 200, login.body
    return login.json


def test_a_second_device_signs_in_and_the_first_stays_signed_in(api, world, member):
    laptop = _second_device(api, member["token"])

    assert laptop["member_id"] == member["member_id"]
    assert laptop["token"] != member["token"]
    assert api.call("GET", "/v1/me", token=member["token"]).status_code == 200
    assert api.call("GET", "/v1/me", token=laptop["token"]).json["handle"] == "Quiet Otter"
    devices = api.call("GET", "/v1/me/devices", token=laptop["token"])
    assert devices.status_code == 200
    listed = devices.json["devices"]
    assert len(listed) == 2
    assert [d["current"] for d in listed].count(True) == 1
    for device in listed:
        assert set(device) == {"device_id", "created_at", "last_seen_at", "current"}
        assert device["created_at"].endswith("Z")


def test_signing_one_device_out_leaves_the_other(api, world, member):
    laptop = _second_device(api, member["token"])
    listed = api.call("GET", "/v1/me/devices", token=laptop["token"]).json["devices"]
    (phone,) = [d for d in listed if not d["current"]]

    gone = api.call("DELETE", f"/v1/me/devices/{phone['device_id']}", token=laptop["token"])

    assert gone.status_code == 204
    assert api.call("GET", "/v1/me", token=member["token"]).status_code == 401
    assert api.call("GET", "/v1/me", token=laptop["token"]).status_code == 200
    left = api.call("GET", "/v1/me/devices", token=laptop["token"]).json["devices"]
    assert [d["current"] for d in left] == [True]
    again = api.call("DELETE", f"/v1/me/devices/{phone['device_id']}", token=laptop["token"])
    assert again.status_code == 404


def test_a_device_of_another_member_cannot_be_signed_out(api, world, member):
    listed = api.call("GET", "/v1/me/devices", token=member["token"]).json["devices"]

    other = api.call(
        "DELETE", f"/v1/me/devices/{listed[0]['device_id']}", token=world["member_there"]["token"]
    )

    assert other.status_code == 404
    assert api.call("GET", "/v1/me", token=member["token"]).status_code == 200


def test_a_used_sign_in_link_is_refused(api, world, member):
    api.call("POST", "/v1/me/sign-in-link", {"channel": "email"}, token=member["token"])
    login = _link(api, EMAIL)

    first = api.call("POST", "/v1/login", {"login": login})
    second = api.call("POST", "/v1/login", {"login": login})

    assert first.status_code == 200
    assert second.status_code == 410
    assert len(api.call("GET", "/v1/me/devices", token=member["token"]).json["devices"]) == 2


def test_an_expired_sign_in_link_is_refused(api, world, member):
    from chalicelib.errors import GoneError
    from chalicelib.services.container import services

    api.call("POST", "/v1/me/sign-in-link", {"channel": "email"}, token=member["token"])
    login = _link(api, EMAIL)

    with pytest.raises(GoneError):
        services().devices.sign_in(login, now=datetime.now(UTC) + timedelta(hours=1))


def test_leaving_ends_every_device(api, world, member):
    laptop = _second_device(api, member["token"])

    assert api.call("DELETE", "/v1/me", token=laptop["token"]).status_code == 204

    assert api.call("GET", "/v1/me", token=member["token"]).status_code == 401
    assert api.call("GET", "/v1/me", token=laptop["token"]).status_code == 401


def test_removal_ends_every_device(api, world, member):
    laptop = _second_device(api, member["token"])

    removed = api.call(
        "DELETE",
        f"/v1/groups/{world['group_here']['group_id']}/members/{member['member_id']}",
        token=world["facilitator_here"]["token"],
    )

    assert removed.status_code == 204
    assert api.call("GET", "/v1/me", token=member["token"]).status_code == 403
    assert api.call("GET", "/v1/me", token=laptop["token"]).status_code == 403


def test_a_link_sent_before_removal_signs_nobody_in(api, world, member):
    api.call("POST", "/v1/me/sign-in-link", {"channel": "email"}, token=member["token"])
    api.call(
        "DELETE",
        f"/v1/groups/{world['group_here']['group_id']}/members/{member['member_id']}",
        token=world["facilitator_here"]["token"],
    )

    assert api.call("POST", "/v1/login", {"login": _link(api, EMAIL)}).status_code == 410


def test_the_link_goes_only_to_a_verified_channel_and_says_nothing_of_the_group(api, world, member):
    unverified = api.call("POST", "/v1/me/sign-in-link", {"channel": "sms"}, token=member["token"])
    sent = api.call("POST", "/v1/me/sign-in-link", {"channel": "email"}, token=member["token"])

    assert unverified.status_code == 409
    assert sent.status_code == 202
    message = api.outbox(EMAIL)[-1]
    assert "Tuesday Circle" not in message["body"] + message.get("subject", "")
    assert "anxiety" not in message["body"]
    assert EMAIL not in sent.body.decode()


def test_sign_in_links_by_sms_are_discreet(api, world):
    token = world["member_here"]["token"]
    _verify(api, token, "sms")

    sent = api.call("POST", "/v1/me/sign-in-link", {"channel": "sms"}, token=token)

    assert sent.status_code == 202
    body = api.outbox(PHONE)[-1]["body"]
    assert "#login=" in body
    assert "Tuesday Circle" not in body


def test_sign_in_links_are_rate_limited_with_retry_after(api, world, member):
    statuses = [
        api.call("POST", "/v1/me/sign-in-link", {"channel": "email"}, token=member["token"]) for _ in range(6)
    ]

    assert [s.status_code for s in statuses[:3]] == [202] * 3
    assert statuses[-1].status_code == 429
    assert int(statuses[-1].headers["Retry-After"]) > 0


def test_joining_by_text_again_adds_a_device_and_keeps_the_first(api, world):
    from chalicelib.events.sms import inbound_sms
    from tests.integration.test_inbound_sms import sns_event

    token = world["member_here"]["token"]
    _verify(api, token, "sms")

    inbound_sms(sns_event(f"JOIN {world['group_here']['invite']['code']}", number=PHONE), None)

    reply = api.outbox(PHONE)[-1]["body"]
    assert "Tuesday Circle" not in reply
    signed_in = api.call("POST", "/v1/login", {"login": _link(api, PHONE)})
    assert signed_in.status_code == 200
    assert signed_in.json["member_id"] == world["member_here"]["member_id"]
    assert api.call("GET", "/v1/me", token=token).status_code == 200
    assert len(api.call("GET", "/v1/me/devices", token=token).json["devices"]) == 2


def test_joining_by_text_from_a_number_someone_else_typed_in_signs_nobody_into_theirs(api, world):
    from chalicelib.events.sms import inbound_sms
    from tests.integration.test_inbound_sms import sns_event

    token = world["member_here"]["token"]
    api.call("PUT", "/v1/me/contact", {"phone": PHONE}, token=token)  # pending: never verified

    inbound_sms(sns_event(f"JOIN {world['group_here']['invite']['code']}", number=PHONE), None)

    signed_in = api.call("POST", "/v1/login", {"login": _link(api, PHONE)})
    assert signed_in.status_code == 200
    assert signed_in.json["member_id"] != world["member_here"]["member_id"]
    assert len(api.call("GET", "/v1/me/devices", token=token).json["devices"]) == 1
