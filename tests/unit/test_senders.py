"""The AWS senders: what SNS and SES are asked, and how their failures are read."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import aws
from chalicelib.notify.senders import AwsSender, PermanentSendError, TransientSendError


@pytest.fixture
def sns():
    client = boto3.client("sns", region_name="us-east-1")
    with Stubber(client) as stub:
        aws.override("sns", client)
        yield stub


@pytest.fixture
def ses():
    client = boto3.client("sesv2", region_name="us-east-1")
    with Stubber(client) as stub:
        aws.override("sesv2", client)
        yield stub


def test_sms_is_transactional_from_the_configured_number(sns, monkeypatch):
    from tests.conftest import reset_process_state

    monkeypatch.setenv("HEARTH_SMS_ORIGINATION_IDENTITY", "+18005550100")
    reset_process_state()
    aws.override("sns", sns.client)
    sns.add_response(
        "check_if_phone_number_is_opted_out", {"isOptedOut": False}, {"phoneNumber": "+16145550123"}
    )
    sns.add_response(
        "publish",
        {"MessageId": "m1"},
        {
            "PhoneNumber": "+16145550123",
            "Message": "Hello",
            "MessageAttributes": {
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.MM.SMS.OriginationNumber": {"DataType": "String", "StringValue": "+18005550100"},
            },
        },
    )

    AwsSender().sms("+16145550123", "Hello")

    sns.assert_no_pending_responses()


def test_email_carries_text_html_and_list_unsubscribe_headers(ses):
    ses.add_response(
        "send_email",
        {"MessageId": "e1"},
        {
            "FromEmailAddress": "Hearth <no-reply@hearth.invalid>",
            "Destination": {"ToAddresses": ["q@example.org"]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": "A reminder from Hearth", "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": "t", "Charset": "UTF-8"},
                        "Html": {"Data": "<p>t</p>", "Charset": "UTF-8"},
                    },
                    "Headers": [
                        {"Name": "List-Unsubscribe", "Value": "<https://h.example/u>"},
                        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
                    ],
                }
            },
        },
    )

    AwsSender().email(
        "q@example.org",
        "A reminder from Hearth",
        "t",
        "<p>t</p>",
        headers={
            "List-Unsubscribe": "<https://h.example/u>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )

    ses.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "error", "bad_address"),
    [
        ("Throttling", TransientSendError, None),
        ("InternalError", TransientSendError, None),
        ("InvalidParameter", PermanentSendError, True),
        ("AuthorizationError", PermanentSendError, False),
    ],
)
def test_sns_failures_are_classified(sns, code, error, bad_address):
    sns.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": False})
    sns.add_client_error("publish", service_error_code=code, http_status_code=400)

    with pytest.raises(error) as raised:
        AwsSender().sms("+16145550123", "Hello")

    if bad_address is not None:
        assert raised.value.bad_address is bad_address


def test_ses_throttling_is_transient(ses):
    ses.add_client_error("send_email", service_error_code="TooManyRequestsException", http_status_code=429)

    with pytest.raises(TransientSendError):
        AwsSender().email("q@example.org", "s", "t")


def test_numbers_on_the_sns_opt_out_list_are_not_texted(sns):
    sns.add_response(
        "check_if_phone_number_is_opted_out", {"isOptedOut": True}, {"phoneNumber": "+16145550123"}
    )

    with pytest.raises(PermanentSendError) as raised:
        AwsSender().sms("+16145550123", "Hello")

    assert raised.value.bad_address is True
    sns.assert_no_pending_responses()  # no publish was attempted
