"""The AWS senders: what SNS and SES are asked, and how their failures are read."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import aws
from chalicelib.notify.senders import (
    AwsSender,
    ConfigurationSendError,
    PermanentSendError,
    TransientSendError,
)


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


# (operation, code, HTTP status, message) as SNS and SES v2 answer them (botocore's service
# models: sns 2010-03-31, sesv2 2019-09-27; an HTML 5xx from a proxy reaches botocore without the
# service's body, and botocore then reports the status itself as the code).
TRANSIENT = [
    ("publish", "Throttled", 429, "Rate exceeded"),
    ("publish", "Throttling", 400, "Rate exceeded"),
    ("publish", "KMSThrottling", 400, "KMS throttled the request"),
    ("publish", "InternalError", 500, "Internal error"),
    ("publish", "502", 502, "<html><body>Bad Gateway</body></html>"),
    ("publish", "503", 503, "<html><body>Service Unavailable</body></html>"),
    ("check_if_phone_number_is_opted_out", "Throttled", 429, "Rate exceeded"),
    ("check_if_phone_number_is_opted_out", "InternalError", 500, "Internal error"),
]
CONFIGURATION = [
    ("publish", "AuthorizationError", 403, "User is not authorized to perform: SNS:Publish"),
    (
        "publish",
        "InvalidParameter",
        400,
        "Invalid parameter: MessageAttributes Reason: AWS.MM.SMS.OriginationNumber is not valid",
    ),
    ("publish", "ParameterValueInvalid", 400, "Invalid origination identity"),
    ("publish", "KMSAccessDenied", 400, "Access denied to the topic's key"),
    ("publish", "InvalidClientTokenId", 403, "The security token included in the request is invalid."),
    ("check_if_phone_number_is_opted_out", "AuthorizationError", 403, "Not authorized"),
]


@pytest.mark.parametrize(
    ("operation", "code", "status", "message", "kind"),
    [(*case, TransientSendError) for case in TRANSIENT]
    + [(*case, ConfigurationSendError) for case in CONFIGURATION],
)
def test_sns_failures_are_read_by_code_and_status(sns, operation, code, status, message, kind):
    """Throttles and outages are retried; configuration errors blame no recipient."""
    if operation == "publish":
        sns.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": False})
    sns.add_client_error(operation, service_error_code=code, service_message=message, http_status_code=status)

    with pytest.raises(kind):
        AwsSender().sms("+16145550123", "Hello")


def test_an_invalid_number_is_permanent_for_that_recipient_only(sns):
    sns.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": False})
    sns.add_client_error(
        "publish",
        service_error_code="InvalidParameter",
        service_message="Invalid parameter: PhoneNumber Reason: +16145550123 is not valid to publish to",
        http_status_code=400,
    )

    with pytest.raises(PermanentSendError) as raised:
        AwsSender().sms("+16145550123", "Hello")

    assert raised.value.bad_address is True
    assert raised.value.opted_out is False


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("TooManyRequestsException", 429, TransientSendError),
        ("LimitExceededException", 400, TransientSendError),
        ("InternalServiceErrorException", 500, TransientSendError),
        ("503", 503, TransientSendError),
        ("AccountSuspendedException", 400, ConfigurationSendError),
        ("SendingPausedException", 400, ConfigurationSendError),
        ("MailFromDomainNotVerifiedException", 400, ConfigurationSendError),
        ("MessageRejected", 400, ConfigurationSendError),  # the sandbox: recipient not verified
        ("NotFoundException", 404, ConfigurationSendError),
        ("BadRequestException", 400, ConfigurationSendError),
    ],
)
def test_ses_failures_are_classified(ses, code, status, kind):
    ses.add_client_error("send_email", service_error_code=code, http_status_code=status)

    with pytest.raises(kind):
        AwsSender().email("q@example.org", "s", "t")


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
