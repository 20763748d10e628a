"""No phone number, email or token is ever readable where it should not be."""

from __future__ import annotations

import re

import pytest

from tests.integration.test_authorization_matrix import MATRIX, _fill

PHONE = "+16145550123"
PHONE_FORMS = (
    "+16145550123",
    "16145550123",
    "6145550123",
    "(614) 555-0123",
    "614-555-0123",
    "614 555 0123",
    "555-0123",
)
EMAIL = "quiet.otter@example.org"
FACILITATOR_EMAIL = "robin.helper@example.net"


@pytest.fixture
def seeded(api, world, callers):
    token = world["member_here"]["token"]
    api.call("PUT", "/v1/me/contact", {"phone": "(614) 555-0123", "email": EMAIL}, token=token)
    code = re.search(r"\d{6}", api.outbox(PHONE)[-1]["body"]).group(0)
    api.call("POST", "/v1/me/contact/verify", {"channel": "sms", "code": code}, token=token)
    other = api.member(world["group_here"]["invite"]["code"], "Soft Fern")
    api.call("PUT", "/v1/me/contact", {"phone": "+1 312 555 0199"}, token=other["token"])
    api.create_facilitator("Helper", email=FACILITATOR_EMAIL)
    group_id = world["group_here"]["group_id"]  # the room's GET routes then have messages, alerts, audit
    said = api.call("POST", f"/v1/groups/{group_id}/messages", {"body": "I want to die"}, token=token)
    api.call("POST", f"/v1/messages/{said.json['message']['message_id']}/report", {}, token=other["token"])
    api.call(
        "POST",
        f"/v1/groups/{group_id}/members/{other['member_id']}/mute",
        {"minutes": 5},
        token=world["facilitator_here"]["token"],
    )
    return world


def _assert_clean(text: str, where: str) -> None:
    digits_only = re.sub(r"\D", "", text)
    for form in PHONE_FORMS:
        assert form not in text, f"{form} in {where}"
    assert "6145550123" not in digits_only or where == "skip", f"phone digits in {where}"
    for email in (EMAIL, FACILITATOR_EMAIL, "3125550199"):
        assert email not in text, f"{email} in {where}"


def test_no_get_route_shows_contact_details_to_anyone(api, seeded, callers, captured_logs):
    values = {
        "group_id": seeded["group_here"]["group_id"],
        "member_id": seeded["member_here"]["member_id"],
        "code": seeded["group_here"]["invite"]["code"],
        "series_id": seeded["series_here"]["series_id"],
        "session_id": seeded["session_here"],
        "feed_token": seeded["feed_token"],
    }
    gets = [route for route in MATRIX if route[0] == "GET" and not route[1].startswith("/v1/dev")]
    assert len(gets) >= 6

    for _method, template in gets:
        for caller, token in callers.items():
            for group_id in (seeded["group_here"]["group_id"], seeded["group_there"]["group_id"]):
                path = _fill(template, values | {"group_id": group_id})
                response = api.call("GET", path, token=token)
                _assert_clean(response.body.decode(), f"GET {path} as {caller}")

    _assert_clean(captured_logs.getvalue(), "logs")


def test_own_contact_is_shown_masked_only(api, seeded):
    me = api.call("GET", "/v1/me", token=seeded["member_here"]["token"])

    assert me.json["contact"]["sms"] == {"status": "verified", "masked": "•••• 0123"}
    assert me.json["contact"]["email"] == {"status": "pending", "masked": "q•••@example.org"}
    _assert_clean(me.body.decode(), "GET /v1/me")


def test_the_table_holds_no_plain_contact_or_token(api, seeded, callers):
    from chalicelib.store.tables import HearthItem

    everything = repr([item.attribute_values for item in HearthItem.scan()])  # test inspection only

    _assert_clean(everything, "table")
    for token in callers.values():
        if token and token.startswith(("hm_", "hf_")):
            assert token not in everything
            assert token[3:] not in everything


def test_logs_of_contact_changes_carry_no_contact(api, world, captured_logs):
    token = world["member_here"]["token"]
    api.call("PUT", "/v1/me/contact", {"phone": "614.555.0123", "email": EMAIL}, token=token)
    api.call("PUT", "/v1/me/contact", {"phone": "not a phone"}, token=token)
    api.call("POST", "/v1/dev/sms", {"from": "(614) 555-0123", "body": "HELP"})

    logs = captured_logs.getvalue()

    assert "request" in logs
    _assert_clean(logs, "logs")


def test_nothing_hearth_sends_names_the_group_or_its_topic(api, world, clock):
    """Codes, reminders, notices, SMS replies and crisis notices: lock screens are public."""
    from datetime import UTC, datetime

    from tests.integration.test_reminders import Pipeline, verified_member

    group = world["group_here"]
    watcher = api.create_facilitator("Watcher", email="watcher@example.net")
    api.call(
        "POST",
        f"/v1/groups/{group['group_id']}/facilitators",
        {"facilitator_id": watcher["facilitator_id"]},
        token=world["facilitator_here"]["token"],
    )
    pipeline = Pipeline(api, clock)
    member = verified_member(api, group["invite"]["code"])
    api.call("PUT", f"/v1/sessions/{world['session_here']}/rsvp", token=member["token"])
    second = world["series_here"]["next_sessions"][1]["session_id"]
    api.call("PUT", f"/v1/sessions/{second}/rsvp", token=member["token"])
    api.call(
        "POST",
        f"/v1/groups/{group['group_id']}/messages",
        {"body": "I want to end my life tonight"},
        token=member["token"],
    )
    pipeline.sweep_at(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    pipeline.sweep_at(datetime(2026, 12, 1, 23, 0, tzinfo=UTC))
    api.call(
        "PATCH", f"/v1/sessions/{second}", {"status": "cancelled"}, token=world["facilitator_here"]["token"]
    )
    api.call("POST", "/v1/dev/sms", {"from": PHONE, "body": "HELP"})
    api.call("POST", "/v1/dev/sms", {"from": "+16145550166", "body": f"JOIN {group['invite']['code']}"})
    pipeline.drain()

    sent = api.outbox()
    kinds = {(m["channel"], (m["subject"] or m["body"])[:20]) for m in sent}
    assert len(sent) >= 7, kinds  # reminders by SMS and email, a notice, a crisis email, SMS replies
    assert any(m["to"] == "watcher@example.net" for m in sent)
    for message in sent:
        text = f"{message['subject'] or ''} {message['body']}".lower()
        assert "tuesday circle" not in text
        assert "anxiety" not in text
        assert "end my life" not in text
