"""Contact details: set, verify through the outbox, masked, rate limited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest


def _code(api, to: str) -> str:
    messages = api.outbox(to)
    assert messages, f"nothing sent to {to}"
    return re.search(r"\b(\d{6})\b", messages[-1]["body"]).group(1)


def test_phone_gets_a_code_and_verifies(api, world):
    token = world["member_here"]["token"]

    put = api.call("PUT", "/v1/me/contact", {"phone": "(614) 555-0123"}, token=token)

    assert put.status_code == 202
    assert put.json["contact"]["sms"] == {"status": "pending", "masked": "•••• 0123"}
    sent = api.outbox("+16145550123")
    assert len(sent) == 1
    assert sent[0]["channel"] == "sms"
    assert "Tuesday Circle" not in sent[0]["body"]

    verified = api.call(
        "POST", "/v1/me/contact/verify", {"channel": "sms", "code": _code(api, "+16145550123")}, token=token
    )

    assert verified.status_code == 200
    assert verified.json["contact"]["sms"] == {"status": "verified", "masked": "•••• 0123"}


def test_email_gets_a_code_with_a_neutral_subject_and_verifies(api, world):
    token = world["member_here"]["token"]

    api.call("PUT", "/v1/me/contact", {"email": "Quiet@Example.org"}, token=token)
    sent = api.outbox("Quiet@example.org")

    assert sent[0]["subject"] == "Your Hearth code"
    verified = api.call(
        "POST",
        "/v1/me/contact/verify",
        {"channel": "email", "code": _code(api, "Quiet@example.org")},
        token=token,
    )
    assert verified.json["contact"]["email"] == {"status": "verified", "masked": "Q•••@example.org"}


def test_wrong_codes_count_down_and_then_the_code_is_gone(api, world):
    token = world["member_here"]["token"]
    api.call("PUT", "/v1/me/contact", {"phone": "+16145550123"}, token=token)
    right = _code(api, "+16145550123")
    wrong = "000000" if right != "000000" else "111111"

    statuses = [
        api.call("POST", "/v1/me/contact/verify", {"channel": "sms", "code": wrong}, token=token).status_code
        for _ in range(5)
    ]
    final = api.call("POST", "/v1/me/contact/verify", {"channel": "sms", "code": right}, token=token)

    assert statuses == [422] * 5
    assert final.status_code == 410
    assert final.json["code"] == "code_expired"


def test_expired_code_is_410(api, world):
    from chalicelib.errors import GoneError
    from chalicelib.services.auth import Authenticator
    from chalicelib.services.container import services

    token = world["member_here"]["token"]
    api.call("PUT", "/v1/me/contact", {"phone": "+16145550123"}, token=token)
    code = _code(api, "+16145550123")
    caller = Authenticator().caller(token)
    later = datetime.now(UTC) + timedelta(minutes=11)

    with pytest.raises(GoneError):
        services().contact.verify(caller, "sms", code, now=later)


def test_verify_with_nothing_pending_is_409_and_bad_input_422(api, world):
    token = world["member_here"]["token"]

    assert (
        api.call(
            "POST", "/v1/me/contact/verify", {"channel": "sms", "code": "123456"}, token=token
        ).status_code
        == 409
    )
    assert (
        api.call(
            "POST", "/v1/me/contact/verify", {"channel": "fax", "code": "123456"}, token=token
        ).status_code
        == 422
    )
    assert (
        api.call(
            "POST", "/v1/me/contact/verify", {"channel": "sms", "code": "12345"}, token=token
        ).status_code
        == 422
    )
    assert api.call("PUT", "/v1/me/contact", {}, token=token).status_code == 422
    bad_phone = api.call("PUT", "/v1/me/contact", {"phone": "12"}, token=token)
    assert (bad_phone.status_code, set(bad_phone.json["fields"])) == (422, {"phone"})
    bad_email = api.call("PUT", "/v1/me/contact", {"email": "nope"}, token=token)
    assert (bad_email.status_code, set(bad_email.json["fields"])) == (422, {"email"})


def test_null_removes_a_channel(api, world):
    token = world["member_here"]["token"]
    api.call("PUT", "/v1/me/contact", {"phone": "+16145550123", "email": "q@example.org"}, token=token)

    removed = api.call("PUT", "/v1/me/contact", {"phone": None}, token=token)

    assert removed.status_code == 202
    assert removed.json["contact"]["sms"] is None
    assert removed.json["contact"]["email"]["status"] == "pending"


def test_codes_to_one_destination_are_rate_limited(api, world):
    first = world["member_here"]["token"]
    second = api.member(world["group_here"]["invite"]["code"])["token"]

    statuses = [
        api.call("PUT", "/v1/me/contact", {"phone": "+16145550123"}, token=token).status_code
        for token in (first, second, first, second)
    ]
    limited = api.call("PUT", "/v1/me/contact", {"phone": "+16145550123"}, token=first)

    assert statuses == [202, 202, 202, 429]
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert len(api.outbox("+16145550123")) == 3


def test_setting_the_same_verified_phone_again_sends_nothing(api, world):
    token = world["member_here"]["token"]
    api.call("PUT", "/v1/me/contact", {"phone": "+16145550123"}, token=token)
    api.call(
        "POST", "/v1/me/contact/verify", {"channel": "sms", "code": _code(api, "+16145550123")}, token=token
    )

    again = api.call("PUT", "/v1/me/contact", {"phone": "614-555-0123"}, token=token)

    assert again.json["contact"]["sms"]["status"] == "verified"
    assert len(api.outbox("+16145550123")) == 1
