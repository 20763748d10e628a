"""SES feedback: a hard bounce or a complaint stops email to that address, for every membership.

Events arrive as SES publishes them to the configuration set's SNS topic (event publishing:
`eventType`, `mail`, `bounce`/`complaint`) and go through the `email_feedback` handler.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest

ADDRESS = "Quiet@Example.org"
STORED = "Quiet@example.org"  # as Hearth normalises it (domain lower-cased)
_ids = itertools.count()


def ses_event(kind: str, address: str = STORED, bounce_type: str = "Permanent") -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": kind,
        "mail": {
            "timestamp": "2026-12-01T12:00:00.000Z",
            "source": "no-reply@example.org",
            "messageId": f"ses-{next(_ids)}",
            "destination": [address],
            "tags": {"ses:configuration-set": ["hearth-test"]},
        },
    }
    if kind == "Bounce":
        event["bounce"] = {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1"}],
            "timestamp": "2026-12-01T12:00:01.000Z",
            "feedbackId": "feedback",
        }
    else:
        event["complaint"] = {
            "complainedRecipients": [{"emailAddress": address}],
            "timestamp": "2026-12-01T12:00:01.000Z",
            "feedbackId": "feedback",
            "complaintFeedbackType": "abuse",
        }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:hearth-email-events:sub",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": f"sns-{next(_ids)}",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:hearth-email-events",
                    "Subject": None,
                    "Message": json.dumps(event),
                    "Timestamp": "2026-12-01T12:00:02.000Z",
                    "MessageAttributes": {},
                },
            }
        ]
    }


@pytest.fixture
def feedback():
    from chalicelib.events.email import email_feedback

    return lambda event: email_feedback(event, None)


def _verify_email(api, token: str, address: str = ADDRESS) -> None:
    api.call("PUT", "/v1/me/contact", {"email": address}, token=token)
    code = re.search(r"\b(\d{6})\b", api.outbox(STORED)[-1]["body"]).group(1)
    verified = api.call("POST", "/v1/me/contact/verify", {"channel": "email", "code": code}, token=token)
    assert verified.json["contact"]["email"]["status"] == "verified"


def _email_status(api, token: str) -> str:
    return api.call("GET", "/v1/me", token=token).json["contact"]["email"]["status"]


@pytest.mark.parametrize("kind", ["Bounce", "Complaint"])
def test_a_hard_bounce_or_complaint_stops_email_to_every_membership_of_it(api, world, feedback, kind):
    here, there = world["member_here"]["token"], world["member_there"]["token"]
    _verify_email(api, here)
    _verify_email(api, there)

    feedback(ses_event(kind))

    assert _email_status(api, here) == _email_status(api, there) == "opted_out"


def test_a_soft_bounce_changes_nothing(api, world, feedback):
    token = world["member_here"]["token"]
    _verify_email(api, token)

    feedback(ses_event("Bounce", bounce_type="Transient"))

    assert _email_status(api, token) == "verified"


def test_a_suppressed_address_cannot_be_verified_again_and_gets_no_code(api, world, feedback):
    first, second = world["member_here"]["token"], world["member_there"]["token"]
    _verify_email(api, first)
    feedback(ses_event("Complaint"))
    before = len(api.outbox(STORED))

    again = api.call("PUT", "/v1/me/contact", {"email": ADDRESS}, token=second)

    assert again.status_code == 202
    assert again.json["contact"]["email"]["status"] == "opted_out"
    assert len(api.outbox(STORED)) == before  # no code went to it


def test_another_address_of_the_member_is_not_concerned(api, world, feedback):
    token = world["member_here"]["token"]
    _verify_email(api, token)
    api.call("PUT", "/v1/me/contact", {"email": "other@example.org"}, token=token)

    feedback(ses_event("Bounce"))  # the old address bounced after the member changed it

    assert _email_status(api, token) == "pending"


def test_a_repeated_event_is_harmless_and_the_address_is_never_logged(api, world, feedback, captured_logs):
    token = world["member_here"]["token"]
    _verify_email(api, token)

    feedback(ses_event("Bounce", address="Quiet@EXAMPLE.ORG"))
    feedback(ses_event("Bounce", address="Quiet@EXAMPLE.ORG"))

    assert _email_status(api, token) == "opted_out"
    assert "quiet@" not in captured_logs.getvalue().lower()


def test_unreadable_feedback_is_dropped_without_failing(feedback, aws, captured_logs):
    event = ses_event("Bounce")
    event["Records"][0]["Sns"]["Message"] = "not json"

    feedback(event)

    assert "unreadable email feedback dropped" in captured_logs.getvalue()
