"""Two-way SMS through the SNS handler, with AWS End User Messaging-shaped payloads."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import sms_text

PHONE = "+16145550123"
_ids = itertools.count()


def sns_event(
    body: str, *, number: str = PHONE, message_id: str | None = None, at: datetime | None = None
) -> dict:
    payload = {
        "originationNumber": number,
        "destinationNumber": "+18005550100",
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": body,
        "inboundMessageId": message_id or f"inbound-{next(_ids)}",
        "previousPublishedMessageId": "prev",
    }
    stamp = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:hearth-inbound-sms:sub",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": f"sns-{next(_ids)}",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:hearth-inbound-sms",
                    "Subject": None,
                    "Message": json.dumps(payload),
                    "Timestamp": stamp,
                    "MessageAttributes": {},
                },
            }
        ]
    }


@pytest.fixture
def text(api):
    """Deliver an inbound SMS to the SNS handler; returns the replies the number got."""
    from chalicelib.events.sms import inbound_sms

    def deliver(body: str, **kwargs) -> list[str]:
        number = kwargs.get("number", PHONE)
        before = len(api.outbox(number))
        inbound_sms(sns_event(body, **kwargs), None)
        return [m["body"] for m in api.outbox(number)[before:]]

    return deliver


def test_join_by_text_verifies_the_number_and_signs_in_once(api, world, text):
    code = world["group_here"]["invite"]["code"]

    replies = text(f"join {code.lower()}")

    assert len(replies) == 1
    assert replies[0].startswith("Hearth: welcome, ")
    login = re.search(r"#login=(\S+)", replies[0]).group(1)
    assert f"/g/{world['group_here']['group_id']}#login=" in replies[0]
    signed_in = api.call("POST", "/v1/login", {"login": login})
    assert signed_in.status_code == 200
    me = api.call("GET", "/v1/me", token=signed_in.json["token"]).json
    assert me["contact"]["sms"] == {"status": "verified", "masked": "•••• 0123"}
    assert me["group_id"] == world["group_here"]["group_id"]
    assert api.call("POST", "/v1/login", {"login": login}).status_code == 410  # one use only


def test_joining_again_by_text_signs_in_another_device(api, world, text):
    code = world["group_here"]["invite"]["code"]
    first = re.search(r"#login=(\S+)", text(f"JOIN {code}")[0]).group(1)
    old_token = api.call("POST", "/v1/login", {"login": first}).json["token"]

    again = text(f"JOIN {code}")

    second = re.search(r"#login=(\S+)", again[0]).group(1)
    new_token = api.call("POST", "/v1/login", {"login": second}).json["token"]
    assert api.call("GET", "/v1/me", token=new_token).status_code == 200
    assert api.call("GET", "/v1/me", token=old_token).status_code == 200  # the first device stays
    roster = api.call("GET", f"/v1/groups/{world['group_here']['group_id']}/members", token=new_token).json
    assert (
        len([m for m in roster["members"] if m["role"] == "member"]) == 2
    )  # still one membership for the number


def test_a_message_delivered_twice_is_handled_once(api, world, text):
    code = world["group_here"]["invite"]["code"]

    first = text(f"JOIN {code}", message_id="same-id")
    second = text(f"JOIN {code}", message_id="same-id")

    assert len(first) == 1
    assert second == []
    group = api.call(
        "GET", f"/v1/groups/{world['group_here']['group_id']}", token=world["facilitator_here"]["token"]
    )
    assert group.json["member_count"] == 2


@pytest.mark.parametrize(
    "word",
    [
        "STOP",
        "stop",
        " Stop. ",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "OPT-OUT",
        "opt out",
        "ARRET",
        "REMOVE",
        "TD",
    ],
)
def test_every_opt_out_word_opts_out_with_one_confirmation(text, word):
    now = datetime.now(UTC)

    replies = text(word, at=now)

    assert replies == [sms_text.OPTED_OUT_REPLY]
    assert text("STOP", at=now + timedelta(seconds=5)) == []  # already out: no second confirmation
    assert text("hello", at=now + timedelta(seconds=6)) == []  # and nothing else is sent


def test_a_start_sent_between_two_stops_and_delivered_last_changes_nothing(api, world, text):
    now = datetime.now(UTC)
    text("STOP", at=now)
    text("STOP", at=now + timedelta(seconds=10))

    assert text("START", at=now + timedelta(seconds=5)) == []
    member = api.member(world["group_here"]["invite"]["code"])
    put = api.call("PUT", "/v1/me/contact", {"phone": PHONE}, token=member["token"])
    assert put.json["contact"]["sms"]["status"] == "opted_out"


@pytest.mark.parametrize("word", ["START", "unstop", "Yes!"])
def test_opt_in_words_resubscribe(text, word):
    now = datetime.now(UTC)
    text("STOP", at=now)

    assert text(word, at=now + timedelta(seconds=1)) == [sms_text.OPTED_IN_REPLY]


@pytest.mark.parametrize("word", ["HELP", "info", "Help?"])
def test_help_explains_the_program(text, word):
    (reply,) = text(word)

    assert "Msg & data rates may apply" in reply
    assert "Reply STOP" in reply
    assert "Help: 127.0.0.1:8000" in reply


def test_anything_else_gets_a_short_help_reply_once_a_day(text):
    assert text("hello?") == [sms_text.UNKNOWN_REPLY]
    assert text("anyone there") == []


def test_out_of_order_delivery_does_not_resurrect_a_subscription(api, world, text):
    now = datetime.now(UTC)
    text("STOP", at=now)
    text("START", at=now - timedelta(minutes=5))  # older, delivered late

    member = api.member(world["group_here"]["invite"]["code"])
    put = api.call("PUT", "/v1/me/contact", {"phone": PHONE}, token=member["token"])

    assert put.json["contact"]["sms"]["status"] == "opted_out"
    assert [m for m in api.outbox(PHONE) if "code" in m["body"]] == []


def test_stop_reaches_every_membership_of_the_number_and_survives_erasure(api, world, text):
    code = world["group_here"]["invite"]["code"]
    login = re.search(r"#login=(\S+)", text(f"JOIN {code}")[0]).group(1)
    token = api.call("POST", "/v1/login", {"login": login}).json["token"]

    text("STOP")

    assert api.call("GET", "/v1/me", token=token).json["contact"]["sms"]["status"] == "opted_out"
    api.call("DELETE", "/v1/me", token=token)
    again = api.member(code)
    assert (
        api.call("PUT", "/v1/me/contact", {"phone": PHONE}, token=again["token"]).json["contact"]["sms"][
            "status"
        ]
        == "opted_out"
    )
    assert text(f"JOIN {code}") == []  # opted out numbers get nothing until START


def test_join_with_an_expired_code_says_so(world, text):
    from chalicelib.store.groups import InviteItem, InviteRepository

    code = world["group_here"]["invite"]["code"]
    InviteRepository().get(code).update(
        actions=[InviteItem.expires.set(datetime.now(UTC) - timedelta(minutes=1))]
    )

    assert text(f"JOIN {code}") == [sms_text.CLOSED_REPLY]


def test_join_from_a_removed_members_phone_is_refused(api, world, text):
    code = world["group_here"]["invite"]["code"]
    login = re.search(r"#login=(\S+)", text(f"JOIN {code}")[0]).group(1)
    joined = api.call("POST", "/v1/login", {"login": login}).json
    api.call(
        "DELETE",
        f"/v1/groups/{world['group_here']['group_id']}/members/{joined['member_id']}",
        token=world["facilitator_here"]["token"],
    )

    assert text(f"JOIN {code}") == [sms_text.REMOVED_REPLY]


def test_bad_codes_get_a_few_replies_then_silence(text):
    replies = [text("JOIN ZZZZ2222") for _ in range(5)]

    assert [len(r) for r in replies] == [1, 1, 1, 0, 0]
    assert replies[0] == [sms_text.BAD_CODE_REPLY]


def test_numbers_outside_the_allowed_countries_are_never_texted(api, world, text):
    uk = "+447911123456"

    assert text("HELP", number=uk) == []
    member = api.member(world["group_here"]["invite"]["code"])
    refused = api.call("PUT", "/v1/me/contact", {"phone": uk}, token=member["token"])
    assert refused.status_code == 422
    assert set(refused.json["fields"]) == {"phone"}


def test_the_daily_country_cap_stops_outsider_triggered_texts(api, monkeypatch, text):
    from tests.conftest import reset_process_state

    monkeypatch.setenv("HEARTH_SMS_DAILY_CAP_PER_COUNTRY", "2")
    reset_process_state()

    replies = [text("HELP", number=f"+1614555{index:04d}") for index in range(3)]

    assert [len(r) for r in replies] == [1, 1, 0]


def test_unreadable_payloads_are_dropped(api):
    from chalicelib.events.sms import inbound_sms

    event = sns_event("HELP")
    event["Records"][0]["Sns"]["Message"] = "not json"

    assert inbound_sms(event, None) is None
    assert api.outbox() == []


def test_per_ip_limit_on_contact_changes(api, world, monkeypatch):
    from chalicelib.services import contact

    monkeypatch.setattr(contact, "CHANGES_PER_IP_PER_HOUR", 2)
    tokens = [api.member(world["group_here"]["invite"]["code"])["token"] for _ in range(3)]

    statuses = [
        api.call("PUT", "/v1/me/contact", {"email": f"m{index}@example.org"}, token=token).status_code
        for index, token in enumerate(tokens)
    ]

    assert statuses == [202, 202, 429]
