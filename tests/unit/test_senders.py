"""The AWS senders: what End User Messaging SMS and SES are asked, and how their failures are read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import aws
from chalicelib.notify import pace
from chalicelib.notify.senders import (
    AwsSender,
    ConfigurationSendError,
    PermanentSendError,
    TooLateError,
    TransientSendError,
)


@pytest.fixture
def ses():
    client = boto3.client("sesv2", region_name="us-east-1")
    with Stubber(client) as stub:
        aws.override("sesv2", client)
        yield stub


def test_sms_is_transactional_from_the_configured_number_through_its_configuration_set(
    sms_voice, monkeypatch
):
    from tests.conftest import reset_process_state

    monkeypatch.setenv("HEARTH_SMS_ORIGINATION_IDENTITY", "+18005550100")
    monkeypatch.setenv("HEARTH_SMS_CONFIGURATION_SET", "hearth-test-sms")
    reset_process_state()

    AwsSender().sms("+16145550123", "Hello")

    assert sms_voice.messages == [  # no deadline, no TimeToLive: the API's default (72 hours)
        {
            "DestinationPhoneNumber": "+16145550123",
            "MessageBody": "Hello",
            "MessageType": "TRANSACTIONAL",
            "OriginationIdentity": "+18005550100",
            "ConfigurationSetName": "hearth-test-sms",
        }
    ]


NOW = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
START = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)


def _reminder(start: datetime = START):
    return pace.sending(pace.REMINDER, deadline=start - timedelta(seconds=30), expires=start)


def test_a_reminder_sms_lives_until_its_session_starts(sms_voice):
    with _reminder():
        AwsSender(clock=lambda: NOW).sms("+16145550123", "Hello")

    assert [m["TimeToLive"] for m in sms_voice.messages] == [3600]  # the carrier drops it after the start


def test_a_time_to_live_beyond_the_api_maximum_is_the_maximum(sms_voice):
    with _reminder(NOW + timedelta(days=4)):
        AwsSender(clock=lambda: NOW).sms("+16145550123", "Hello")

    assert [m["TimeToLive"] for m in sms_voice.messages] == [259_200]  # 72 hours, SendTextMessage's most


def test_an_sms_whose_session_starts_within_the_api_minimum_ttl_is_not_handed_over(sms_voice, faults):
    with _reminder(NOW + timedelta(seconds=4.9)), pytest.raises(TooLateError):
        AwsSender(clock=lambda: NOW).sms("+16145550123", "Hello")

    assert faults.count("pinpoint-sms-voice-v2", "SendTextMessage") == 0
    assert sms_voice.messages == []


def test_an_sms_with_the_api_minimum_ttl_left_is_sent(sms_voice):
    with _reminder(NOW + timedelta(seconds=5)):
        AwsSender(clock=lambda: NOW).sms("+16145550123", "Hello")

    assert [m["TimeToLive"] for m in sms_voice.messages] == [5]


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


# (code, HTTP status, the error shape's members) as End User Messaging SMS answers SendTextMessage
# (botocore's service model pinpoint-sms-voice-v2 2022-03-31: every modelled error is a 400 but
# InternalServerException, a 500; an HTML 5xx from a proxy reaches botocore without the service's
# body, and botocore then reports the status itself as the code).
def _invalid(name: str) -> dict:
    return {"Reason": "INVALID_PARAMETER", "Fields": [{"Name": name, "Message": f"Invalid {name}"}]}


TRANSIENT = [
    ("ThrottlingException", 400, {}),
    ("InternalServerException", 500, {}),
    (None, 502, {}),
    (None, 503, {}),
]
CONFIGURATION = [
    ("AccessDeniedException", 400, {}),  # the role may not send (IAM)
    ("AccessDeniedException", 400, {"Reason": "ACCOUNT_DISABLED"}),
    ("AccessDeniedException", 400, {"Reason": "INSUFFICIENT_ACCOUNT_REPUTATION"}),
    ("ResourceNotFoundException", 400, {"ResourceType": "phone-number", "ResourceId": "+18005550100"}),
    ("ServiceQuotaExceededException", 400, {"Reason": "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"}),
    ("ConflictException", 400, {"Reason": "DESTINATION_PHONE_NUMBER_NOT_VERIFIED"}),  # the sandbox
    ("ConflictException", 400, {"Reason": "NO_ORIGINATION_IDENTITIES_FOUND"}),
    ("ValidationException", 400, {"Reason": "COUNTRY_NOT_ENABLED"}),
    ("ValidationException", 400, {"Reason": "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"}),
    (
        "ValidationException",
        400,
        {"Reason": "INVALID_PARAMETER", "Fields": [{"Name": "OriginationIdentity"}]},
    ),
    ("UnrecognizedClientException", 400, {}),  # the credentials
]


@pytest.mark.parametrize(
    ("code", "status", "fields", "kind"),
    [(*case, TransientSendError) for case in TRANSIENT]
    + [(*case, ConfigurationSendError) for case in CONFIGURATION],
)
def test_end_user_messaging_failures_are_read_by_code_reason_and_status(faults, code, status, fields, kind):
    """Throttles and outages are retried; configuration errors blame no recipient."""
    faults.fail("pinpoint-sms-voice-v2", "SendTextMessage", code=code, status=status, fields=fields)

    with pytest.raises(kind) as raised:
        AwsSender().sms("+16145550123", "Hello")

    assert not isinstance(raised.value, PermanentSendError)


def test_a_configuration_set_the_account_lacks_is_a_configuration_error(sms_voice, monkeypatch):
    from tests.conftest import reset_process_state

    monkeypatch.setenv("HEARTH_SMS_CONFIGURATION_SET", "hearth-gone")
    reset_process_state()
    sms_voice.configuration_sets = {"hearth-test-sms"}

    with pytest.raises(ConfigurationSendError):
        AwsSender().sms("+16145550123", "Hello")

    assert sms_voice.messages == []


def test_an_invalid_number_is_permanent_for_that_recipient_only(faults):
    faults.fail(
        "pinpoint-sms-voice-v2",
        "SendTextMessage",
        code="ValidationException",
        message="Invalid destination phone number",
        fields={
            "Reason": "INVALID_PARAMETER",
            "Fields": [{"Name": "DestinationPhoneNumber", "Message": "x"}],
        },
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


def test_numbers_on_the_opt_out_list_are_opted_out(sms_voice):
    sms_voice.opted_out.add("+16145550123")

    with pytest.raises(PermanentSendError) as raised:
        AwsSender().sms("+16145550123", "Hello")

    assert raised.value.opted_out is True
    assert raised.value.bad_address is True
    assert sms_voice.messages == []
